import Crypto
import Foundation
import LandlordCore
import ProviderAPI
import Synchronization
import Testing

/// A key management service in memory: wraps data keys by XOR with a per-key pad, counts calls,
/// and refuses what it is told to refuse.
final class FakeKMS: StateKeyService {
    struct Calls: Sendable {
        var generate = 0
        var decrypt = 0
    }
    let calls = Mutex(Calls())
    let refusing: String?

    init(refusing: String? = nil) { self.refusing = refusing }

    static func pad(_ keyId: String) -> [UInt8] { Array(SHA256.hash(data: Data(keyId.utf8))) }

    func generateDataKey(keyId: String) async throws -> WrappedDataKey {
        calls.withLock { $0.generate += 1 }
        if let refusing { throw StateError.io(refusing) }
        let plain = (0..<32).map { _ in UInt8.random(in: 0...255) }
        return WrappedDataKey(plaintext: plain, wrapped: zip(plain, Self.pad(keyId)).map { $0 ^ $1 })
    }

    func decrypt(keyId: String, wrapped: [UInt8]) async throws -> [UInt8] {
        calls.withLock { $0.decrypt += 1 }
        if let refusing { throw StateError.io(refusing) }
        return zip(wrapped, Self.pad(keyId)).map { $0 ^ $1 }
    }
}

/// Side documents in memory; `createSideDocument` is atomic under the mutex.
final class MemoryDocuments: SideDocumentStore {
    let docs = Mutex([String: [UInt8]]())
    func readSideDocument(_ key: String) async throws -> [UInt8]? { docs.withLock { $0[key] } }
    func writeSideDocument(_ key: String, _ bytes: [UInt8]) async throws { docs.withLock { $0[key] = bytes } }
    func createSideDocument(_ key: String, _ bytes: [UInt8]) async throws -> Bool {
        docs.withLock { d in
            guard d[key] == nil else { return false }
            d[key] = bytes
            return true
        }
    }
    func deleteSideDocument(_ key: String) async throws { _ = docs.withLock { $0.removeValue(forKey: key) } }
    var sideCipher: StateCipher? { nil }
}

/// `state: {keys: [...]}`: the ring's order, KMS envelope keys made once and unwrapped once a
/// run, previous keys opening old values, and errors raised before anything is written.
@Suite struct StateKeyringTests {
    static let a = Data(repeating: 1, count: 32).base64EncodedString()
    static let b = Data(repeating: 2, count: 32).base64EncodedString()
    let dir = URL(fileURLWithPath: "/nonexistent")

    func config(_ keys: [StateKeySource]) -> StateBackendConfig {
        var c = StateBackendConfig()
        c.keys = keys
        return c
    }

    func state(_ secret: String) -> TenantState {
        var s = TenantState(tenant: "acme", blueprint: "web")
        s.lineage = "lineage-1"
        s.updatedAt = Date(timeIntervalSince1970: 1_800_000_000)
        s.resources["db"] = ResourceState(type: "x.db", id: "db-1", inputs: ["password": .sensitive(.string(secret))], outputs: [:], dependencies: [])
        return s
    }

