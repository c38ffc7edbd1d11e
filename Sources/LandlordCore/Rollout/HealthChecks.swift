import Foundation
import ProviderAPI
import Synchronization

/// One answer to a health check's GET.
public enum HealthAnswer: Sendable, Hashable {
    /// The server answered: its status and the start of its body.
    case status(Int, body: String)
    /// No answer: the connection error or the timeout.
    case error(String)
}

/// Sends health checks' GETs. The engine does no I/O of its own: the CLI and the service give
/// one over HTTP.
public protocol HealthProbe: Sendable {
    /// GETs `url`, giving up after `timeout` seconds.
    func get(_ url: String, timeout: Double) async -> HealthAnswer
}

/// Reads fleet alarms for a rollout (CloudWatch, through the AWS provider's client).
public protocol AlarmSource: Sendable {
    /// The alarms among `names` that are in ALARM now. Throws naming an alarm that does not
    /// exist or cannot be read.
    func firing(_ names: [String]) async throws -> [String]
}

/// Runs blueprints' `health:` checks for tenants after their changes are applied.
enum HealthChecker {
    /// Checks `tenants` (at most `parallelism` at once); returns why each unhealthy one failed.
    static func run(_ tenants: [String], workspace: Workspace, probe: any HealthProbe, parallelism: Int) async -> [String: String] {
        let fleet = workspace.fleet
        let withChecks = tenants.filter { t in fleet.tenant(t).flatMap { fleet.blueprints[$0.blueprint] }?.health.isEmpty == false }
        guard !withChecks.isEmpty else { return [:] }
        // Resource attributes in URLs come from the state the apply just wrote.
        let needState = withChecks.filter { t in fleet.tenant(t).flatMap { fleet.blueprints[$0.blueprint] }.map(needsState) ?? false }
        let states = needState.isEmpty ? [:] : ((try? await workspace.store.loadTenants(needState)) ?? [:])
        return await withTaskGroup(of: Keyed<String, String?>.self) { group in
            var next = 0
            var failed: [String: String] = [:]
            func add(_ g: inout TaskGroup<Keyed<String, String?>>) {
                guard next < withChecks.count else { return }
                let t = withChecks[next]
                next += 1
                let state = states[t]
                g.addTask { Keyed(t, await check(t, fleet: fleet, state: state, probe: probe)) }
            }
            for _ in 0..<max(1, parallelism) { add(&group) }
            for await answer in group {
                if let failure = answer.value { failed[answer.key] = failure }
                add(&group)
            }
            return failed
        }
    }

    /// True when a check's URL names a resource attribute (so the tenant's state is read).
    static func needsState(_ bp: Blueprint) -> Bool {
        bp.health.contains { c in c.url.references.contains { if case .resource = $0.0 { return true } else { return false } } }
    }

    /// Runs one tenant's checks in order; nil when all pass, else the first failure.
    static func check(_ tenant: String, fleet: Fleet, state: TenantState?, probe: any HealthProbe) async -> String? {
        guard let spec = fleet.tenant(tenant), let bp = fleet.blueprints[spec.blueprint] else { return nil }
        var ev = Evaluator(platform: fleet.platform, tenant: spec)
        for (name, r) in state?.resources ?? [:] { ev.known[name] = r.attributes }
        for c in bp.health {
            let url: String
            do {
                let v = try ev.evaluate(c.url)
                guard let s = v.revealed.stringValue, v.isKnown else {
                    return "health check \(c.text) at \(c.location): its URL is not known (a resource attribute it names was not recorded)"
                }
                url = s
            } catch {
                return "health check \(c.text) at \(c.location): \(error.message)"
            }
            if let failure = await poll(url, c, probe) { return failure }
        }
        return nil
    }

    /// Asks every `interval` until an expected status or `timeout`; nil when healthy, else the
    /// last answer (`GET URL -> 500: first 200 bytes of the body`).
    static func poll(_ url: String, _ c: HealthCheck, _ probe: any HealthProbe) async -> String? {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(c.timeout)
        var last: HealthAnswer?
        while true {
            let left = deadline - clock.now
            let seconds = Double(left.components.seconds) + Double(left.components.attoseconds) / 1e18
            // A try cut shorter than a second would only report its own timeout: the last
            // real answer stands.
            if let last, seconds < min(1, c.interval) { return describe(url, last, c) }
            // One try may take what is left of the check's time.
            let answer = await probe.get(url, timeout: max(0.05, seconds))
            if case .status(let code, _) = answer, c.expect.contains(code) { return nil }
            last = answer
            if clock.now + .seconds(c.interval) >= deadline || Task.isCancelled { return describe(url, answer, c) }
            try? await Task.sleep(for: .seconds(c.interval))
        }
    }

    static func describe(_ url: String, _ a: HealthAnswer, _ c: HealthCheck) -> String {
        switch a {
        case .status(let code, let body):
            let text = String(body.prefix(200)).replacingOccurrences(of: "\n", with: " ")
            return "GET \(url) -> \(code)" + (text.isEmpty ? "" : ": \(text)") + " (expected \(c.expect.map(String.init).joined(separator: " or ")))"
        case .error(let e): return "GET \(url) -> \(e)"
        }
    }
}

/// Starts each tenant's health checks as soon as its apply finishes (after its `wait:`s), while
/// the rest of its wave is still being applied, at most `parallelism` at once; the wave's
/// judgement then only waits for those still running. Passes every event on to `inner`.
final class EarlyHealthChecks: ApplyObserver, Sendable {
    let inner: any ApplyObserver
    let workspace: Workspace
    let probe: any HealthProbe
    let slots: Slots
    private let started = Mutex<[String: Task<String?, Never>]>([:])

    init(inner: any ApplyObserver, workspace: Workspace, probe: any HealthProbe, parallelism: Int) {
        self.inner = inner
        self.workspace = workspace
        self.probe = probe
        slots = Slots(max(1, parallelism))
    }

    func handle(_ event: ApplyEvent) {
        if case .tenantFinished(let o) = event, o.status != .failed, o.failed == 0, o.skipped == 0 {
            let (tenant, fleet, store, probe, slots) = (o.tenant, workspace.fleet, workspace.store, probe, slots)
            let task = Task<String?, Never> {
                guard let spec = fleet.tenant(tenant), let bp = fleet.blueprints[spec.blueprint], !bp.health.isEmpty else { return nil }
                await slots.acquire()
                let state = HealthChecker.needsState(bp) ? try? await store.loadTenant(tenant) : nil
                let failure = await HealthChecker.check(tenant, fleet: fleet, state: state, probe: probe)
                await slots.release()
                return failure
            }
            // A tenant applied again (planned again after a lock wait) is judged by its last apply.
            started.withLock { $0[tenant] = task }
        }
        inner.handle(event)
    }

    /// Why each of `tenants` is unhealthy: from the checks started as each finished, the rest
    /// (if any) checked now.
    func results(_ tenants: [String]) async -> [String: String] {
        var failed: [String: String] = [:]
        var missing: [String] = []
        for t in tenants {
            guard let task = started.withLock({ $0.removeValue(forKey: t) }) else {
                missing.append(t)
                continue
            }
            if let why = await task.value { failed[t] = why }
        }
        if !missing.isEmpty {
            failed.merge(await HealthChecker.run(missing, workspace: workspace, probe: probe, parallelism: slots.limit)) { a, _ in a }
        }
        return failed
    }
}

/// A counting semaphore for tasks.
actor Slots {
    nonisolated let limit: Int
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(_ limit: Int) {
        self.limit = limit
        free = limit
    }

    func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }
}
