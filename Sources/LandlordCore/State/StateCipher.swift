import Crypto
import Foundation
import LandlordBasics
import ProviderAPI

#if canImport(Glibc)
    import Glibc
#endif

/// Encrypts the sensitive values inside state documents and the journal (AES-256-GCM), as
/// Pulumi's secrets providers do: a state file or bucket that leaks holds no secret in clear.
///
/// Only values already marked sensitive are sealed; everything else stays readable. A sealed
/// value is written `{"$sensitive": {"$aes256gcm": BASE64(nonce | ciphertext | tag)}}`. The key
/// is 32 bytes, given base64-encoded in `LANDLORD_STATE_KEY` or in the file platform.yaml's
/// `state: {keyFile: PATH}` names. Reading a sealed value without a key, or with another key,
/// is an error that names the setting: never a silent re-create. The S3 backend and
/// `state migrate` carry sealed values as they are.
public struct StateCipher: Sendable {
    /// The marker key of a sealed value.
    static let marker = "$aes256gcm"
    let key: SymmetricKey

    /// A cipher over a 32-byte key.
    public init(key: SymmetricKey) { self.key = key }

    /// Reads a base64-encoded 32-byte key; `source` names where it came from, for messages.
    public init(base64 text: String, source: String) throws(StateError) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let data = Data(base64Encoded: trimmed), data.count == 32 else {
            throw .io(
                "the state key in \(source) is not 32 bytes in base64; make one with `head -c 32 /dev/urandom | base64` and keep it where CI and every operator can read it"
            )
        }
        key = SymmetricKey(data: data)
    }

    // MARK: Sealing (before writing)

    /// Replaces every sensitive value inside `v` by its sealed form.
    func seal(_ v: Value) -> Value {
        switch v {
        case .sensitive(let inner):
            let plain = JSON.serialize(inner)
            // A synthetic nonce (HMAC of the plaintext): the same value seals to the same bytes,
            // so rewriting a document does not churn it and `state migrate` can compare; a
            // nonce repeats only with its plaintext, which is what GCM requires.
            let mac = Array(HMAC<SHA256>.authenticationCode(for: plain, using: key))
            // Both only fail for a nonce or key of the wrong size, which these sizes rule out.
            let nonce = try! AES.GCM.Nonce(data: mac[0..<12])
            let box = try! AES.GCM.seal(plain, using: key, nonce: nonce)
            return .sensitive(.map([Self.marker: .string(box.combined!.base64EncodedString())]))
        case .map(let m): return .map(m.mapValues(seal))
        case .list(let l): return .list(l.map(seal))
        default: return v
        }
    }

    // MARK: Opening (after parsing)

    /// True when the document bytes hold a sealed value (a fast scan before any parsing work).
    static func mightHoldSealed(_ bytes: some Collection<UInt8>) -> Bool {
        let needle = Array(marker.utf8)
        let scan: (UnsafeBufferPointer<UInt8>) -> Bool = { hay in
            // memchr jumps from `$` to `$` (rare in state: only tagged values), so the scan
            // costs about as much as reading the bytes once.
            guard let base = hay.baseAddress, hay.count >= needle.count else { return false }
            var i = 0
            let last = hay.count - needle.count
            while i <= last {
                guard let hit = memchr(base + i, 0x24, last - i + 1) else { return false }
                let at = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                var j = 1
                while j < needle.count && hay[at + j] == needle[j] { j += 1 }
                if j == needle.count { return true }
                i = at + 1
            }
            return false
        }
        return bytes.withContiguousStorageIfAvailable(scan) ?? Array(bytes).withUnsafeBufferPointer(scan)
    }

    /// Turns sealed values of a parsed (still tagged) document back into `{"$sensitive": X}`.
    /// `cipher` nil: a sealed value is an error saying to set the key.
    static func open(_ v: Value, with cipher: StateCipher?, what: String) throws(StateError) -> Value {
        switch v {
        case .map(let m):
            if m.count == 1, let sealed = m["$sensitive"]?.mapValue?[marker]?.stringValue {
                guard let cipher else {
                    throw .io(
                        "\(what) holds encrypted sensitive values, and no state key is set; set LANDLORD_STATE_KEY (or `state: {keyFile: ...}` in platform.yaml) to the key it was written with"
                    )
                }
                return .map(["$sensitive": try cipher.openSealed(sealed, what: what)])
            }
            var out: [String: Value] = [:]
            out.reserveCapacity(m.count)
            for (k, x) in m { out[k] = try open(x, with: cipher, what: what) }
            return .map(out)
        case .list(let l):
            var out: [Value] = []
            out.reserveCapacity(l.count)
            for x in l { out.append(try open(x, with: cipher, what: what)) }
            return .list(out)
        default: return v
        }
    }

    func openSealed(_ text: String, what: String) throws(StateError) -> Value {
        guard let data = Data(base64Encoded: text), let box = try? AES.GCM.SealedBox(combined: data) else {
            throw .io("\(what) holds a damaged encrypted value; restore the document from its backup or version history")
        }
        guard let plain = try? AES.GCM.open(box, using: key) else {
            throw .io(
                "\(what) was encrypted with another state key: LANDLORD_STATE_KEY (or state.keyFile) is not the key it was written with. Nothing was changed; set the right key and run again"
            )
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
        guard let file = state.keyFile else { return nil }
        let url = file.hasPrefix("/") ? URL(fileURLWithPath: file) : directory.appendingPathComponent(file)
        guard let bytes = AtomicFile.read(url.path) else {
            throw .io(
                "cannot read the state key file \(url.path) (state.keyFile in platform.yaml); create it with `head -c 32 /dev/urandom | base64 > \(file) && chmod 600 \(file)`, or set \(environmentVariable)"
            )
        }
        return try StateCipher(base64: String(decoding: bytes, as: UTF8.self), source: url.path)
    }
}
