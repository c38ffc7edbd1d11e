import Foundation
import ProviderAPI

/// `landlord rollout resume|abort|release`: what continues, undoes or forgets a rollout.
public enum RolloutControl {
    /// Why `resume` refused.
    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Releases the named held tenants (nil: all); returns those that were held.
    public static func release(_ tenants: [String]?, store: RolloutStore) async throws -> [String] {
        try await store.updateHeld { held in
            let ids = tenants ?? held.keys.sorted()
            let found = ids.filter { held[$0] != nil }
            for t in found { held[t] = nil }
            return found
        }
    }

    /// The tenants `resume` still has to apply: the waves after the last one judged.
    public static func remaining(_ record: RolloutRecord) -> [String] {
        record.waves.dropFirst(record.wavesDone).flatMap { $0 }.filter { record.tenants[$0]?.outcome == .pending }
    }

    /// Continues the last rollout: finishes a rollback a kill interrupted, then applies the
    /// waves after the one it halted at from `plan` (the remaining tenants planned again),
    /// refusing when a tenant's plan is no longer the one the rollout started with.
    public static func resume(
        plan: Plan, workspace: Workspace, options: RolloutOptions, observer: any ApplyObserver, replan: Rollout.Replanner?
    ) async throws -> RolloutResult {
        guard let store = RolloutStore(workspace.store), let gate = options.gate else {
            throw Refusal(description: "this state backend keeps no rollout records")
        }
        guard var record = try await store.current() else { throw Refusal(description: "there is no rollout to resume") }
        guard record.resumable else {
            throw Refusal(description: "rollout \(record.id) is \(record.phase.rawValue): there is nothing to resume; apply starts a new one")
        }
        var run = GatedRun(gate: gate, store: store, workspace: workspace, options: options, observer: observer, record: record)
        var result = RolloutResult(progress: plan)
        result.rollout = record.id
        if !record.rollbackPending.isEmpty {
            await finishRollback(&run, &result)
            record = run.record
        }
        // The approved change is the spec: a tenant whose state moved under this rollout (a wave
        // killed midway) is planned again from where it is, but one whose spec changed is not
        // the change that was approved.
        var stale: [String] = []
        for t in plan.tenants where record.tenants[t.tenant]?.outcome == .pending {
            if record.tenants[t.tenant]?.inputDigest != t.inputDigest { stale.append(t.tenant) }
        }
        if !stale.isEmpty {
            throw Refusal(
                description:
                    "the plan for \(stale.count) tenant\(stale.count == 1 ? "" : "s") (\(stale.prefix(10).joined(separator: ", "))) "
                    + "is no longer the one rollout \(record.id) started with: "
                    + "their tenant file, blueprint or platform changed since; start a new rollout with `landlord apply`"
            )
        }
        guard record.wavesDone < record.waves.count else {
            // Nothing left to apply: a halted rollout stays halted (its holds stand).
            if record.haltReason == nil {
                record.phase = .completed
                try await store.save(record)
            }
            return result
        }
        let source = Rollout.Source(pending: remaining(record), segment: Int.max) { names in
            let wanted = Set(names)
            var sub = plan
            sub.tenants = plan.tenants.filter { wanted.contains($0.tenant) }
            return sub
        }
        var resumed = await Rollout.run(
            source, progress: plan, workspace: workspace, options: options, observer: observer, replan: replan, resuming: record)
        resumed.rolledBack += result.rolledBack
        resumed.notRolledBack.merge(result.notRolledBack) { a, _ in a }
        return resumed
    }

    /// Rolls back every tenant the last rollout changed (newest wave first), then ends it.
    public static func abort(workspace: Workspace, options: RolloutOptions, observer: any ApplyObserver) async throws -> RolloutResult {
        guard let store = RolloutStore(workspace.store), let gate = options.gate else {
            throw Refusal(description: "this state backend keeps no rollout records")
        }
        guard var record = try await store.current() else { throw Refusal(description: "there is no rollout to abort") }
        guard record.phase != .aborted else { throw Refusal(description: "rollout \(record.id) was aborted already") }
        record.rollbackPending =
            record.tenants.filter { $0.value.outcome == .done || $0.value.outcome == .failed }.map(\.key).sorted()
            + record.rollbackPending.filter { record.tenants[$0]?.outcome != .done && record.tenants[$0]?.outcome != .failed }
        record.phase = .rollingBack
        record.haltReason = record.haltReason ?? "aborted"
        var run = GatedRun(gate: gate, store: store, workspace: workspace, options: options, observer: observer, record: record)
        await run.save()
        var result = RolloutResult(
            progress: Plan(toolVersion: LandlordVersion.current, platform: workspace.fleet.platform.name, tenants: [], unchangedTenants: 0))
        result.rollout = record.id
        await finishRollback(&run, &result)
        run.record.phase = .aborted
        await run.save()
        run.notice(RolloutNotice(.rolledBack, rollout: record.id, "rollout \(record.id) aborted: \(result.rolledBack.count) tenant(s) rolled back"))
        return result
    }

    /// Rolls back the record's pending tenants, newest wave first, holding them.
    static func finishRollback(_ run: inout GatedRun, _ result: inout RolloutResult) async {
        let pending = run.record.rollbackPending
        let byWave = Dictionary(grouping: pending) { run.record.tenants[$0]?.wave ?? 0 }
        for wave in byWave.keys.sorted(by: >) where wave > 0 {
            let tenants = byWave[wave, default: []].sorted()
            let done = await RollbackRun.rollBack(tenants, wave: wave, run: run, why: run.record.haltReason ?? "resumed rollback")
            run.record.note(done)
            run.record.rollbackPending = pending.filter { t in !tenants.contains(t) && (run.record.tenants[t]?.wave ?? 0) < wave }
            await run.save()
            var v = WaveVerdict()
            v.rolledBack = done.rolledBack
            v.notRolledBack = done.refused
            v.halt = run.record.haltReason
            await run.hold(wave: wave, v)
            result.rolledBack += done.rolledBack
            result.notRolledBack.merge(done.refused) { a, _ in a }
        }
        run.record.rollbackPending = []
        run.record.phase = .halted
        await run.save()
    }
}
