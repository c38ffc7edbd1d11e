import Foundation
import ProviderAPI
import Synchronization
import Testing

@testable import LandlordCore

/// What an apply keeps of a tenant once its session is released (its allocation, in
/// ``ReleasedTenant``), and the table that releases it.
@Suite struct ReleasedTenantTests {
    static let listener = "arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/alb-1/1/2"

    /// Rules numbered by `priority`, each using one `rules`; target groups using one `targetGroups`.
    static var rules: AllocationRules {
        var r = AllocationRules([:])
        r.types["rule"] = .init(number: .init(attribute: "priority", range: 1...50_000, scopedBy: "listenerArn"))
        r.consumes["rule"] = [PoolUsage(pool: "listeners", capacity: "rules", unit: "rule")]
        r.consumes["tg"] = [PoolUsage(pool: "listeners", capacity: "targetGroups", unit: "target group")]
        return r
    }

    static func resource(_ type: String, _ inputs: [String: Value] = [:]) -> ResourceState {
        ResourceState(type: type, id: UUID().uuidString, inputs: inputs, outputs: [:], dependencies: [])
    }

    @Test func aHoldCountsNumbersByBaseNameAndCapacityByResource() {
        var state = TenantState(tenant: "acme", blueprint: "web")
        state.status = .active
        state.serial = 7
        state.resources["host_rule"] = Self.resource("rule", ["priority": .int(1000)])
        state.resources["api_rule#deposed"] = Self.resource("rule", ["priority": .int(1001)])
        state.resources["tg"] = Self.resource("tg")
        let hold = ReleasedTenant(state, rules: Self.rules)
        #expect(hold.serial == 7)
        #expect(!hold.empty)
        #expect(hold.status == .active)
        #expect(hold.numbers == ["host_rule": 1000, "api_rule": 1001], "a deposed rule's number is its base name's")
        #expect(hold.used == ["rules": 2, "targetGroups": 1])
        #expect(ReleasedTenant(TenantState(tenant: "gone", blueprint: "web"), rules: Self.rules).empty)
    }

    /// The release that ends an apply, from holds: an emptied tenant gives back its allocation
    /// and numbers; an active one keeps the numbers its resources hold and shrinks its usage to
    /// what they use; a failed one keeps what it had.
    @Test func allocationsFollowTheHolds() async throws {
        let store = PlatformOnlyStore()
        try await store.updatePlatform { p in
            p.allocations["active"] = TenantAllocation(member: Self.listener, numbers: ["a": 1, "b": 2], usage: ["rules": 2, "targetGroups": 1])
            p.allocations["emptied"] = TenantAllocation(member: Self.listener, numbers: ["a": 3], usage: ["rules": 1, "targetGroups": 1])
            p.allocations["failed"] = TenantAllocation(member: Self.listener, numbers: ["a": 4], usage: ["rules": 1, "targetGroups": 1])
            p.numbers["emptied"] = ["seq": 5]
        }
        var active = TenantState(tenant: "active", blueprint: "web")
        active.status = .active
        active.resources["a"] = Self.resource("rule", ["priority": .int(1)])  // b and the target group went (a downgrade)
        var failed = TenantState(tenant: "failed", blueprint: "web")
        failed.status = .failed
        failed.resources["x"] = Self.resource("tg")
        let holds = [
            "active": ReleasedTenant(active, rules: Self.rules),
            "emptied": ReleasedTenant(TenantState(tenant: "emptied", blueprint: "web"), rules: Self.rules),
            "failed": ReleasedTenant(failed, rules: Self.rules),
        ]
        try await Applier.releaseAllocations(holds, store: store)
        let p = try await store.loadPlatform()
        #expect(p.allocations["active"]?.numbers == ["a": 1])
        #expect(p.allocations["active"]?.usage == ["rules": 1, "targetGroups": 0])
        #expect(p.allocations["emptied"] == nil)
        #expect(p.numbers["emptied"] == nil)
        #expect(p.allocations["failed"]?.numbers == ["a": 4], "a failed tenant keeps its allocation")
    }
}

/// A store with only a platform document, in memory (no tenant documents, no locks).
final class PlatformOnlyStore: StateStore, Sendable {
    private let platform = Mutex(PlatformState())

    var location: String { "memory" }
    func listTenants() async throws -> [String] { [] }
    func loadTenant(_ id: String) async throws -> TenantState? { nil }
    func saveTenant(_ state: TenantState) async throws {}
    func deleteTenant(_ id: String) async throws {}
    func loadPlatform() async throws -> PlatformState { platform.withLock { $0 } }
    func updatePlatform<T: Sendable>(_ body: @Sendable (inout PlatformState) throws -> T) async throws -> T {
        try platform.withLock { try body(&$0) }
    }
    func acquireLock(tenant: String, holder: LockHolder, lease: TimeInterval, timeout: TimeInterval) async throws -> [Diagnostic] { [] }
    func renewLock(tenant: String, holder: LockHolder, lease: TimeInterval) async throws {}
    func releaseLock(tenant: String, holder: LockHolder) async throws {}
    func lockInfo(tenant: String) async throws -> LockInfo? { nil }
    func breakLock(tenant: String) async throws {}
}
