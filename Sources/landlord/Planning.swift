import ArgumentParser
import Foundation
import LandlordCore
import ProviderAPI
import Synchronization

/// Options shared by the verbs that plan: plan, apply, destroy.
struct PlanningOptions: ParsableArguments {
    @Option(name: .customLong("tenant"), help: "Only this tenant (repeat for several).")
    var tenants: [String] = []

    @Option(
        name: .customLong("refresh"),
        help:
            "Read recorded resources from the providers first to detect drift: true (list and batch reads, a few calls per API), full (every resource on its own, seeing what lists do not show), false."
    )
    var refreshMode: RefreshMode = .true

    /// Whether the plan reads the providers at all.
    var refresh: Bool { refreshMode != .false }

    @Flag(help: "Use the simulated cloud (mock provider) whatever platform.yaml says.")
    var mock = false

    @Flag(
        name: .customLong("allow-protected-deletes"),
        help: "Allow deleting or replacing resources marked `protect: true`, and replacing data-bearing ones.")
    var allowProtectedDeletes = false

    @Option(
        name: .customLong("shard"),
        help: ArgumentHelp(
            "Only part K of N of the fleet, for N jobs applying it together through shared (S3) state: a tenant is in part (SHA-256 of its id mod N) + 1.",
            valueName: "K/N"),
        transform: { text in
            do throws(InvalidShard) { return try Shard.parse(text) } catch { throw ValidationError(error.description) }
        })
    var shard: Shard?
}

/// `--refresh`: `true` reads by listing, `full` reads every resource on its own, `false` not at all.
enum RefreshMode: String, ExpressibleByArgument, CaseIterable {
    case `true`, `false`, full
}

/// Builds a plan from the specs and state, printing diagnostics.
enum Planning {
    /// `cache`: use the local plan cache (`landlord plan`; see `planCache(_:)`).
    static func makePlan(_ ctx: Context, _ opts: PlanningOptions, destroy: Set<String> = [], cache: Bool = false) async throws -> Plan {
        try await makePlan(
            ctx, tenants: opts.tenants, refresh: opts.refresh, listing: opts.refreshMode != .full, allowProtectedDeletes: opts.allowProtectedDeletes,
            destroy: destroy, shard: opts.shard, cache: cache)
    }

    static func makePlan(
        _ ctx: Context, tenants: [String], refresh: Bool, listing: Bool = true, allowProtectedDeletes: Bool, destroy: Set<String> = [],
        shard: Shard? = nil, cache: Bool = false
    ) async throws -> Plan {
        let scope: Set<String>? = tenants.isEmpty ? (destroy.isEmpty ? nil : destroy) : Set(tenants)
        let options = PlanOptions(tenants: scope, destroy: destroy, allowProtectedDeletes: allowProtectedDeletes, shard: shard)
        let heard = RefreshHeard()
        var workspace = ctx.workspace
        if cache { workspace.planCache = planCache(ctx) }
        let (plan, diags) = await workspace.plan(options, refresh: refresh, listing: listing, observer: heard)
        if let report = heard.report { ctx.output.printErr(refreshSummary(report)) }
        ctx.output.diagnostics(diags)
        guard let plan else {
            ctx.output.error("no plan: fix the \(diags.errors.count) error\(diags.errors.count == 1 ? "" : "s") above; nothing was changed")
            throw ExitCode(1)
        }
        try await checkAlarms(ctx)
        return plan
    }

    /// The alarms platform.yaml's `rollout:` watches must exist: a rollout that could not read
    /// them would halt at its first wave, so a plan names the missing one at once.
    static func checkAlarms(_ ctx: Context) async throws {
        let alarms = ctx.fleet.platform.rollout.alarms
        guard !alarms.isEmpty else { return }
        do {
            let source = try CloudWatchAlarms(
                region: ctx.fleet.platform.providerSettings("aws")["region"]?.stringValue, environment: ProcessInfo.processInfo.environment)
            _ = try await source.firing(alarms)
        } catch {
            ctx.output.error("\(ctx.fleet.platform.file): rollout alarms: \(error); nothing was changed")
            throw ExitCode(1)
        }
    }
}

extension Planning {
    /// The local plan cache, `.landlord/cache/plan-cache` beside platform.yaml (whatever the
    /// state backend: it is this machine's, never shared); nil with `LANDLORD_PLAN_CACHE=0`.
    /// Its context names what else decides plans: this program (the SHA-256 of its bytes,
    /// `ProgramDigest`, so a rebuilt landlord plans everything again while the same binary
    /// installed on another CI runner finds the cache it left), the simulated cloud in place of
    /// the platform's providers, and the state key.
    static func planCache(_ ctx: Context) -> PlanCacheSettings? {
        let env = ProcessInfo.processInfo.environment
        if env["LANDLORD_PLAN_CACHE"] == "0" { return nil }
        let cache = ctx.root.appendingPathComponent(".landlord/cache")
        var program = "unknown"
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            // Unreadable: the program's identity here, so a rebuilt one still plans everything.
            program = ProgramDigest.of(path, memo: cache.appendingPathComponent("program-digest").path) ?? ProgramDigest.identity(path)?.text ?? path
        }
        let context =
            "landlord \(LandlordVersion.current) commit \(BuildInfo.commit) program \(program) mock \(ctx.mock != nil) key \(ctx.cipher?.fingerprint ?? "none")"
        return PlanCacheSettings(path: cache.appendingPathComponent("plan-cache").path, context: context, environment: env)
    }

    /// `Refreshed N resources (D drifted) with C API calls in S s (...)` then one line per API
    /// operation.
    static func refreshSummary(_ r: RefreshReport) -> String {
        let total = r.totalCalls
        var s =
            "Refreshed \(r.resources) resource\(r.resources == 1 ? "" : "s") (\(r.drifted) drifted) with \(total) API call\(total == 1 ? "" : "s")"
        s += " in \(String(format: "%.1f", r.seconds)) s (\(r.groups) list read\(r.groups == 1 ? "" : "s"), \(r.single) single)"
        guard !r.calls.isEmpty else { return s }
        let width = r.calls.keys.map { $0.api.count + $0.operation.count + 1 }.max() ?? 0
        for (op, n) in r.calls.sorted(by: { $0.key < $1.key }) {
            let name = op.api + " " + op.operation
            s += "\n  " + name + String(repeating: " ", count: max(1, width - name.count + 2)) + String(n)
        }
        return s
    }
}

/// Keeps the refresh report until the plan is done, to print it with the plan's diagnostics.
final class RefreshHeard: RefreshObserver {
    private let heard = Mutex<RefreshReport?>(nil)
    var report: RefreshReport? { heard.withLock { $0 } }
    func refreshed(_ report: RefreshReport) {
        guard report.resources > 0 else { return }
        heard.withLock { $0 = report }
    }
}
