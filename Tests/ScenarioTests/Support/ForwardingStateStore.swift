import Foundation
import LandlordCore
import LandlordLocalState

/// A test store wrapping the local state store: every `StateStore` call it does not implement
/// itself goes to `inner` (calls with a default in `StateStore`, such as `loadTenants` and
/// `stamps`, keep that default unless the store implements them).
protocol ForwardingStateStore: StateStore {
    /// The store the calls go to.
    var inner: LocalStateStore { get }
}

extension ForwardingStateStore {
    var location: String { inner.location }
    func listTenants() async throws -> [String] { try await inner.listTenants() }
    func loadTenant(_ id: String) async throws -> TenantState? { try await inner.loadTenant(id) }
    func saveTenant(_ state: TenantState) async throws { try await inner.saveTenant(state) }
    func deleteTenant(_ id: String) async throws { try await inner.deleteTenant(id) }
    func loadPlatform() async throws -> PlatformState { try await inner.loadPlatform() }
    func updatePlatform<T: Sendable>(_ body: @Sendable (inout PlatformState) throws -> T) async throws -> T { try await inner.updatePlatform(body) }
    func acquireLock(tenant: String, holder: LockHolder, lease: TimeInterval, timeout: TimeInterval) async throws -> [Diagnostic] {
        try await inner.acquireLock(tenant: tenant, holder: holder, lease: lease, timeout: timeout)
    }
    func renewLock(tenant: String, holder: LockHolder, lease: TimeInterval) async throws {
        try await inner.renewLock(tenant: tenant, holder: holder, lease: lease)
    }
    func releaseLock(tenant: String, holder: LockHolder) async throws { try await inner.releaseLock(tenant: tenant, holder: holder) }
    func lockInfo(tenant: String) async throws -> LockInfo? { try await inner.lockInfo(tenant: tenant) }
    func breakLock(tenant: String) async throws { try await inner.breakLock(tenant: tenant) }
}
