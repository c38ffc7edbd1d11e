import Foundation
import LandlordBasics
import LandlordCore
import MockProvider
import Synchronization
import Testing

/// The engine's rollout entry point, driven directly (no binary): waves, the stop after a failed
/// wave, `maxTenants` with a saved plan, re-planning after a lock wait, and saved-plan checks.
@Suite struct RolloutEngineTests {
    /// Every event an observer heard, in order.
    final class Recorder: ApplyObserver, Sendable {
        let events = Mutex<[ApplyEvent]>([])
        /// The tenants each call of the replanner was asked for.
        let asked = Mutex<[Set<String>]>([])
        func handle(_ event: ApplyEvent) { events.withLock { $0.append(event) } }

        /// `(wave, waves, tenants, failed)` of each `.waveFinished`.
        var waves: [[Int]] {
            events.withLock { all in
                all.compactMap { e in
                    if case .waveFinished(let w, let n, let t, let f) = e { return [w, n, t, f] }
                    return nil
                }
            }
        }

        var replanned: [[String]] {
            events.withLock { all in
                all.compactMap { e in
                    if case .replanning(let t, _) = e { return t }
                    return nil
                }
            }
        }
    }

    /// The quickstart plus t1...tN of the web blueprint.

    func fleet(_ count: Int) throws -> Harness { try Harness.withWebTenants(count) }

    func options(_ ws: Workspace, waves: [WaveSize] = [], maxTenants: Int? = nil, lockTimeout: Double = 0, planFile: String? = nil)
        -> RolloutOptions
    {
        var apply = ApplyOptions(lockTimeout: lockTimeout, holder: LockHolder(operation: "test"), platform: ws.fleet.platform.name)
        apply.batchWindow = 0
        return RolloutOptions(apply: apply, maxTenants: maxTenants, waves: waves, planFile: planFile)
    }

    @Test func waveSizesSplitAsDocumented() throws {
        let ids = (1...20).map { "t\($0)" }
        let apply = ApplyOptions(holder: LockHolder(operation: "test"), platform: "p")
        let (waves, later) = RolloutOptions(apply: apply, waves: [.count(1), .percent(10), .percent(100)]).split(ids)
        #expect(waves.map(\.count) == [1, 2, 17])
        #expect(later.isEmpty)
        let capped = RolloutOptions(apply: apply, maxTenants: 5, waves: [.count(2)]).split(ids)
        #expect(capped.waves.map(\.count) == [2, 2, 1])
        #expect(capped.later.count == 15)
        #expect(RolloutOptions(apply: apply).split(ids).waves == [ids])
        #expect(try WaveSize.parseList("1, 10%,100%") == [.count(1), .percent(10), .percent(100)])
        #expect(throws: InvalidWaveSize.self) { try WaveSize.parseList("1,ten") }
    }

    @Test func wavesOfOneTenPercentAndTheRestApplyEveryTenantAndReportEachWave() async throws {
        let h = try fleet(8)  // 10 tenants: 1, then 10% (1), then the remaining 8
        let ws = try h.workspace()
        let recorder = Recorder()
        let r = await Rollout.run(
            plan: try await h.plan(), workspace: ws, options: options(ws, waves: [.count(1), .percent(10), .percent(100)]), observer: recorder)
        #expect(!r.failed, "\(r.diagnostics.errors)")
        #expect(recorder.waves == [[1, 3, 1, 0], [2, 3, 1, 0], [3, 3, 8, 0]])
        #expect(r.waves == 3 && r.tenants.count == 10 && r.untouched.isEmpty && r.later.isEmpty)
        #expect(try await h.plan().isEmpty)
    }

    @Test func aFailedWaveStopsTheRolloutAndLeavesLaterWavesUntouched() async throws {
        var h = try fleet(8)
        h.settings.failMatch = "t3/"
        let ws = try h.workspace()
        let recorder = Recorder()
        // Waves of 1, 2, then 4: acme | globex, t1 | t2..t5 | t6..t8. t3 fails in the third wave.
        let r = await Rollout.run(
            plan: try await h.plan(), workspace: ws, options: options(ws, waves: [.count(1), .count(2), .count(4)]), observer: recorder)
        #expect(r.failed)
        #expect(r.failedTenants == ["t3"])
        #expect(r.untouched == ["t6", "t7", "t8"])
        #expect(recorder.waves == [[1, 4, 1, 0], [2, 4, 2, 0], [3, 4, 4, 1]])
        #expect(r.progress.appliedTenants == ["acme", "globex", "t1", "t2", "t4", "t5"])
        #expect(try await h.store.loadTenant("t6") == nil)
    }

