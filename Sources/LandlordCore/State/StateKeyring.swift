import Crypto
import Foundation
import LandlordBasics
import ProviderAPI

/// A data key as a key management service hands it out: in clear (32 bytes, used for this run
/// only) and wrapped (the service's ciphertext, kept beside the state).
public struct WrappedDataKey: Sendable {
    /// The 32 bytes that seal values.
    public var plaintext: [UInt8]
    /// The same key encrypted by the service's key (AWS KMS's CiphertextBlob).
    public var wrapped: [UInt8]

    public init(plaintext: [UInt8], wrapped: [UInt8]) {
        self.plaintext = plaintext
        self.wrapped = wrapped
    }
}

/// The engine's side of envelope encryption: a key management service that makes and unwraps
/// data keys (AWS KMS's GenerateDataKey and Decrypt). Implemented outside the engine (the
/// fleet wiring's KMS client), so the engine imports no AWS client. A failure is thrown as a
/// `StateError` whose message says what to do (grant the permission, enable the key, ...).
public protocol StateKeyService: Sendable {
    /// A new 32-byte data key under the service key `keyId`.
    func generateDataKey(keyId: String) async throws -> WrappedDataKey
    /// The data key `wrapped` holds, unwrapped by the service key `keyId`.
    func decrypt(keyId: String, wrapped: [UInt8]) async throws -> [UInt8]
}

/// The state keys of `state: {keys: [...]}` (or `key:`), current first, as one ``StateCipher``:
/// values are sealed with the first key and opened with any of them (rotation, as OpenTofu's
/// `fallback`). A `{kms: KEY}` entry is envelope encryption: a data key made by the service
/// once, its wrapped copy kept beside the state as the side document
/// `state-keys/kms-HASH.json`, and unwrapped once per run. Every error is raised before
/// anything is read or written, and says what to do.
public enum StateKeyring {
    /// The side document holding the data key wrapped by `keyId`.
    public static func documentKey(_ keyId: String) -> String { "state-keys/kms-\(Digest.sha256Hex(keyId).prefix(16)).json" }

    /// The cipher of a fleet's settings: `keys` when platform.yaml lists any, else the single
    /// key of `StateCipher.configured`. `kms` and `documents` are needed by `{kms: ...}` keys only.
    public static func cipher(
        _ state: StateBackendConfig, directory: URL, environment: [String: String], kms: (any StateKeyService)?,
        documents: (any SideDocumentStore)?
    ) async throws(StateError) -> StateCipher? {
        guard !state.keys.isEmpty else { return try StateCipher.configured(state, directory: directory, environment: environment) }
        var ring: [StateCipher] = []
        for (i, source) in state.keys.enumerated() {
            let position = i == 0 ? "the current state key (state.keys[0])" : "the previous state key state.keys[\(i)]"
            let dropIt = i == 0 ? "" : ", or remove it from state.keys once `landlord state rekey` has re-sealed everything with the current key"
            switch source {
            case .environment(let name):
                guard let text = environment[name], !text.isEmpty else {
                    throw .io(
                        "\(position) is the environment variable \(name), which is not set: set it to that 32-byte base64 key\(dropIt); "
                            + "nothing was read or written"
                    )
                }
                ring.append(try StateCipher(base64: text, source: "env \(name)"))
            case .file(let file):
                let url = file.hasPrefix("/") ? URL(fileURLWithPath: file) : directory.appendingPathComponent(file)
                guard let bytes = AtomicFile.read(url.path) else {
                    throw .io("cannot read \(position), the file \(url.path): restore it (chmod 600)\(dropIt); nothing was read or written")
                }
                ring.append(try StateCipher(base64: String(decoding: bytes, as: UTF8.self), source: "file \(file)"))
            case .kms(let keyId):
                guard let kms, let documents else {
                    throw .io(
                        "\(position) is the KMS key \(keyId), and this state backend cannot keep its wrapped data key; use the local or s3 backend")
                }
                if let key = try await kmsKey(keyId, create: i == 0, kms: kms, documents: documents) {
                    ring.append(StateCipher(key: SymmetricKey(data: key), source: "kms \(keyId)"))
                }
            }
        }
        return StateCipher(ring: ring)
    }

    /// The data key of `keyId`: unwrapped from its side document, or (for the current key,
    /// `create`) made by the service and kept. Two runs making one at once agree: the document
    /// is created only where none exists, and the run that loses unwraps the winner's. Nil for
    /// a previous key that never sealed anything (no document).
    static func kmsKey(_ keyId: String, create: Bool, kms: any StateKeyService, documents: any SideDocumentStore) async throws(StateError)
        -> [UInt8]?
    {
        let docKey = documentKey(keyId)
        if let bytes = try await read(docKey, documents) { return try await unwrap(bytes, keyId: keyId, docKey: docKey, kms: kms) }
        guard create else { return nil }
        let made: WrappedDataKey
        do { made = try await kms.generateDataKey(keyId: keyId) } catch { throw serviceError(error, keyId: keyId, doing: "GenerateDataKey") }
        guard made.plaintext.count == 32 else {
            throw .io("KMS key \(keyId) returned a \(made.plaintext.count)-byte data key; a 32-byte one (AES_256) is needed")
        }
        let doc: Value = .map([
            "format_version": .int(1), "kms_key_id": .string(keyId), "wrapped_data_key": .string(Data(made.wrapped).base64EncodedString()),
            "created_at": .string(StateDates.string(Date())),
        ])
        let created: Bool
        do { created = try await documents.createSideDocument(docKey, JSON.serialize(doc, sortedKeys: true, pretty: true)) } catch {
            throw (error as? StateError) ?? .io("could not keep the wrapped data key \(docKey): \(error); nothing was written")
        }
        if created { return made.plaintext }
        guard let bytes = try await read(docKey, documents) else {
            throw .io("the wrapped data key \(docKey) vanished while this run made one; run again")
        }
        return try await unwrap(bytes, keyId: keyId, docKey: docKey, kms: kms)
    }

    static func read(_ docKey: String, _ documents: any SideDocumentStore) async throws(StateError) -> [UInt8]? {
        do { return try await documents.readSideDocument(docKey) } catch {
            throw (error as? StateError) ?? .io("could not read the wrapped data key \(docKey): \(error)")
        }
    }

    static func unwrap(_ bytes: [UInt8], keyId: String, docKey: String, kms: any StateKeyService) async throws(StateError) -> [UInt8] {
        guard let doc = try? JSON.parse(bytes).mapValue, let text = doc["wrapped_data_key"]?.stringValue, let wrapped = Data(base64Encoded: text)
        else {
            throw .io(
                "the wrapped data key \(docKey) is damaged: restore it from your backups or the bucket's version history; nothing was read or written"
            )
        }
        let plain: [UInt8]
        do { plain = try await kms.decrypt(keyId: keyId, wrapped: Array(wrapped)) } catch {
            throw serviceError(error, keyId: keyId, doing: "Decrypt")
        }
        guard plain.count == 32 else { throw .io("the data key in \(docKey) is not 32 bytes; restore the document from your backups") }
        return plain
    }

    static func serviceError(_ error: any Error, keyId: String, doing: String) -> StateError {
        if let e = error as? StateError { return e }
        return .io(
            "KMS \(doing) with key \(keyId) failed: \(error). Nothing was read or written; check the key and this role's permissions, then run again")
    }
}
