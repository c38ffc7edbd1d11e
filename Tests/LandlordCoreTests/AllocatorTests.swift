import Foundation
import ProviderAPI
import Testing

@testable import LandlordCore

/// The one priority allocator, used by planning and by apply's commit: bands, foreign
/// priorities, release and reuse, a full band.
@Suite struct AllocatorTests {
    static let listener = "arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/alb-1/1/2"
    /// A rule priority's full range.
    static let range = 1...50_000

    func allocator(_ state: PlatformState = PlatformState(), foreign: Set<Int> = []) -> Allocator {
        Allocator(state: state, foreign: foreign.isEmpty ? [:] : [Self.listener: foreign])
    }

    @Test func aBandedPriorityIsTheLowestFreeOneInsideTheBand() {
        var a = allocator()
        #expect(a.number(tenant: "acme", resource: "rule", scope: Self.listener, band: 1000...1999, range: Self.range) == 1000)
        #expect(a.number(tenant: "globex", resource: "rule", scope: Self.listener, band: 1000...1999, range: Self.range) == 1001)
        #expect(a.allocations["acme"]?.bands["rule"] == 1000...1999, "the band travels with the allocation")
    }

    /// A placed tenant that needs more (a tier upgrade) must fit on its own listener.
    @Test func aPlacedTenantGrowsOnlyWithinItsListenersLimits() {
        var state = PlatformState()
        state.allocations["acme"] = TenantAllocation(member: Self.listener, usage: ["rules": 1, "targetGroups": 1])
        state.allocations["globex"] = TenantAllocation(member: Self.listener, usage: ["rules": 2, "targetGroups": 1])
        let pools = ["listeners": [PoolMember(id: Self.listener, limits: ["rules": 4, "targetGroups": 100])]]
        var a = Allocator(pools: pools, state: state)
        #expect(a.grow(tenant: "acme", pool: "listeners", needs: ["rules": 2, "targetGroups": 2]) == nil, "4 of 4 rules: fits")
        #expect(a.allocations["acme"]?.usage == ["rules": 2, "targetGroups": 2])
        #expect(a.grow(tenant: "globex", pool: "listeners", needs: ["rules": 3, "targetGroups": 1]) == ["rules"], "5 of 4 rules")
        #expect(a.grow(tenant: "initech", pool: "listeners", needs: ["rules": 1]) == nil, "not placed: place() decides")
    }

    @Test func foreignPrioritiesAreSkipped() {
        var a = allocator(foreign: [1, 2, 1000])
        #expect(a.number(tenant: "acme", resource: "rule", scope: Self.listener, band: nil, range: Self.range) == 3)
        #expect(a.number(tenant: "globex", resource: "rule", scope: Self.listener, band: 1000...1001, range: Self.range) == 1001)
    }

    @Test func aReleasedPriorityIsReusedByTheNextTenant() {
        var state = PlatformState()
        state.allocations["acme"] = TenantAllocation(member: Self.listener, numbers: ["rule": 1000])
        state.allocations["globex"] = TenantAllocation(member: Self.listener, numbers: ["rule": 1001])
        var a = allocator(state)
        #expect(a.number(tenant: "initech", resource: "rule", scope: Self.listener, band: 1000...1999, range: Self.range) == 1002)
        state.allocations["acme"] = nil  // acme destroyed: its priority is released
        var b = allocator(state)
        #expect(b.number(tenant: "initech", resource: "rule", scope: Self.listener, band: 1000...1999, range: Self.range) == 1000)
    }

    @Test func aFullBandGivesNoPriority() {
        var state = PlatformState()
        state.allocations["acme"] = TenantAllocation(member: Self.listener, numbers: ["a": 10, "b": 11])
        var a = allocator(state, foreign: [12])
        #expect(a.number(tenant: "globex", resource: "rule", scope: Self.listener, band: 10...12, range: Self.range) == nil)
    }

    @Test func commitKeepsAFreePlannedPriority() throws {
        var a = allocator()
        let planned = TenantAllocation(member: Self.listener, numbers: ["rule": 1500], bands: ["rule": 1000...1999])
        #expect(try a.commit(tenant: "acme", planned: planned).get() == ["rule": 1500])
    }

    @Test func commitReallocatesATakenPriorityInsideTheBandAroundForeignRules() throws {
        // A concurrent apply committed globex on 1000 (the planned priority of acme too), and
        // rules Landlord does not own hold 1 and 1001.
        var state = PlatformState()
        state.allocations["globex"] = TenantAllocation(member: Self.listener, numbers: ["rule": 1000])
        var a = allocator(state, foreign: [1, 1001])
        let planned = TenantAllocation(member: Self.listener, numbers: ["rule": 1000], bands: ["rule": 1000...1999])
        #expect(try a.commit(tenant: "acme", planned: planned).get() == ["rule": 1002])
    }

    @Test func commitNeverMovesOneOfTheTenantsOwnPlannedPriorities() throws {
        var state = PlatformState()
        state.allocations["globex"] = TenantAllocation(member: Self.listener, numbers: ["rule": 1000])
        var a = allocator(state)
        let planned = TenantAllocation(
            member: Self.listener, numbers: ["api": 1000, "web": 1001], bands: ["api": 1000...1999, "web": 1000...1999])
        #expect(try a.commit(tenant: "acme", planned: planned).get() == ["api": 1002, "web": 1001])
    }

    @Test func commitFailsWhenTheBandIsFull() {
        var state = PlatformState()
        state.allocations["globex"] = TenantAllocation(member: Self.listener, numbers: ["rule": 1000, "other": 1001])
        var a = allocator(state)
        let planned = TenantAllocation(member: Self.listener, numbers: ["rule": 1000], bands: ["rule": 1000...1001])
        guard case .failure(let full) = a.commit(tenant: "acme", planned: planned) else {
            Issue.record("a full band must fail the commit")
            return
        }
        #expect(full.resource == "rule" && full.band == 1000...1001)
    }

    @Test func aPlanFileKeepsBandsAndForeignPriorities() throws {
        var tp = TenantPlan(tenant: "acme", blueprint: "web", operation: .provision)
        tp.allocation = TenantAllocation(member: Self.listener, numbers: ["rule": 1000], usage: ["rules": 1], bands: ["rule": 1000...1999])
        var plan = Plan(toolVersion: "test", platform: "p", tenants: [tp], unchangedTenants: 0)
        plan.foreignPriorities = [Self.listener: [1, 7]]
        let back = try PlanFile.decode(PlanFile.encode(plan))
        #expect(back.tenants.first?.allocation?.bands == ["rule": 1000...1999])
        #expect(back.foreignPriorities == [Self.listener: [1, 7]])
    }
}
