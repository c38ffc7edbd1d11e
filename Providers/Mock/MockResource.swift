import ProviderAPI

/// One resource in the simulated cloud.
public struct MockResource: Sendable, Hashable {
    public var type: String
    public var id: String
    public var attributes: [String: Value]
    public var tags: [String: String]

    public init(type: String, id: String, attributes: [String: Value], tags: [String: String]) {
        self.type = type
        self.id = id
        self.attributes = attributes
        self.tags = tags
    }

    var key: String { type + "|" + id }

    /// The resource as the cloud file and its journal hold it: one JSON object whose first two
    /// keys are `type` and `id` (so a loader finds a record's key without parsing the rest),
    /// then `attributes` (plain JSON) and `tags`, then `marks` when a value is sensitive,
    /// unknown or deferred (JSON holds plain data; the marks say which values carry one, by
    /// path from the record's root, as state files of format version 2 do).
    var record: [UInt8] {
        let (plain, marks) = RecordMarks.split(attributes)
        var out = Array("{\"type\":".utf8)
        out.reserveCapacity(512)
        out += JSON.serialize(.string(type))
        out += Array(",\"id\":".utf8)
        out += JSON.serialize(.string(id))
        out += Array(",\"attributes\":".utf8)
        out += JSON.serialize(.map(plain))
        out += Array(",\"tags\":".utf8)
        out += JSON.serialize(.map(tags.mapValues { .string($0) }))
        if let marks {
            out += Array(",\"marks\":".utf8)
            out += JSON.serialize(marks)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// A resource from its record (any key order; `marks` optional); nil when it is not one.
    init?(json: Value) {
        guard let m = json.mapValue, let type = m["type"]?.stringValue, let id = m["id"]?.stringValue else { return nil }
        self.type = type
        self.id = id
        attributes = m["attributes"]?.mapValue ?? [:]
        tags = (m["tags"]?.mapValue ?? [:]).compactMapValues(\.stringValue)
        if let marks = m["marks"] {
            guard RecordMarks.merge(marks, into: &attributes) else { return nil }
        }
    }

    /// A resource from its record's bytes (any key order; `marks` optional); nil when they are
    /// not one. Read member by member: a refresh reads every resource of the cloud, and the
    /// attributes go straight into their map, without a map for the record around them.
    init?(record bytes: [UInt8]) {
        var type: String?
        var id: String?
        var attributes: [String: Value] = [:]
        var tags: [String: String] = [:]
        var marks: Value?
        do {
            try JSON.read(bytes) { r throws(JSON.ParseError) in
                try r.members { key, r throws(JSON.ParseError) in
                    switch key {
                    case "type": type = try r.value().stringValue
                    case "id": id = try r.value().stringValue
                    case "attributes": try r.object(into: &attributes)
                    case "tags":
                        try r.members { k, r throws(JSON.ParseError) in
                            if let s = try r.value().stringValue { tags[k] = s }
                        }
                    case "marks": marks = try r.value()
                    default: _ = try r.value()
                    }
                }
            }
        } catch {
            return nil
        }
        guard let type, let id else { return nil }
        if let marks, !RecordMarks.merge(marks, into: &attributes) { return nil }
        self.init(type: type, id: id, attributes: attributes, tags: tags)
    }
}

/// The marks of a record's attributes, split off before it is written as JSON and put back
/// when it is read: `{"sensitive": [PATH...], "unknown": [PATH...], "deferred": [{"path",
/// "template"}...]}`, a path being the record's keys and list indexes from its root
/// (`["attributes", "environment", "API_KEY"]`), a template its literal strings and
/// `{"resource", "path"}` references. Unknown and deferred values are `null` in the JSON.
enum RecordMarks {
    /// The plain attributes and their marks (nil when no value carries one).
    static func split(_ attributes: [String: Value]) -> (plain: [String: Value], marks: Value?) {
        guard attributes.values.contains(where: { $0.isSensitive || !$0.isKnown }) else { return (attributes, nil) }
        var sensitive: [Value] = []
        var unknown: [Value] = []
        var deferred: [Value] = []
        var path: [Value] = ["attributes"]
        var plain: [String: Value] = [:]
        for (k, v) in attributes {
            path.append(.string(k))
            plain[k] = strip(v, &path, &sensitive, &unknown, &deferred)
            path.removeLast()
        }
        var marks: [String: Value] = [:]
        if !sensitive.isEmpty { marks["sensitive"] = .list(sensitive) }
        if !unknown.isEmpty { marks["unknown"] = .list(unknown) }
        if !deferred.isEmpty { marks["deferred"] = .list(deferred) }
        return (plain, .map(marks))
    }

    private static func strip(_ v: Value, _ path: inout [Value], _ s: inout [Value], _ u: inout [Value], _ d: inout [Value]) -> Value {
        switch v {
        case .sensitive(let inner):
            s.append(.list(path))
            return strip(inner, &path, &s, &u, &d)
        case .unknown:
            u.append(.list(path))
            return .null
        case .deferred(let parts):
            d.append(.map(["path": .list(path), "template": .list(parts.map(templateJSON))]))
            return .null
        case .list(let items) where items.contains(where: { $0.isSensitive || !$0.isKnown }):
            var out: [Value] = []
            out.reserveCapacity(items.count)
            for (i, item) in items.enumerated() {
                path.append(.int(i))
                out.append(strip(item, &path, &s, &u, &d))
                path.removeLast()
            }
            return .list(out)
        case .map(let m) where m.values.contains(where: { $0.isSensitive || !$0.isKnown }):
            var out: [String: Value] = [:]
            for (k, item) in m {
                path.append(.string(k))
                out[k] = strip(item, &path, &s, &u, &d)
                path.removeLast()
            }
            return .map(out)
        default:
            return v
        }
    }

    private static func templateJSON(_ p: TemplatePart) -> Value {
        switch p {
        case .literal(let s): return .string(s)
        case .reference(let r, let path): return .map(["resource": .string(r), "path": .list(path.map { .string($0) })])
        }
    }

    private static func template(_ v: Value) -> [TemplatePart]? {
        guard let parts = v.listValue else { return nil }
        var out: [TemplatePart] = []
        for p in parts {
            if case .string(let s) = p {
                out.append(.literal(s))
            } else if let m = p.mapValue, let r = m["resource"]?.stringValue, let path = m["path"]?.listValue {
                let steps = path.compactMap(\.stringValue)
                guard steps.count == path.count else { return nil }
                out.append(.reference(resource: r, path: steps))
            } else {
                return nil
            }
        }
        return out
    }

    /// Puts the marks back on `attributes`; false when a mark names no value there.
    static func merge(_ marks: Value, into attributes: inout [String: Value]) -> Bool {
        guard let m = marks.mapValue else { return false }
        var root = Value.map(["attributes": .map(attributes)])
        for p in m["unknown"]?.listValue ?? [] {
            guard let path = p.listValue, change(&root, path[...], { $0 = .unknown }) else { return false }
        }
        for e in m["deferred"]?.listValue ?? [] {
            guard let path = e.mapValue?["path"]?.listValue, let t = e.mapValue?["template"].flatMap(template),
                change(&root, path[...], { $0 = .deferred(t) })
            else { return false }
        }
        for p in m["sensitive"]?.listValue ?? [] {
            guard let path = p.listValue, change(&root, path[...], { $0 = .sensitive($0) }) else { return false }
        }
        guard let merged = root.mapValue?["attributes"]?.mapValue else { return false }
        attributes = merged
        return true
    }

    /// Applies `f` to the value at `path` (through sensitive wrappers); false when there is none.
    private static func change(_ v: inout Value, _ path: ArraySlice<Value>, _ f: (inout Value) -> Void) -> Bool {
        guard let step = path.first else {
            f(&v)
            return true
        }
        switch (v, step) {
        case (.sensitive(var inner), _):
            guard change(&inner, path, f) else { return false }
            v = .sensitive(inner)
            return true
        case (.map(var m), .string(let k)):
            guard var item = m[k] else { return false }
            v = .null  // so `m` is uniquely referenced while it changes
            let ok = change(&item, path.dropFirst(), f)
            m[k] = item
            v = .map(m)
            return ok
        case (.list(var items), .int(let i)):
            guard items.indices.contains(i) else { return false }
            v = .null
            let ok = change(&items[i], path.dropFirst(), f)
            v = .list(items)
            return ok
        default:
            return false
        }
    }
}
