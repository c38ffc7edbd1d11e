import Foundation
import ProviderAPI

/// One step of a path into a document: a map key or a list index.
public enum PathStep: Sendable, Hashable, CustomStringConvertible {
    case key(String)
    case index(Int)

    var json: Value {
        switch self {
        case .key(let k): return .string(k)
        case .index(let i): return .int(i)
        }
    }

    public var description: String {
        switch self {
        case .key(let k): return k
        case .index(let i): return String(i)
        }
    }
}

/// The marks of a document of format version 2 (tenant state, journal entries, saved plans),
/// kept beside its values instead of inside them.
///
/// Version 1 wrote a marked value in-band, as a one-key object (`{"$sensitive": X}`,
/// `{"$unknown": true}`, `{"$deferred": [...]}`), so a user's map with such a key read back as
/// a marked value. Version 2 writes every value as the plain JSON it is, and lists the marked
/// ones in one top-level `marks` object, by path from the document's root (a path step is a
/// map key, a string, or a list index, an integer):
///
///     "resources": {"db": {"inputs": {"password": "hunter2", "env": [..., ..., {"value": null}]}}},
///     "marks": {
///       "sensitive": [["resources", "db", "inputs", "password"]],
///       "unknown": [["resources", "db", "outputs", "arn"]],
///       "deferred": [{"path": ["resources", "db", "inputs", "env", 2, "value"],
///                     "template": ["https://", {"resource": "lb", "path": ["dnsName"]}]}],
///       "sealed": [["resources", "api", "inputs", "token"]]
///     }
///
/// - `sensitive`: the value at the path is sensitive (redacted in plans, never logged).
/// - `unknown`: known only after apply; the document holds `null` there.
/// - `deferred`: built from other resources' attributes once they are known; the document
///   holds `null` there and the template (literal strings and `{"resource", "path"}`
///   references) is in the mark.
/// - `sealed`: a sensitive value encrypted by `StateCipher`; the document holds the base64
///   text of AES-256-GCM(nonce | ciphertext | tag) of the value's JSON there. A sealed value's
///   own inner marks (a sensitive value inside it) are listed by their full paths as usual.
///
/// Marks are found by walking the whole document (`split`), so any field, including one added
/// later (a tenant's `outputs`), has its marks written and read with no extra work. A document
/// without marks has no `marks` key, and reading it costs nothing more than version 1.
public struct DocumentMarks: Sendable, Hashable {
    /// A deferred value's path and template.
    public struct Deferred: Sendable, Hashable {
        public var path: [PathStep]
        public var template: [TemplatePart]
    }

    public var sensitive: [[PathStep]] = []
    public var unknown: [[PathStep]] = []
    public var deferred: [Deferred] = []
    public var sealed: [[PathStep]] = []

    public init() {}

    public var isEmpty: Bool { sensitive.isEmpty && unknown.isEmpty && deferred.isEmpty && sealed.isEmpty }

    // MARK: Writing

    /// The document's plain values and its marks.
    public static func split(_ doc: Value) -> (plain: Value, marks: DocumentMarks) {
        var marks = DocumentMarks()
        var path: [PathStep] = []
        let plain = strip(doc, &path, &marks) ?? doc
        // In path order, so that the same document is always written the same way.
        marks.sensitive.sort(by: Self.precedes)
        marks.unknown.sort(by: Self.precedes)
        marks.deferred.sort { precedes($0.path, $1.path) }
        return (plain, marks)
    }

    /// Path order: step by step, keys before indexes, keys by text, indexes by number.
    static func precedes(_ a: [PathStep], _ b: [PathStep]) -> Bool {
        for (x, y) in zip(a, b) where x != y {
            switch (x, y) {
            case (.key(let p), .key(let q)): return p < q
            case (.index(let p), .index(let q)): return p < q
            case (.key, .index): return true
            case (.index, .key): return false
            }
        }
        return a.count < b.count
    }

    /// `v` without its marks (recorded in `marks`), or nil when it has none (no copy is made
    /// of the many values without).
    static func strip(_ v: Value, _ path: inout [PathStep], _ marks: inout DocumentMarks) -> Value? {
        switch v {
        case .null, .bool, .int, .double, .string: return nil
        case .unknown:
            marks.unknown.append(path)
            return .null
        case .deferred(let parts):
            marks.deferred.append(Deferred(path: path, template: parts))
            return .null
        case .sensitive(let inner):
            marks.sensitive.append(path)
            return strip(inner, &path, &marks) ?? inner
        case .list(let items):
            var out: [Value]? = nil
            for (i, item) in items.enumerated() {
                path.append(.index(i))
                if let s = strip(item, &path, &marks) {
                    if out == nil { out = items }
                    out![i] = s
                }
                path.removeLast()
            }
            return out.map(Value.list)
        case .map(let m):
            var out: [String: Value]? = nil
            for (k, item) in m {
                path.append(.key(k))
                if let s = strip(item, &path, &marks) {
                    if out == nil { out = m }
                    out![k] = s
                }
                path.removeLast()
            }
            return out.map(Value.map)
        }
    }

    /// Encrypts the outermost sensitive values of `plain` with `cipher`: their paths move from
    /// `sensitive` to `sealed` (sensitive values inside them stay listed, by their paths).
    public mutating func seal(_ plain: inout Value, with cipher: StateCipher) {
        var outer = Set<[PathStep]>()
        var inner: [[PathStep]] = []
        for p in sensitive {
            let nested = sensitive.contains { q in q.count < p.count && Array(p.prefix(q.count)) == q }
            // One seal per place: a value marked twice (sensitive inside sensitive) keeps its
            // second mark in `sensitive`, applied after opening.
            if nested || !outer.insert(p).inserted { inner.append(p) }
        }
        for p in outer { Self.update(&plain, p[...]) { .string(cipher.sealText($0)) } }
        sensitive = inner
        sealed = (sealed + outer).sorted(by: Self.precedes)
    }

