import Foundation
import LandlordBasics
import LandlordCore
import MockProvider
import Synchronization
import Testing

/// A spooled plan applied a segment at a time (`Rollout.run(spool:...)`, what `landlord apply`
/// does after approval): later tenants are not read while earlier ones apply, and a failure in
/// the middle leaves state, allocations and the journal as a whole-plan apply would.
@Suite struct StreamingApplyTests {
    /// At each tenant's start and finish, how many tenants the spool had read back.
    final class Reads: ApplyObserver, Sendable {
        let spool = Mutex<PlanSpool?>(nil)
        /// `(tenant, started?, tenants read then)`, in event order.
        let seen = Mutex<[(String, Bool, Int)]>([])
        func handle(_ event: ApplyEvent) {
            let read = spool.withLock { $0?.tenantsRead ?? -1 }
            switch event {
            case .tenantStarted(let t, _): seen.withLock { $0.append((t, true, read)) }
            case .tenantFinished(let o): seen.withLock { $0.append((o.tenant, false, read)) }
            default: break
            }
        }
    }

    func options(_ ws: Workspace, segment: Int) -> RolloutOptions {
        var apply = ApplyOptions(parallelism: 2, holder: LockHolder(operation: "test"), platform: ws.fleet.platform.name)
        apply.batchWindow = 0
        var o = RolloutOptions(apply: apply)
        o.segment = segment
        return o
    }

    /// acme, globex, t1, t10, t2 ... t9: twelve tenants, segments of four.
    @Test func laterSegmentsAreReadOnlyOnceEarlierOnesAreDone() async throws {
        let h = try Harness.withWebTenants(10)
        let ws = try h.workspace()
        let plan = try await h.plan()
        let order = plan.tenants.map(\.tenant)
        #expect(order.count == 12)
        let spool = try PlanSpool(plan)
        #expect(spool.tenantsRead == 0)
        let reads = Reads()
        reads.spool.withLock { $0 = spool }
        let r = await Rollout.run(spool: spool, workspace: ws, options: options(ws, segment: 4), observer: reads)
        #expect(!r.failed, "\(r.diagnostics.errors)")
        #expect(r.tenants.map(\.tenant).sorted() == order.sorted())
        #expect(r.tenants.allSatisfy { $0.status == .active })
        // Each tenant was read once, and no tenant of a segment was read before every tenant
        // of the segments before it had finished.
        #expect(spool.tenantsRead == 12)
        let seen = reads.seen.withLock { $0 }
        for (tenant, started, read) in seen where started {
            let segment = try #require(order.firstIndex(of: tenant)) / 4
            #expect(read == 4 * (segment + 1), "\(tenant) started with \(read) tenants read")
            let finishedBefore = Set(seen.prefix { $0.0 != tenant || !$0.1 }.filter { !$0.1 }.map(\.0))
            #expect(Set(order.prefix(4 * segment)).isSubset(of: finishedBefore), "\(tenant) started before the earlier segments finished")
        }
        #expect(try await h.plan().isEmpty)
    }

    @Test func aFailedTenantMidStreamLeavesStateJournalAndAllocationsRightAndTheRestApplied() async throws {
        var h = try Harness.withWebTenants(10)
        h.settings.failMatch = "t4/"  // in the second segment of three
        let ws = try h.workspace()
        let plan = try await h.plan()
        let allocating = Set(plan.tenants.filter { $0.allocation != nil }.map(\.tenant))
        #expect(allocating.contains("t4") && allocating.contains("t9"))
        let spool = try PlanSpool(plan)
        let r = await Rollout.run(spool: spool, workspace: ws, options: options(ws, segment: 4))
        #expect(r.failed)
        #expect(r.failedTenants == ["t4"])
        // Segments are not waves: the third segment went on after the failure.
        #expect(r.untouched.isEmpty && r.later.isEmpty)
        #expect(r.tenants.count == 12)
        for t in spool.tenants.map(\.tenant) {
            let state = try #require(try await h.store.loadTenant(t), "no state for \(t)")
            #expect(state.status == (t == "t4" ? .failed : .active), "\(t): \(state.status)")
        }
        // No journal is left: every segment's run checkpointed its own.
        let journalDir = h.dir.appendingPathComponent(".landlord/state/journal").path
        let journals = ((try? FileManager.default.contentsOfDirectory(atPath: journalDir)) ?? []).filter { $0.hasSuffix(".wal") }
        #expect(journals.isEmpty)
        // Everything the cloud holds is in state, the failed tenant's partial work included.
        let recorded = Set(try await h.recorded().values.map(\.id))
        for res in try h.cloud() { #expect(recorded.contains(res.id), "\(res.type) \(res.id) is in the cloud but not in state") }
        // Allocations: every tenant that needed one holds it (the failed one too: its rules
        // exist), no two on one number of one member.
        let platform = try await h.store.loadPlatform()
        #expect(Set(spool.tenants.map(\.tenant).filter { platform.allocations[$0] != nil }) == allocating)
        let numbers = allocating.flatMap { t in platform.allocations[t]!.numbers.values.map { "\(platform.allocations[t]!.member)#\($0)" } }
        #expect(!numbers.isEmpty && Set(numbers).count == numbers.count)
        // The next apply finishes the failed tenant and nothing else.
        h.settings.failMatch = nil
        let again = try await h.plan()
        #expect(again.tenants.map(\.tenant) == ["t4"])
        let second = await Rollout.run(spool: try PlanSpool(again), workspace: try h.workspace(), options: options(ws, segment: 4))
        #expect(!second.failed, "\(second.diagnostics.errors)")
        #expect(try await h.plan().isEmpty)
    }
}
