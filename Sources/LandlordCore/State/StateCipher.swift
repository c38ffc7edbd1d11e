import Crypto
import Foundation
import LandlordBasics
import ProviderAPI

/// Encrypts the sensitive values inside state documents and the journal (AES-256-GCM), as
/// Pulumi's secrets providers do: a state file or bucket that leaks holds no secret in clear.
///
/// Only values already marked sensitive are sealed; everything else stays readable. A sealed
/// value is written in place of the value as BASE64(nonce | ciphertext | tag) of its JSON, its
/// path listed under `marks.sealed` (`DocumentMarks`; format version 1 wrote
/// `{"$sensitive": {"$aes256gcm": BASE64}}` in place, still read by `FormatV1`). The key
/// is 32 bytes, given base64-encoded in `LANDLORD_STATE_KEY` or in the file platform.yaml's
/// `state: {keyFile: PATH}` names, or one of `state: {keys: [...]}` (``StateKeyring``: env,
/// file or a KMS data key). Reading a sealed value without a key, or with another key,
/// is an error that names the setting: never a silent re-create. The S3 backend and
/// `state migrate` carry sealed values as they are.
///
/// A cipher holds one key or a ring of them (rotation): values are sealed with the first
/// (the current key) and opened with whichever key opens them, tried in order. A sealed
/// value does not say which key sealed it; AES-GCM's tag tells a wrong key apart.
public struct StateCipher: Sendable {
    /// The keys, current first.
    let keys: [SymmetricKey]
    /// Where each key came from (`LANDLORD_STATE_KEY`, `kms alias/state`), for messages.
    public let sources: [String]

    /// The key values are sealed with.
    var key: SymmetricKey { keys[0] }

    /// A cipher over a 32-byte key.
    public init(key: SymmetricKey, source: String = "the state key") {
        keys = [key]
        sources = [source]
    }

    /// A ring of keys: the first cipher's key seals, every key opens. `ring` is not empty.
    public init(ring: [StateCipher]) {
        precondition(!ring.isEmpty, "a key ring needs a key")
        keys = ring.flatMap(\.keys)
        sources = ring.flatMap(\.sources)
    }

    /// The current key alone: what `state rekey` checks a document against.
    public var currentOnly: StateCipher { StateCipher(key: key, source: sources[0]) }

    /// How many keys the cipher tries when opening.
    public var keyCount: Int { keys.count }

    /// An HMAC of a fixed label under each key: tells key rings apart (the plan cache's key)
    /// without revealing anything of them.
    public var fingerprint: String {
        keys.map { k in
            Data(HMAC<SHA256>.authenticationCode(for: Data("landlord key fingerprint".utf8), using: k)).map { String(format: "%02x", $0) }.joined()
        }.joined(separator: "+")
    }

    /// Reads a base64-encoded 32-byte key; `source` names where it came from, for messages.
    public init(base64 text: String, source: String) throws(StateError) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let data = Data(base64Encoded: trimmed), data.count == 32 else {
            throw .io(
                """
                the state key in \(source) is not 32 bytes in base64; make one with `head -c 32 /dev/urandom | \
                base64` and keep it where CI and every operator can read it
                """
            )
        }
        self.init(key: SymmetricKey(data: data), source: source)
    }

    // MARK: Sealing (before writing)

    /// The sealed text of a plain value: base64 of nonce | ciphertext | tag of its JSON.
    func sealText(_ plain: Value) -> String {
        let bytes = JSON.serialize(plain)
        // A synthetic nonce (HMAC of the plaintext): the same value seals to the same bytes,
        // so rewriting a document does not churn it and `state migrate` can compare; a
        // nonce repeats only with its plaintext, which is what GCM requires.
        let mac = Array(HMAC<SHA256>.authenticationCode(for: bytes, using: key))
        // Both only fail for a nonce or key of the wrong size, which these sizes rule out.
        let nonce = try! AES.GCM.Nonce(data: mac[0..<12])
        let box = try! AES.GCM.seal(bytes, using: key, nonce: nonce)
        return box.combined!.base64EncodedString()
    }

    // MARK: Opening (after parsing)

    /// The error for a sealed value read without a key.
    static func missingKey(_ what: String) -> StateError {
        .io(
            """
            \(what) holds encrypted sensitive values, and no state key is set; set LANDLORD_STATE_KEY (or \
            `state: {keyFile: ...}` in platform.yaml) to the key it was written with
            """
        )
    }

    func openSealed(_ text: String, what: String) throws(StateError) -> Value {
        guard let data = Data(base64Encoded: text), let box = try? AES.GCM.SealedBox(combined: data) else {
            throw .io("\(what) holds a damaged encrypted value; restore the document from its backup or version history")
        }
        guard let plain = keys.lazy.compactMap({ try? AES.GCM.open(box, using: $0) }).first else {
            if keys.count == 1 {
                throw .io(
                    "\(what) was encrypted with another state key: \(sources[0]) is not the key it was written with. Nothing was changed; "
                        + "set the right key (LANDLORD_STATE_KEY, state.keyFile, or a previous key in `state: {keys: [...]}`) and run again")
            }
            throw .io(
                "\(what) was encrypted with another state key: none of the \(keys.count) keys of state.keys "
                    + "(\(sources.joined(separator: ", "))) opens it. "
                    + "Nothing was changed; add the key it was written with to state.keys, after the current one, and run again")
        }
        guard let value = try? JSON.parse(plain) else {
            throw .io("\(what) holds an encrypted value that does not decode; restore the document from its backup")
        }
        return value
    }
}

extension StateCipher {
    /// The environment variable holding the state key.
    public static let environmentVariable = "LANDLORD_STATE_KEY"

    /// The cipher a fleet's settings ask for: `LANDLORD_STATE_KEY`, else the file
    /// `state.keyFile` names (relative to `directory`), else none.
    public static func configured(_ state: StateBackendConfig, directory: URL, environment: [String: String]) throws(StateError) -> StateCipher? {
        if let text = environment[environmentVariable], !text.isEmpty {
            return try StateCipher(base64: text, source: environmentVariable)
        }
        guard let file = state.keyFile else {
            if state.encryptionRequired {
                throw .io(
                    "platform.yaml says `state: {encryption: required}` and no state key is set: set \(environmentVariable) to the "
                        + "fleet's 32-byte base64 key, or `state: {keyFile: PATH}`; nothing was read or written")
            }
            return nil
        }
        let url = file.hasPrefix("/") ? URL(fileURLWithPath: file) : directory.appendingPathComponent(file)
        guard let bytes = AtomicFile.read(url.path) else {
            throw .io(
                """
                cannot read the state key file \(url.path) (state.keyFile in platform.yaml); create it with `head \
                -c 32 /dev/urandom | base64 > \(file) && chmod 600 \(file)`, or set \(environmentVariable)
                """
            )
        }
        return try StateCipher(base64: String(decoding: bytes, as: UTF8.self), source: url.path)
    }
}