    @Test func theFirstKeySealsAndEveryKeyOpens() async throws {
        let env = ["A": Self.a, "B": Self.b]
        let onlyA = try #require(
            try await StateKeyring.cipher(config([.environment("A")]), directory: dir, environment: env, kms: nil, documents: nil))
        let ring = try #require(
            try await StateKeyring.cipher(config([.environment("B"), .environment("A")]), directory: dir, environment: env, kms: nil, documents: nil))
        let sealedWithA = state("s3cret").encoded(cipher: onlyA)
        #expect(try TenantState.decode(sealedWithA, cipher: ring, what: "t") == state("s3cret"), "a previous key opens old values")
        let sealedWithRing = state("s3cret").encoded(cipher: ring)
        #expect(sealedWithRing == state("s3cret").encoded(cipher: ring.currentOnly), "the ring seals with its first key")
        #expect(throws: StateError.self) { try TenantState.decode(sealedWithRing, cipher: onlyA, what: "t") }
        #expect(ring.fingerprint != ring.currentOnly.fingerprint, "the plan cache tells rings apart")
    }

    @Test func aKMSDataKeyIsMadeOnceKeptBesideTheStateAndUnwrappedOncePerRun() async throws {
        let kms = FakeKMS()
        let docs = MemoryDocuments()
        let c = config([.kms("alias/state")])
        let first = try #require(try await StateKeyring.cipher(c, directory: dir, environment: [:], kms: kms, documents: docs))
        #expect(kms.calls.withLock { $0.generate } == 1 && kms.calls.withLock { $0.decrypt } == 0)
        let stored = try #require(await docs.readSideDocument(StateKeyring.documentKey("alias/state")))
        let doc = try #require(try JSON.parse(stored).mapValue)
        #expect(doc["kms_key_id"] == .string("alias/state") && doc["wrapped_data_key"]?.stringValue != nil)
        // A later run unwraps the same data key with one Decrypt and makes none.
        let second = try #require(try await StateKeyring.cipher(c, directory: dir, environment: [:], kms: kms, documents: docs))
        #expect(kms.calls.withLock { $0.generate } == 1 && kms.calls.withLock { $0.decrypt } == 1)
        #expect(try TenantState.decode(state("x").encoded(cipher: first), cipher: second, what: "t") == state("x"))
    }

    @Test func runsMakingTheFirstDataKeyAtOnceAgreeOnOne() async throws {
        let kms = FakeKMS()
        let docs = MemoryDocuments()
        let c = config([.kms("alias/state")])
        let ciphers = try await withThrowingTaskGroup(of: StateCipher?.self) { group in
            for _ in 0..<8 { group.addTask { try await StateKeyring.cipher(c, directory: dir, environment: [:], kms: kms, documents: docs) } }
            var out: [StateCipher] = []
            for try await x in group { if let x { out.append(x) } }
            return out
        }
        #expect(ciphers.count == 8)
        #expect(Set(ciphers.map(\.fingerprint)).count == 1, "every run seals with the one data key kept")
    }

    @Test func aPreviousKMSKeyThatNeverSealedAnythingIsSkipped() async throws {
        let kms = FakeKMS()
        let ring = try #require(
            try await StateKeyring.cipher(
                config([.environment("A"), .kms("alias/old")]), directory: dir, environment: ["A": Self.a], kms: kms, documents: MemoryDocuments()))
        #expect(ring.keyCount == 1 && kms.calls.withLock { $0.generate } == 0, "no data key is made for a previous key")
    }

    @Test func aKMSRefusalOrADamagedWrappedKeyIsAnErrorThatWritesNothing() async throws {
        let docs = MemoryDocuments()
        let c = config([.kms("alias/state")])
        await #expect(throws: StateError.self) {
            try await StateKeyring.cipher(
                c, directory: dir, environment: [:], kms: FakeKMS(refusing: "KMS said no: grant kms:GenerateDataKey"), documents: docs)
        }
        #expect(docs.docs.withLock { $0.isEmpty }, "nothing kept when the data key could not be made")
        try await docs.writeSideDocument(StateKeyring.documentKey("alias/state"), Array("{\"wrapped\"".utf8))
        do {
            _ = try await StateKeyring.cipher(c, directory: dir, environment: [:], kms: FakeKMS(), documents: docs)
            Issue.record("a damaged wrapped key must be refused")
        } catch {
            #expect("\(error)".contains("is damaged: restore it"), "\(error)")
        }
        do {
            _ = try await StateKeyring.cipher(config([.environment("MISSING")]), directory: dir, environment: [:], kms: nil, documents: nil)
            Issue.record("a missing key must be refused")
        } catch {
            #expect("\(error)".contains("the environment variable MISSING, which is not set"), "\(error)")
        }
    }
}