    @Test func maxTenantsLeavesTheRestForTheNextRunAndTheSavedPlanRecordsWhatWasApplied() async throws {
        let h = try fleet(3)  // 5 tenants
        let ws = try h.workspace()
        let file = h.dir.appendingPathComponent("fleet.plan").path
        try AtomicFile.write(PlanFile.encode(try await h.plan()), to: file, durable: false)
        let saved = try PlanFile.decode(try #require(AtomicFile.read(file)))
        let plan = try await Rollout.prepare(saved: saved, workspace: ws).get()
        let first = await Rollout.run(plan: plan, workspace: ws, options: options(ws, maxTenants: 2, planFile: file))
        #expect(!first.failed)
        #expect(first.tenants.map(\.tenant) == ["acme", "globex"])
        #expect(first.later == ["t1", "t2", "t3"])
        let recorded = try PlanFile.decode(try #require(AtomicFile.read(file)))
        #expect(recorded.appliedTenants == ["acme", "globex"])
        // The next run of the same file applies the rest, and only the rest.
        let again = try await Rollout.prepare(saved: recorded, workspace: ws).get()
        let second = await Rollout.run(plan: again, workspace: ws, options: options(ws, planFile: file))
        #expect(!second.failed)
        #expect(second.tenants.map(\.tenant) == ["t1", "t2", "t3"])
        #expect(try PlanFile.decode(try #require(AtomicFile.read(file))).appliedTenants.count == 5)
        #expect(try await h.plan().isEmpty)
    }

    @Test func aTenantWhoseStateMovedWhileWaitingForItsLockIsPlannedAgain() async throws {
        let h = try Harness()
        try await h.apply()
        try h.edit("tenants/acme.yaml") { $0.replacingOccurrences(of: "backend:1.4.2", with: "backend:1.4.3") }
        let ws = try h.workspace()
        let plan = try await h.plan(PlanOptions(tenants: ["acme"]))
        let other = LockHolder(id: "other-run", host: "ci-runner-7", pid: 4242, startedAt: Date(), operation: "apply")
        _ = try await h.store.acquireLock(tenant: "acme", holder: other, lease: 600, timeout: 0)
        let recorder = Recorder()
        let rollout = Task {
            await Rollout.run(plan: plan, workspace: ws, options: options(ws, lockTimeout: 30), observer: recorder) { tenants in
                recorder.asked.withLock { $0.append(tenants) }
                return try? await h.plan(PlanOptions(tenants: tenants))
            }
        }
        // The other run writes acme's state while this one waits for the lock, then lets go.
        var state = try #require(try await h.store.loadTenant("acme"))
        state.serial += 1
        try await h.store.saveTenant(state)
        try await h.store.releaseLock(tenant: "acme", holder: other)
        let r = await rollout.value
        #expect(!r.failed, "\(r.diagnostics.errors)")
        #expect(recorder.replanned == [["acme"]])
        #expect(recorder.asked.withLock { $0 } == [["acme"]])
        #expect(r.tenants.map(\.tenant) == ["acme"] && r.tenants[0].applied > 0)
        #expect(try await h.plan(PlanOptions(tenants: ["acme"])).isEmpty)
    }

    @Test func aSavedPlanIsCheckedAndItsSecretsRestoredFromItsOwnTenantsOnly() async throws {
        let h = try Harness()
        let ws = try h.workspace()
        let saved = try PlanFile.decode(PlanFile.encode(try await h.plan(PlanOptions(tenants: ["acme"]))))
        // globex is not in the plan: its state is not even read (here it is unreadable).
        try h.write(".landlord/tenants/globex.json", "not json")
        let plan = try await Rollout.prepare(saved: saved, workspace: ws).get()
        let task = try #require(plan.tenants.first?.changes.first { $0.address == "acme/backend_task" })
        #expect(task.after?["environment"]?.mapValue?["API_KEY"]?.revealed == .string("dev-only-api-key"))
        // A state that moved since planning makes the plan stale.
        try h.remove(".landlord/tenants/globex.json")
        try await h.apply(PlanOptions(tenants: ["acme"]))
        guard case .failure(.stale(let problems)) = await Rollout.prepare(saved: saved, workspace: ws) else {
            Issue.record("a plan whose state moved must be refused as stale")
            return
        }
        #expect(problems.contains { $0.contains("tenant 'acme': planned against no state") })
    }
}
