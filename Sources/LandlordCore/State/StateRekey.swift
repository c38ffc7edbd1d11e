import Foundation
import ProviderAPI

/// What `landlord state rekey` did.
public struct RekeyReport: Sendable, Hashable {
    /// Tenant documents written again with the current key.
    public var documents = 0
    /// Sensitive values sealed with the current key in them.
    public var values = 0
    /// Documents whose sealed values the current key already opened (not written).
    public var alreadyCurrent = 0
    /// Documents with no sensitive value (not written).
    public var withoutSecrets = 0
    /// Rollback points of the last rollout written again with the current key.
    public var rollbackPoints = 0

    public init() {}
}

/// Re-seals every sensitive value of the state with the current key of a key ring (the first
/// of `state.keys`): each tenant document sealed (wholly or partly) with a previous key, or
/// holding sensitive values in clear, is read with the ring and written back. A document's
/// lineage and serial are kept (its content is the same), so saved plans still apply.
///
/// Crash safe: every document is written atomically by its store, so at any instant each one
/// is sealed wholly with the old keys or wholly with the current key, and the ring opens both;
/// running it again finishes the rest. Tenants are locked for the whole run.
public struct StateRekey: Sendable {
    /// The store reading with the whole ring, and writing with the current key.
    public var store: any StateStore
    /// The same state read with the current key alone.
    public var currentOnly: any StateStore
    /// The same state read with no key (sealed values refused, values in clear read).
    public var keyless: any StateStore
    /// The ring.
    public var cipher: StateCipher

    public init(store: any StateStore, currentOnly: any StateStore, keyless: any StateStore, cipher: StateCipher) {
        self.store = store
        self.currentOnly = currentOnly
        self.keyless = keyless
        self.cipher = cipher
    }

    /// Re-seals every tenant document, `parallelism` at a time, then the last rollout's rollback
    /// points. `resealed` is called after each document is written (its tenant and the values
    /// sealed in it).
    /// Every tenant is locked first; a tenant locked by another run refuses the whole rekey
    /// before anything is written.
    public func run(
        holder: LockHolder, lease: TimeInterval, lockTimeout: TimeInterval, parallelism: Int = 16,
        resealed: @escaping @Sendable (String, Int) -> Void = { _, _ in }
    ) async throws -> RekeyReport {
        let tenants = try await store.listTenants().sorted()
        let locks = await store.acquireLocks(tenants: tenants, holder: holder, lease: lease, timeout: lockTimeout)
        let refused = tenants.compactMap { t -> StateError? in
            if case .failure(let e) = locks[t] { return e }
            return nil
        }
        if let first = refused.first {
            await store.releaseLocks(tenants: tenants, holder: holder)
            throw first
        }
        var report = RekeyReport()
        do {
            try await resealTenants(tenants, into: &report, holder: holder, lease: lease, parallelism: parallelism, resealed: resealed)
            report.rollbackPoints = try await resealRollbackPoints()
        } catch {
            await store.releaseLocks(tenants: tenants, holder: holder)
            throw error
        }
        await store.releaseLocks(tenants: tenants, holder: holder)
        await store.publish()
        return report
    }

    /// What became of one tenant's document.
    enum Outcome: Sendable {
        case absent, withoutSecrets, current
        /// Written again, with this many sealed values.
        case resealed(Int)
    }

    /// Re-seals `tenants`' documents, `parallelism` at a time, renewing the locks as it goes.
    /// The first failure stops it (documents written so far stay written: each is whole).
    func resealTenants(
        _ tenants: [String], into report: inout RekeyReport, holder: LockHolder, lease: TimeInterval, parallelism: Int,
        resealed: @escaping @Sendable (String, Int) -> Void
    ) async throws {
        var renewed = Date()
        try await withThrowingTaskGroup(of: Keyed<String, Outcome>.self) { group in
            var next = 0
            func start() {
                guard next < tenants.count else { return }
                let t = tenants[next]
                next += 1
                group.addTask { Keyed(t, try await self.reseal(t, resealed: resealed)) }
            }
            for _ in 0..<max(1, parallelism) { start() }
            while let done = try await group.next() {
                switch done.value {
                case .absent: break
                case .withoutSecrets: report.withoutSecrets += 1
                case .current: report.alreadyCurrent += 1
                case .resealed(let n):
                    report.documents += 1
                    report.values += n
                }
                if Date().timeIntervalSince(renewed) > lease / 3 {
                    await store.renewLocks(tenants: tenants, holder: holder, lease: lease)
                    renewed = Date()
                }
                start()
            }
        }
    }

    func reseal(_ tenant: String, resealed: @Sendable (String, Int) -> Void) async throws -> Outcome {
        guard let state = try await store.loadTenant(tenant) else { return .absent }
        let values = Self.sealedCount(state, cipher)
        if values == 0 { return .withoutSecrets }
        if try await isCurrent(tenant) { return .current }
        try await store.saveTenant(state)
        resealed(tenant, values)
        return .resealed(values)
    }

    /// True when the document opens with the current key alone and holds no sensitive value
    /// in clear (a document without a key opens keyless).
    func isCurrent(_ tenant: String) async throws -> Bool {
        guard (try? await currentOnly.loadTenant(tenant)) != nil else { return false }
        return (try? await keyless.loadTenant(tenant)) == nil
    }

    /// Writes the last rollout's rollback points again (read with the ring, sealed with the
    /// current key). Points of earlier rollouts are removed when their rollout ends.
    func resealRollbackPoints() async throws -> Int {
        guard let rollouts = RolloutStore(store), let record = try await rollouts.current() else { return 0 }
        var written = 0
        for wave in 1...max(1, record.waves.count) {
            guard (try await rollouts.docs.readSideDocument(RolloutStore.pointKey(record.id, wave: wave))) != nil else { continue }
            let states = try await rollouts.rollbackPoint(rollout: record.id, wave: wave)
            try await rollouts.saveRollbackPoint(rollout: record.id, wave: wave, states: Array(states.values))
            written += 1
        }
        return written
    }

    /// How many values `state` seals when written with `cipher`.
    static func sealedCount(_ state: TenantState, _ cipher: StateCipher) -> Int {
        let written = MarkedDocument.written(state.fields, version: TenantState.formatVersion, cipher: cipher)
        return written.mapValue?["marks"]?.mapValue?["sealed"]?.listValue?.count ?? 0
    }
}
