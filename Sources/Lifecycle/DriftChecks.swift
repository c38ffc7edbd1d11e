import Foundation
import LandlordBasics
import LandlordCore
import LandlordEvents
import ProviderAPI

/// What scheduled drift detection last found for one tenant.
struct DriftFinding: Sendable {
    /// When this drift was first found (kept while it stays the same).
    var at: Date
    /// The drifted resources as `GET /v1/tenants/{id}` shows them: [{address, type, action, attributes, reasons}].
    var resources: Value
    /// Set when `reconcile: auto` queued the apply that puts it back.
    var reconcile: String?

    var view: Value {
        var m: [String: Value] = ["at": .string(StateDates.seconds(at)), "resources": resources]
        if let r = reconcile { m["reconcile"] = .string(r) }
        return .map(m)
    }
}

/// The last scheduled drift check of the fleet.
struct DriftRun: Sendable {
    var at: Date
    var seconds: Double
    var tenants: Int
    var calls: Int
    var peakCallsPerSecond: Int
    var error: String?
}

/// Scheduled drift detection (platform.yaml `drift: {every, callsPerSecond}`): every period a
/// refreshing plan of the fleet (by listing, as `landlord plan` does), its provider reads paced
/// by ``DriftBudget``. Each tenant's drift is kept for `GET /v1/tenants/{id}` and `GET
/// /v1/drift`, a new or changed drift is announced (`landlord.tenant.drifted`), and a tenant
/// whose blueprint says `reconcile: auto` is queued for an apply that puts it back (with the
/// health checks of any change).
extension TenantService {
    /// Runs a check every `drift.every` (the first one period after the start) until stopped;
    /// platform.yaml's `drift:` is read again each time, so a change needs no restart.
    func driftLoop() async {
        var due: Date?
        while !Task.isCancelled && !stopping.load(ordering: .sequentiallyConsistent) {
            guard let schedule = fleet.platform.drift else {
                due = nil
                try? await Task.sleep(for: .seconds(1))
                continue
            }
            let next = due ?? Date().addingTimeInterval(schedule.every)
            due = next
            if Date() >= next {
                await checkDrift(schedule)
                due = Date().addingTimeInterval(schedule.every)
                continue
            }
            try? await Task.sleep(for: .seconds(min(1, max(0.05, next.timeIntervalSinceNow))))
        }
    }

    /// One check of the whole fleet.
    func checkDrift(_ schedule: DriftSchedule) async {
        if reloadFleetIfChanged() != nil { return }
        let budget = DriftBudget(callsPerSecond: schedule.callsPerSecond)
        let started = Date()
        let checked = fleet.tenants.count
        let ws = Workspace(fleet: fleet, store: runtime.store, providers: budget.pace(runtime.registry))
        let outcome = await ws.plan(PlanOptions(), refresh: true, listing: true)
        let (plan, diags) = (outcome.plan, outcome.diagnostics)
        var run = DriftRun(
            at: started, seconds: Date().timeIntervalSince(started), tenants: checked, calls: budget.calls,
            peakCallsPerSecond: budget.peakPerSecond)
        guard let plan else {
            run.error = diags.errors.first?.summary ?? "the plan failed"
            lastDrift = run
            log("drift check: the refreshing plan of the fleet failed: \(run.error ?? ""); the next check is in \(Self.duration(schedule.every))")
            return
        }
        lastDrift = run
        var found: [String: DriftFinding] = [:]
        var queued: [String] = []
        let now = Date()
        for d in TenantDrift.found(in: plan) {
            let id = d.tenant.tenant
            // A tenant being applied right now differs from its state for a moment: not drift.
            if busy(id) || byID[id].map({ Self.applies.contains($0.status) || $0.status == .deprovisioning }) == true { continue }
            let resources = d.resources
            let previous = drift[id]
            var finding = DriftFinding(at: previous?.resources == resources ? previous?.at ?? now : now, resources: resources)
            if previous?.resources != resources, let event = d.event(outbox, at: now) {
                do { try outbox.enqueue(event) } catch { log("drift check: could not record the drifted event of \(id): \(error)") }
            }
            if fleet.blueprints[d.tenant.blueprint]?.reconcile == .auto, reconcile(id, d) {
                finding.reconcile = "queued"
                queued.append(id)
            }
            found[id] = finding
        }
        drift = found
        let n = found.count
        log(
            "drift check: \(run.tenants) tenant(s) refreshed in \(String(format: "%.1f", run.seconds)) s, \(run.calls) provider call(s); "
                + "\(n) drifted\(queued.isEmpty ? "" : ", reconciling \(queued.joined(separator: ", "))")")
        if !queued.isEmpty { wake.yield() }
    }

    /// Queues the apply that puts `d` back (an active tenant is `updating`, a suspended one
    /// `suspending`, as for any change); false when the tenant has no record or is not settled.
    private func reconcile(_ id: String, _ d: TenantDrift) -> Bool {
        guard var r = byID[id], r.status == .active || r.status == .suspended else { return false }
        r.move(
            to: r.status == .suspended ? .suspending : .updating, at: clock.date(),
            reason: "reconcile: drift of " + d.changes.map(\.address).joined(separator: ", "))
        do { try commit(r) } catch {
            log("drift check: could not queue the reconciliation of \(id): \(error)")
            return false
        }
        return true
    }

    /// `GET /v1/drift`: the schedule, the last check, and every tenant it found drifted.
    public func driftSummary() -> LifecycleResult {
        var body: [String: Value] = [:]
        if let s = fleet.platform.drift {
            body["schedule"] = .map(["every": .string(Self.duration(s.every)), "callsPerSecond": s.callsPerSecond.map(Value.double) ?? .null])
        } else {
            body["schedule"] = .null
        }
        if let run = lastDrift {
            var m: [String: Value] = [
                "at": .string(StateDates.seconds(run.at)), "seconds": .double(run.seconds), "tenants": .int(run.tenants),
                "calls": .int(run.calls), "peakCallsPerSecond": .int(run.peakCallsPerSecond), "drifted": .int(drift.count),
            ]
            if let e = run.error { m["error"] = .string(e) }
            body["lastCheck"] = .map(m)
        } else {
            body["lastCheck"] = .null
        }
        body["tenants"] = .list(
            drift.keys.sorted().map { id in
                guard case .map(var m) = drift[id]!.view else { return .null }
                m["id"] = .string(id)
                return .map(m)
            })
        return .success(.map(body))
    }

    /// A tenant's view with its drift (`drift`: null when the last check found none).
    func withDrift(_ view: Value, _ id: String) -> Value {
        guard case .map(var m) = view, fleet.platform.drift != nil || drift[id] != nil else { return view }
        m["drift"] = drift[id]?.view ?? .null
        return .map(m)
    }
}
