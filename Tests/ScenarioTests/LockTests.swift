import Foundation
import LandlordCore
import Testing

/// Tenant locks: a live lock held by someone else stops an apply of that tenant.
@Suite struct LockTests {
    @Test func aTenantLockedByAnotherHolderIsRefusedAndLeftUntouched() async throws {
        let h = try Harness()
        let other = LockHolder(id: "other-run", host: "ci-runner-7", pid: 4242, startedAt: Date(), operation: "apply")
        _ = try await h.store.acquireLock(tenant: "acme", holder: other, lease: 600, timeout: 0)
        let result = try await h.apply()
        let acme = try #require(result.tenants.first { $0.tenant == "acme" })
        #expect(acme.status == .failed)
        #expect(acme.applied == 0)
        let message = acme.errors.first?.summary ?? ""
        #expect(message.contains("locked"))
        #expect(message.contains("ci-runner-7"))
        #expect(message.contains("pid 4242"))
        #expect(message.contains("landlord unlock --tenant acme"))
        #expect(try h.cloud().allSatisfy { $0.tags["landlord:tenant"] == "globex" })
        #expect(try await h.store.loadTenant("acme") == nil)
        // Still held by its owner afterwards.
        #expect(try await h.store.lockInfo(tenant: "acme")?.holder.id == "other-run")
    }

    @Test func anExpiredLeaseIsTakenOverWithAWarning() async throws {
        let h = try Harness()
        let dead = LockHolder(id: "dead-run", host: "ci-runner-7", pid: 4242, startedAt: Date(), operation: "apply")
        _ = try await h.store.acquireLock(tenant: "acme", holder: dead, lease: -1, timeout: 0)
        let result = try await h.apply()
        #expect(!result.failed)
        #expect(result.diagnostics.warnings.contains { $0.summary.contains("took over the lock of tenant 'acme'") })
        #expect(try await h.store.lockInfo(tenant: "acme") == nil)
    }

    @Test func aLockOfADeadProcessOnThisHostIsTakenOver() async throws {
        let h = try Harness()
        let me = LockHolder(operation: "apply")
        let dead = LockHolder(id: "dead", host: me.host, pid: 999_999, startedAt: Date(), operation: "apply")
        _ = try await h.store.acquireLock(tenant: "acme", holder: dead, lease: 600, timeout: 0)
        let result = try await h.apply()
        #expect(!result.failed)
        #expect(result.diagnostics.warnings.contains { $0.summary.contains("no longer running") })
    }
}
