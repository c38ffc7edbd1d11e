import Foundation
import ProviderAPI

#if canImport(Glibc)
    import Glibc
#endif

/// The reader of format version 1's marks, kept so that documents written before version 2
/// (state, journal entries, saved plans) are still read; the next write of a state document
/// writes version 2.
///
/// Version 1 wrote a marked value in-band, as a one-key object: `{"$unknown": true}`,
/// `{"$deferred": [PART...]}` (a literal string or `{"resource", "path"}`),
/// `{"$sensitive": X}` and, sealed, `{"$sensitive": {"$aes256gcm": BASE64}}`. A user's map of
/// that shape read back as a marked value, which is why version 2 keeps marks beside values
/// (`DocumentMarks`).
enum FormatV1 {
    /// The marked values of a parsed version 1 document: sealed ones opened with `cipher`
    /// (`bytes` are the document's, for a fast scan for sealed values), tagged forms turned back
    /// into marks.
    static func read(_ v: Value, bytes: some Collection<UInt8>, cipher: StateCipher?, what: String) throws(StateError) -> Value {
        var doc = v
        if mightHoldSealed(bytes) { doc = try open(doc, with: cipher, what: what) }
        return untag(doc)
    }

    /// Turns tagged forms back into marked values.
    static func untag(_ v: Value) -> Value {
        guard hasTag(v) else { return v }  // most values have none: no copy
        switch v {
        case .map(let m):
            if m.count == 1 {
                if m["$unknown"] != nil { return .unknown }
                if let s = m["$sensitive"] { return .sensitive(untag(s)) }
                if let d = m["$deferred"]?.listValue {
                    return .deferred(
                        d.map { part in
                            if case .string(let s) = part { return .literal(s) }
                            let r = part.mapValue ?? [:]
                            return .reference(resource: r["resource"]?.stringValue ?? "", path: r["path"]?.listValue?.compactMap(\.stringValue) ?? [])
                        })
                }
            }
            return .map(m.mapValues(untag))
        case .list(let l): return .list(l.map(untag))
        default: return v
        }
    }

    /// True when a tagged form (`{"$unknown": ...}` and the like) is anywhere inside.
    static func hasTag(_ v: Value) -> Bool {
        switch v {
        case .map(let m):
            if m.count == 1, let k = m.keys.first, k.hasPrefix("$") { return true }
            return m.values.contains(where: hasTag)
        case .list(let l): return l.contains(where: hasTag)
        default: return false
        }
    }

    /// The marker key of a sealed value.
    static let sealedMarker = "$aes256gcm"

    /// True when the document bytes hold a sealed value (a fast scan before any parsing work).
    static func mightHoldSealed(_ bytes: some Collection<UInt8>) -> Bool {
        let needle = Array(sealedMarker.utf8)
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
            if m.count == 1, let sealed = m["$sensitive"]?.mapValue?[sealedMarker]?.stringValue {
                guard let cipher else { throw StateCipher.missingKey(what) }
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
}
