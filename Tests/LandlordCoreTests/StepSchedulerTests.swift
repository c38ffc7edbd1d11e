import ProviderAPI
import Testing

@testable import LandlordCore

/// The step scheduler's ordering: lower band first, then the heavier critical path, then plan
/// order; what a step's end makes ready or cancels.
@Suite struct StepSchedulerTests {
    typealias G = ApplyGraphTests

    @Test func theKeyOrdersByBandThenCriticalPathWeightThenIndex() {
        let p = { (band: Int, weight: Int, index: Int) in StepPriority(band: band, weight: weight, index: index) }
        #expect(p(0, 5, 9) < p(0, 2, 1), "a heavier chain goes first")
        #expect(p(0, 2, 1) < p(0, 2, 3), "equal weight: plan order")
        #expect(p(0, 1, 99) < p(1, 9, 0), "a lower band goes first whatever its weight")
        #expect(!(p(0, 2, 3) < p(0, 2, 3)))
        let shuffled = [p(1, 1, 7), p(0, 1, 4), p(0, 3, 6), p(1, 4, 5), p(0, 3, 2), p(0, 1, 0)]
        #expect(shuffled.sorted().map(\.index) == [2, 6, 0, 4, 5, 7])
    }

    /// Pops every step, marking each done as it goes (one at a time).
    static func drain(_ s: inout StepScheduler) -> [Int] {
        var order: [Int] = []
        while let i = s.next() {
            order.append(i)
            s.succeeded(i)
        }
        return order
    }

    @Test func aStepWithALongerChainAfterItGoesFirstThenPlanOrder() {
        // Step 0 (a) stands alone; 1 (b) heads a chain b -> c -> d (d waits for c, c for b).
        let tp = G.tenant([
            G.change("a", .create),
            G.change("b", .create),
            G.change("c", .create, deps: ["b"]),
            G.change("d", .create, deps: ["c"]),
            G.change("e", .create),
        ])
        var s = StepScheduler(graph: ApplyGraph(tenants: [tp]), band: 10)
        // b's chain goes first; once c is ready it outweighs a and e, and d ties with them: plan order.
        #expect(Self.drain(&s) == [1, 2, 0, 3, 4])
    }

    @Test func weightCountsWaitsAndTenantsGoInBands() {
        // Two tenants per band. Tenant 2's heavier chain waits for the first band's lighter steps.
        func tenant(_ id: String, waits: Bool) -> TenantPlan {
            var x = G.change("x", .create, tenant: id)
            if waits { x.wait = WaitSpec(until: "stable", timeout: 1) }
            return G.tenant([x, G.change("y", .create, tenant: id)], id: id)
        }
        let graph = ApplyGraph(tenants: [tenant("t0", waits: false), tenant("t1", waits: true), tenant("t2", waits: true)])
        var s = StepScheduler(graph: graph, band: 2)
        // t1's x (weight 2) first; then t0's x, t0's y, t1's y in plan order; then band 1.
        #expect(Self.drain(&s) == [2, 0, 1, 3, 4, 5])
    }

    @Test func aFailureCancelsEverythingDownstreamAndNothingElse() {
        let tp = G.tenant([
            G.change("a", .create),
            G.change("b", .create, deps: ["a"]),
            G.change("c", .create, deps: ["b"]),
            G.change("d", .create),
        ])
        var s = StepScheduler(graph: ApplyGraph(tenants: [tp]), band: 1)
        #expect(s.next() == 0)
        #expect(s.failed(0).sorted() == [1, 2])
        #expect(s.cancelled == [false, true, true, false])
        #expect(s.next() == 3)
        #expect(s.next() == nil && s.isEmpty)
    }

    @Test func stepsOfACyclicTenantNeverRun() {
        let tenants = [
            G.tenant([G.change("x", .create, deps: ["y"], tenant: "a"), G.change("y", .create, deps: ["x"], tenant: "a")], id: "a"),
            G.tenant([G.change("z", .create, tenant: "b")], id: "b"),
        ]
        let graph = ApplyGraph(tenants: tenants)
        var s = StepScheduler(graph: graph, band: 4)
        #expect(s.cancelled == [true, true, false])
        #expect(Self.drain(&s) == [2])
        let tally = StepTally(tenants, graph)
        #expect(tally.outcomes[0].skipped == 2 && tally.isFinished(0))
        #expect(tally.outcomes[0].errors.count == 1)
    }
}
