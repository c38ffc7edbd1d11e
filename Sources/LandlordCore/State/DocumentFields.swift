import Foundation
import ProviderAPI

/// The one strict mapping from parsed JSON to Landlord's documents (tenant and platform state,
/// journal entries, locks, saved plans): every field is asked for by name and type, and a
/// field that is missing or of the wrong type is a `StateFormatError` naming its path in the
/// document (`resources.web.inputs: expected an object, found a string`). Fields a document
/// does not know are ignored, as Codable does; an incompatible change bumps the document's
/// version instead (`DocumentVersion`).
public struct DocumentFields {
    /// The object's fields.
    public let fields: [String: Value]
    /// Where the object is in its document (`""` for the root), for messages.
    public let path: String

    /// The object `v`; an error when it is not one.
    public init(_ v: Value, at path: String = "") throws(StateFormatError) {
        guard case .map(let m) = v else { throw StateFormatError(message: "\(Self.label(path)): expected an object, found \(Self.kind(v))") }
        fields = m
        self.path = path
    }

    /// The path of the field `key` (`history[1].at`), for messages.
    public func at(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    func wrong(_ key: String, _ expected: String, _ found: Value) -> StateFormatError {
        StateFormatError(message: "\(at(key)): expected \(expected), found \(Self.kind(found))")
    }

    func missing(_ key: String) -> StateFormatError { StateFormatError(message: "\(at(key)): missing") }

    /// A required string.
    public func string(_ key: String) throws(StateFormatError) -> String {
        guard let v = fields[key] else { throw missing(key) }
        guard case .string(let s) = v else { throw wrong(key, "a string", v) }
        return s
    }

    /// A string that may be absent or null.
    public func optionalString(_ key: String) throws(StateFormatError) -> String? {
        guard let v = fields[key], v != .null else { return nil }
        guard case .string(let s) = v else { throw wrong(key, "a string", v) }
        return s
    }

    /// A required integer.
    public func int(_ key: String) throws(StateFormatError) -> Int {
        guard let v = fields[key] else { throw missing(key) }
        guard case .int(let n) = v else { throw wrong(key, "an integer", v) }
        return n
    }

    /// An integer that may be absent or null.
    public func optionalInt(_ key: String) throws(StateFormatError) -> Int? {
        guard let v = fields[key], v != .null else { return nil }
        guard case .int(let n) = v else { throw wrong(key, "an integer", v) }
        return n
    }

    /// A number (integer or not) that may be absent or null.
    public func optionalNumber(_ key: String) throws(StateFormatError) -> Double? {
        switch fields[key] {
        case nil, .null?: return nil
        case .int(let n)?: return Double(n)
        case .double(let d)?: return d
        case let v?: throw wrong(key, "a number", v)
        }
    }

    /// A boolean, `absent` when the field is missing.
    public func bool(_ key: String, absent: Bool = false) throws(StateFormatError) -> Bool {
        guard let v = fields[key] else { return absent }
        guard case .bool(let b) = v else { throw wrong(key, "true or false", v) }
        return b
    }

    /// A date as `StateDates` writes it.
    public func date(_ key: String) throws(StateFormatError) -> Date {
        let s = try string(key)
        guard let d = StateDates.parse(s) else { throw StateFormatError(message: "\(at(key)): '\(s)' is not a date (YYYY-MM-DDThh:mm:ss.sssZ)") }
        return d
    }

    /// An object of values (absent: empty).
    public func map(_ key: String) throws(StateFormatError) -> [String: Value] {
        guard let v = fields[key] else { return [:] }
        guard case .map(let m) = v else { throw wrong(key, "an object", v) }
        return m
    }

    /// A nested object.
    public func object(_ key: String) throws(StateFormatError) -> DocumentFields {
        guard let v = fields[key] else { throw missing(key) }
        return try DocumentFields(v, at: at(key))
    }

    /// Each entry of an object field, as an object (absent: none).
    func objects(_ key: String) throws(StateFormatError) -> [(key: String, fields: DocumentFields)] {
        var out: [(key: String, fields: DocumentFields)] = []
        for (k, v) in try map(key) { out.append((k, try DocumentFields(v, at: at(key) + "." + k))) }
        return out
    }

    /// An object of integers (absent: empty).
    func ints(_ key: String) throws(StateFormatError) -> [String: Int] {
        var out: [String: Int] = [:]
        for (k, v) in try map(key) {
            guard case .int(let n) = v else { throw wrong(key + "." + k, "an integer", v) }
            out[k] = n
        }
        return out
    }

    /// A list (absent: empty).
    public func list(_ key: String) throws(StateFormatError) -> [Value] {
        guard let v = fields[key] else { return [] }
        guard case .list(let l) = v else { throw wrong(key, "a list", v) }
        return l
    }

    /// A list of strings (absent: empty).
    public func strings(_ key: String) throws(StateFormatError) -> [String] {
        var out: [String] = []
        for (i, v) in try list(key).enumerated() {
            guard case .string(let s) = v else { throw wrong("\(key).\(i)", "a string", v) }
            out.append(s)
        }
        return out
    }

    /// A list of integers (absent: empty).
    func intList(_ key: String) throws(StateFormatError) -> [Int] {
        var out: [Int] = []
        for (i, v) in try list(key).enumerated() {
            guard case .int(let n) = v else { throw wrong("\(key).\(i)", "an integer", v) }
            out.append(n)
        }
        return out
    }

    /// A string naming a case of `T`.
    public func enumeration<T: RawRepresentable<String>>(_ key: String, _: T.Type) throws(StateFormatError) -> T {
        let s = try string(key)
        guard let t = T(rawValue: s) else { throw StateFormatError(message: "\(at(key)): unknown value '\(s)'") }
        return t
    }

    static func label(_ path: String) -> String { path.isEmpty ? "the document" : path }

    static func kind(_ v: Value) -> String {
        switch v {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int, .double: return "a number"
        case .string: return "a string"
        case .list: return "a list"
        case .map: return "an object"
        case .unknown, .deferred, .sensitive: return "a marked value"
        }
    }
}

/// The version check every document passes before it is read: `format_version` is one this
/// landlord reads, else an error that says whether the document is newer (upgrade landlord) or
/// not a Landlord document at all.
enum DocumentVersion {
    /// The document's version when it is in `reads`. `absent` is the version of documents
    /// written before they carried one (nil: the field is required).
    static func check(_ doc: DocumentFields, reads: ClosedRange<Int>, absent: Int? = nil, document: String) throws(StateFormatError) -> Int {
        let version: Int
        switch doc.fields["format_version"] {
        case nil:
            guard let absent else { throw StateFormatError(message: "not a Landlord \(document) (it has no format_version)") }
            version = absent
        case .int(let n)?: version = n
        // Saved plans of version 1 wrote it as a string.
        case .string(let s)? where Int(s) != nil: version = Int(s)!
        case let v?: throw doc.wrong("format_version", "an integer", v)
        }
        guard version <= reads.upperBound else {
            throw StateFormatError(
                message:
                    """
                    \(document) format version \(version) was written by a newer landlord; this landlord \
                    (\(LandlordVersion.current)) reads versions \(reads.lowerBound) to \(reads.upperBound). Upgrade \
                    landlord (scripts/install-landlord.sh) and run again; nothing was changed
                    """
            )
        }
        guard version >= reads.lowerBound else {
            throw StateFormatError(
                message: "\(document) format version \(version) is not one landlord ever wrote (it reads \(reads.lowerBound) to \(reads.upperBound))")
        }
        return version
    }
}
