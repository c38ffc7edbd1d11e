import Foundation
import LandlordCore
import LandlordLocalState
import ProviderAPI
import Testing

/// `StateRekey` over the local store: tenant documents and the last rollout's rollback points
/// move to the current key; a tenant locked by another run refuses the rekey before anything
/// is written.
@Suite struct StateRekeyStoreTests {
    static let a = try! StateCipher(base64: Data(repeating: 1, count: 32).base64EncodedString(), source: "env A")
    static let b = try! StateCipher(base64: Data(repeating: 2, count: 32).base64EncodedString(), source: "env B")
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("landlord-rekey-\(UUID().uuidString)").path

    func store(_ cipher: StateCipher?) -> LocalStateStore { LocalStateStore(directory: dir, durable: false, cipher: cipher) }

    func state(_ tenant: String, secret: String?) -> TenantState {
        var s = TenantState(tenant: tenant, blueprint: "web")
        s.serial = 4
        s.lineage = "lineage-\(tenant)"
        s.updatedAt = Date(timeIntervalSince1970: 1_800_000_000)
        let inputs: [String: Value] = secret.map { ["password": .sensitive(.string($0))] } ?? ["size": .int(1)]
        s.resources["db"] = ResourceState(type: "x.db", id: "db-\(tenant)", inputs: inputs, outputs: [:], dependencies: [])
        return s
    }

    var rekey: StateRekey {
        let ring = StateCipher(ring: [Self.b, Self.a])
        return StateRekey(store: store(ring), currentOnly: store(Self.b), keyless: store(nil), cipher: ring)
    }

    @Test func documentsAndRollbackPointsMoveToTheCurrentKeyAndKeepTheirSerial() async throws {
        let old = store(Self.a)
        for s in [state("acme", secret: "one"), state("globex", secret: "two"), state("initech", secret: nil)] { try await old.saveTenant(s) }
        let rollouts = try #require(RolloutStore(old))
        let record = try RolloutRecord(json: .map(["id": .string("r1"), "waves": .list([.list([.string("acme")])]), "phase": .string("halted")]))
        try await rollouts.save(record)
        try await rollouts.saveRollbackPoint(rollout: "r1", wave: 1, states: [state("acme", secret: "one")])

        let report = try await rekey.run(holder: LockHolder(operation: "rekey"), lease: 60, lockTimeout: 0) { _, _ in }
        #expect(report.documents == 2 && report.values == 2 && report.withoutSecrets == 1 && report.rollbackPoints == 1, "\(report)")
        let current = store(Self.b)
        #expect(try await current.loadTenant("acme") == state("acme", secret: "one"), "key B alone opens it, serial kept")
        #expect(try await current.loadTenant("globex")?.serial == 4)
        #expect(try await RolloutStore(current)!.rollbackPoint(rollout: "r1", wave: 1)["acme"] == state("acme", secret: "one"))
        await #expect(throws: StateError.self) { try await store(Self.a).loadTenant("acme") }
        #expect(try await current.lockInfo(tenant: "acme") == nil, "the locks are released")

        let again = try await rekey.run(holder: LockHolder(operation: "rekey"), lease: 60, lockTimeout: 0) { _, _ in }
        #expect(again.documents == 0 && again.alreadyCurrent == 2, "\(again)")
    }

    @Test func aTenantLockedByAnotherRunRefusesTheRekeyBeforeAnyWrite() async throws {
        let old = store(Self.a)
        for s in [state("acme", secret: "one"), state("globex", secret: "two")] { try await old.saveTenant(s) }
        let path = dir + "/state/tenants/acme.json"
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let other = LockHolder(operation: "apply")
        _ = try await old.acquireLock(tenant: "globex", holder: other, lease: 60, timeout: 0)
        await #expect(throws: StateError.self) { try await rekey.run(holder: LockHolder(operation: "rekey"), lease: 60, lockTimeout: 0) { _, _ in } }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "nothing written")
        #expect(try await old.lockInfo(tenant: "acme") == nil, "the locks it took are released")
        #expect(try await old.lockInfo(tenant: "globex")?.holder.id == other.id)
    }
}
