import Foundation
import LandlordBasics
import LandlordCore
import LandlordEvents
import LandlordHTTP
import ProviderAPI
import Synchronization

/// The lifecycle's workers: the apply queue (every tenant queued meanwhile in one plan and one
/// rollout), approval timeouts, repairs after a crash, and the recording of outcomes.
extension TenantService {
    /// Runs the apply worker and the approval timer until cancelled; records left queued by an
    /// earlier run are finished first.
    public func run() async {
        repair()
        wake.yield()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.applyLoop() }
            group.addTask { await self.timeoutLoop() }
            group.addTask { await self.driftLoop() }
            group.addTask {
                await self.outbox.deliver(log: self.log)
            }
            // The apply, timeout and drift loops end after ``stopTakingWork()`` (or
            // cancellation); the events they recorded are durable, so delivery stops with them.
            _ = await group.next()
            _ = await group.next()
            _ = await group.next()
            group.cancelAll()
        }
    }

    /// Graceful shutdown: the apply worker finishes the batch in hand and ``run()`` returns
    /// without starting another; what is still queued stays recorded for the next start.
    public nonisolated func stopTakingWork() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        wake.finish()
    }

    /// Files a crash kept from being written or removed: a queued tenant gets its file, one
    /// awaiting approval its file with `approval: pending`, and one rejected, timed out or
    /// deleted before provisioning loses its `approval: pending` file.
    func repair() {
        for r in byID.values.sorted(by: { $0.id < $1.id }) {
            let spec = fleet.tenant(r.id)
            switch r.status {
            case .provisioning where spec == nil || spec?.approvalPending == true:
                place(r.id, text: r.document)
            case .pendingApproval where spec == nil:
                place(r.id, text: TenantDocument.pending(r.document))
            case .rejected, .timedOut, .deleted, .failed:
                withdraw(r.id)
            default:
                break
            }
        }
    }

    /// Writes `tenants/ID.yaml` with `text` and puts the tenant in the fleet, when it reads.
    func place(_ id: String, text: String) {
        let (spec, diags) = loader.readTenant(text, file: "tenants/\(id).yaml", fleet: fleet)
        guard let spec, !diags.hasErrors, (try? Self.writeTenantFile(root, id: id, text: text)) != nil else { return }
        noteWritten("tenants/\(id).yaml")
        addToFleet(spec)
    }

    func applyLoop() async {
        for await _ in wakes { await drainQueue() }
    }

    /// Applies and destroys every queued tenant until none is left.
    func drainQueue() async {
        while !stopping.load(ordering: .sequentiallyConsistent) {
            await waitForAPause()
            // The files may have changed (a CI commit); an unreadable fleet holds the queue.
            if reloadFleetIfChanged() != nil { break }
            let provision = byID.values.filter { Self.applies.contains($0.status) && !busy($0.id) }.map(\.id).sorted()
            let destroy = byID.values.filter { $0.status == .deprovisioning && !busy($0.id) }
            if provision.isEmpty && destroy.isEmpty { break }
            if !provision.isEmpty { await provisionBatch(provision) }
            let forced = destroy.filter(\.force).map(\.id).sorted()
            let plain = destroy.filter { !$0.force }.map(\.id).sorted()
            if !forced.isEmpty { await destroyBatch(forced, force: true) }
            if !plain.isEmpty { await destroyBatch(plain, force: false) }
            try? runtime.mock?.cloud.compactIfWorthIt()
        }
    }

    /// While creates keep arriving (a burst of POSTs), provisioning waits for a pause of
    /// `burstPause` (an argument of the service's init) after the last one, and at most 12.5
    /// times that in all (a steady stream of creates is still provisioned, in batches): the
    /// requests do not queue behind applies for the cores meanwhile, and the burst goes into
    /// one batch.
    func waitForAPause() async {
        let start = ContinuousClock.now
        while let last = lastCreate, case let quiet = ContinuousClock.now - last, quiet < burstPause,
            ContinuousClock.now - start < burstPause * 12.5
        {
            try? await Task.sleep(for: burstPause - quiet)
        }
    }

    /// Work the CLI (`landlord tenant ...`) does in one go instead of ``run()``: the approval
    /// timeouts that passed, then every queued apply and destroy (a crashed run's included),
    /// returning when nothing is queued. Events are only recorded in the outbox.
    public func settle() async {
        expireOverdue()
        repair()
        await drainQueue()
    }

    /// Tenants awaiting approval past their deadline become `timed_out`.
    func expireOverdue() {
        let now = clock.date()
        for var r in byID.values where r.status == .pendingApproval && (r.deadline ?? .distantFuture) <= now && !busy(r.id) {
            let reason = "not approved within \(Self.duration((r.deadline ?? now).timeIntervalSince(r.createdAt)))"
            r.deadline = nil
            r.move(to: .timedOut, at: now, reason: reason)
            do { try commit(r, reason: reason, outputs: [:]) } catch {
                log("could not record that \(r.id) timed out: \(error); retrying")
                continue
            }
            withdraw(r.id)
        }
    }

    func timeoutLoop() async {
        while !Task.isCancelled && !stopping.load(ordering: .sequentiallyConsistent) {
            expireOverdue()
            if invalid != nil, reloadFleetIfChanged() == nil { wake.yield() }
            let now = clock.date()
            let next = byID.values.compactMap { $0.status == .pendingApproval ? $0.deadline : nil }.min()
            let wait = min(1, max(0.05, (next ?? now.addingTimeInterval(1)).timeIntervalSince(now)))
            await clock.sleep(seconds: wait)
        }
    }

    var workspace: Workspace { Workspace(fleet: fleet, store: runtime.store, providers: runtime.registry) }

    func applyOptions(_ operation: RunOperation) -> RolloutOptions {
        var o = ApplyOptions(
            parallelism: 10, lockTimeout: lockTimeout, lease: fleet.platform.state.lockLeaseSeconds, holder: LockHolder(operation: operation),
            platform: fleet.platform.name)
        o.batchWindow = 0.2
        return RolloutOptions(apply: o)
    }

    /// The blueprints' health checks for the tenants the service provisions, each judged on its
    /// own (no wave halts another tenant): one that fails them is `failed`, and with
    /// `rollout: {onFailure: rollback}` its resources are rolled back. Nil without checks.
    func healthGate() -> RolloutGate? {
        guard fleet.blueprints.values.contains(where: { !$0.health.isEmpty }) else { return nil }
        var policy = RolloutPolicy()
        policy.failureBudget = .percent(100)
        policy.onFailure = fleet.platform.rollout.onFailure
        var gate = RolloutGate(policy: policy, probe: HTTPHealthProbe(), operation: "serve")
        gate.keepsRecord = false
        return gate
    }

    /// Plans and applies `ids` together (each alone when the plan of all fails, so one bad
    /// tenant fails only itself).
    func provisionBatch(_ ids: [String]) async {
        inFlight.formUnion(ids)
        defer { inFlight.subtract(ids) }
        let started = Date()
        let ws = workspace
        let outcome = await ws.plan(PlanOptions(tenants: Set(ids)))
        let plan = outcome.plan
        let diags = outcome.diagnostics
        guard let plan else {
            if ids.count > 1 {
                for id in ids { await provisionBatch([id]) }
                return
            }
            await finish(ids[0], .failed, started, error: Self.failure("plan_failed", "planning the tenant failed", diags))
            return
        }
        var options = applyOptions("serve")
        options.gate = healthGate()
        let result = await Rollout.run(plan: plan, workspace: ws, options: options, observer: observe?(plan) ?? SilentObserver()) {
            stale in
            await ws.plan(PlanOptions(tenants: stale)).plan
        }
        await settle(ids, result, started, success: .active)
    }

    /// Destroys `ids` like `landlord destroy`, then removes their files.
    func destroyBatch(_ ids: [String], force: Bool) async {
        inFlight.formUnion(ids)
        defer { inFlight.subtract(ids) }
        let started = Date()
        let ws = workspace
        let outcome = await ws.plan(PlanOptions(tenants: Set(ids), destroy: Set(ids), allowProtectedDeletes: force))
        let plan = outcome.plan
        let diags = outcome.diagnostics
        guard let plan else {
            if ids.count > 1 {
                for id in ids { await destroyBatch([id], force: force) }
                return
            }
            await finish(
                ids[0], .failed, started,
                error: Self.failure("destroy_failed", "planning the destroy failed (protected resources need DELETE ...?force=true)", diags))
            return
        }
        let result = await Rollout.run(
            plan: plan, workspace: ws, options: applyOptions("serve-destroy"), observer: observe?(plan) ?? SilentObserver())
        await settle(ids, result, started, success: .deleted)
    }

    func settle(_ ids: [String], _ result: RolloutResult, _ started: Date, success: LifecycleStatus) async {
        let outcomes = Dictionary(result.tenants.map { ($0.tenant, $0) }, uniquingKeysWith: { a, _ in a })
        var outputs: [String: [String: Value]] = [:]
        if success == .active, let states = try? await runtime.store.loadTenants(ids) {
            outputs = states.mapValues(tenantOutputs)
        }
        var changed: [Change] = []
        for id in ids {
            if let o = outcomes[id], o.status == .failed {
                let d = Diagnostics(o.errors)
                changed += finished(
                    id, .failed, started,
                    error: Self.failure("apply_failed", "\(d.errors.count) change(s) failed; fix the cause and delete or re-create the tenant", d))
            } else if let why = result.unhealthy[id] {
                let rolledBack = result.rolledBack.contains(id) ? "; its resources were rolled back" : ""
                changed += finished(
                    id, .failed, started,
                    error: Self.failure(
                        "health_check_failed", "the tenant failed its health checks\(rolledBack): \(why); fix the cause and re-create the tenant",
                        Diagnostics()))
            } else if result.replanFailed || result.untouched.contains(id) {
                changed += finished(id, .failed, started, error: Self.failure("apply_failed", "the tenant was not applied", result.diagnostics))
            } else {
                if success == .deleted { unplace(id) }
                // A deleted tenant's event lists its `deletion: snapshot` exports, as the CLI's does.
                let exports = success == .deleted ? outcomes[id]?.exports ?? [:] : [:]
                changed += finished(id, success, started, outputs: outputs[id] ?? [:], exports: exports)
            }
        }
        await persist(changed)
    }

    /// A record to write and the event of its new status.
    struct Change: Sendable {
        var record: TenantRecord
        var event: Value?
    }

    /// The record of `id` moved to its outcome and its event; ``persist(_:)`` writes them and
    /// then shows them (the tenant stays in `inFlight`, so nothing else changes it until then).
    func finished(
        _ id: String, _ status: LifecycleStatus, _ started: Date, error: ErrorBody? = nil, outputs: [String: Value] = [:],
        exports: [String: ExportRecord] = [:]
    ) -> [Change] {
        guard var r = byID[id] else { return [] }
        let status = status == .active && r.status == .suspending ? .suspended : status
        let event = Self.eventStatus(status, was: r.status)
        r.error = error
        r.move(to: status, at: clock.date(), reason: error?.message)
        metrics.applyFinished(outcome: status.rawValue, seconds: Date().timeIntervalSince(started))
        return [
            Change(
                record: r,
                event: event.map {
                    outbox.event(
                        tenant: r.id, blueprint: r.blueprint, status: $0, reason: error?.message, outputs: outputs, at: clock.date(),
                        exports: exports)
                }
            )
        ]
    }

    func finish(_ id: String, _ status: LifecycleStatus, _ started: Date, error: ErrorBody? = nil) async {
        await persist(finished(id, status, started, error: error))
    }

    /// Writes events and records off the actor (requests go on meanwhile), in order, then
    /// makes the new statuses visible: what a GET shows is on disk.
    func persist(_ changes: [Change]) async {
        guard !changes.isEmpty else { return }
        defer {
            for c in changes {
                announce(c.record, was: byID[c.record.id]?.status)
                byID[c.record.id] = c.record
            }
        }
        do {
            try await records.save(changes.map { RecordChange(record: $0.record, events: $0.event.map { [$0] } ?? []) })
        } catch {
            log("could not record the outcome of \(changes.map(\.record.id).joined(separator: ", ")): \(error); a restart applies them again")
        }
    }
}