    /// The `marks` object, or nil when there are none.
    public var json: Value? {
        guard !isEmpty else { return nil }
        func paths(_ ps: [[PathStep]]) -> Value { .list(ps.map { .list($0.map(\.json)) }) }
        var m: [String: Value] = [:]
        if !sensitive.isEmpty { m["sensitive"] = paths(sensitive) }
        if !unknown.isEmpty { m["unknown"] = paths(unknown) }
        if !sealed.isEmpty { m["sealed"] = paths(sealed) }
        if !deferred.isEmpty {
            m["deferred"] = .list(
                deferred.map { d in
                    .map(["path": .list(d.path.map(\.json)), "template": .list(d.template.map(Self.partJSON))])
                })
        }
        return .map(m)
    }

    static func partJSON(_ p: TemplatePart) -> Value {
        switch p {
        case .literal(let s): return .string(s)
        case .reference(let r, let path): return .map(["resource": .string(r), "path": .list(path.map { .string($0) })])
        }
    }

    // MARK: Reading

    /// Reads a `marks` object.
    init(json v: Value) throws(StateFormatError) {
        let f = try DocumentFields(v, at: "marks")
        func paths(_ key: String) throws(StateFormatError) -> [[PathStep]] {
            var out: [[PathStep]] = []
            for (i, p) in try f.list(key).enumerated() { out.append(try Self.path(p, at: "marks.\(key).\(i)")) }
            return out
        }
        sensitive = try paths("sensitive")
        unknown = try paths("unknown")
        sealed = try paths("sealed")
        for (i, d) in try f.list("deferred").enumerated() {
            let df = try DocumentFields(d, at: "marks.deferred.\(i)")
            let path = try Self.path(df.fields["path"] ?? .null, at: df.at("path"))
            var parts: [TemplatePart] = []
            for (j, part) in try df.list("template").enumerated() {
                switch part {
                case .string(let s): parts.append(.literal(s))
                default:
                    let pf = try DocumentFields(part, at: df.at("template.\(j)"))
                    parts.append(.reference(resource: try pf.string("resource"), path: try pf.strings("path")))
                }
            }
            deferred.append(Deferred(path: path, template: parts))
        }
    }

    static func path(_ v: Value, at place: String) throws(StateFormatError) -> [PathStep] {
        guard case .list(let steps) = v else { throw StateFormatError(message: "\(place): expected a path (a list of keys and indexes)") }
        var out: [PathStep] = []
        for s in steps {
            switch s {
            case .string(let k): out.append(.key(k))
            case .int(let i) where i >= 0: out.append(.index(i))
            default: throw StateFormatError(message: "\(place): a path step is a key (string) or an index (integer ≥ 0)")
            }
        }
        return out
    }

    /// Puts the marks back into the plain document: sealed values opened with `cipher` (an
    /// error without one, or with another key), unknown and deferred values in their places,
    /// then sensitive ones wrapped, innermost first. A path that leads nowhere in the document
    /// is an error naming it.
    public func apply(to plain: Value, cipher: StateCipher?, what: String) throws -> Value {
        var doc = plain
        for p in sealed {
            let text = try Self.value(doc, at: p)
            guard case .string(let s) = text else { throw StateFormatError(message: "\(Self.label(p)): a sealed value is not sealed text") }
            guard let cipher else { throw StateCipher.missingKey(what) }
            let opened = try cipher.openSealed(s, what: what)
            Self.update(&doc, p[...]) { _ in opened }
        }
        for p in unknown {
            _ = try Self.value(doc, at: p)
            Self.update(&doc, p[...]) { _ in .unknown }
        }
        for d in deferred {
            _ = try Self.value(doc, at: d.path)
            Self.update(&doc, d.path[...]) { _ in .deferred(d.template) }
        }
        for p in (sensitive + sealed).sorted(by: { $0.count > $1.count }) {
            _ = try Self.value(doc, at: p)
            Self.update(&doc, p[...]) { .sensitive($0) }
        }
        return doc
    }

    static func label(_ p: [PathStep]) -> String { p.isEmpty ? "the document" : p.map(\.description).joined(separator: ".") }

    /// The value at `p`; an error when the path leads nowhere.
    static func value(_ doc: Value, at p: [PathStep]) throws(StateFormatError) -> Value {
        var cur = doc
        for step in p {
            if case .sensitive(let inner) = cur { cur = inner }
            switch (step, cur) {
            case (.key(let k), .map(let m)) where m[k] != nil: cur = m[k]!
            case (.index(let i), .list(let l)) where i < l.count: cur = l[i]
            default: throw StateFormatError(message: "marks: the path \(label(p)) leads nowhere in the document")
            }
        }
        return cur
    }

    /// Replaces the value at `p` (which exists) by `f` of it.
    static func update(_ v: inout Value, _ p: ArraySlice<PathStep>, _ f: (Value) -> Value) {
        guard let step = p.first else {
            v = f(v)
            return
        }
        switch (step, v) {
        case (.key(let k), .map(var m)):
            v = .null  // drops the enum's reference, so `m` is changed in place
            if var child = m[k] {
                m[k] = nil
                update(&child, p.dropFirst(), f)
                m[k] = child
            }
            v = .map(m)
        case (.index(let i), .list(var l)) where i < l.count:
            v = .null
            update(&l[i], p.dropFirst(), f)
            v = .list(l)
        case (_, .sensitive(var inner)):
            v = .null
            update(&inner, p, f)
            v = .sensitive(inner)
        default: return
        }
    }
}
