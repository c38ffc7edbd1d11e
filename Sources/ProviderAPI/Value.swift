/// An attribute value as the engine and providers exchange it.
///
/// Values are plain data (strings, numbers, booleans, lists, maps) plus two planning-time
/// markers: `unknown` for a computed value only the provider learns during apply, and
/// `deferred` for a value built from other resources' attributes that are not known yet
/// (the parts say exactly how to build it once they are). `sensitive` wraps a value that
/// must never be shown or written in clear outside state.
public enum Value: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([Value])
    case map([String: Value])
    /// Computed by the provider during apply; nothing at plan time says what it will be.
    case unknown
    /// A value made of template parts, some referring to attributes of resources of the same
    /// tenant that will be known once those resources are applied.
    case deferred([TemplatePart])
    /// A value that must be redacted in plans, renderings and logs.
    indirect case sensitive(Value)

    /// True when the value (or anything inside it) is not known until apply.
    public var isKnown: Bool {
        switch self {
        case .unknown, .deferred: return false
        case .list(let items): return items.allSatisfy(\.isKnown)
        case .map(let map): return map.values.allSatisfy(\.isKnown)
        case .sensitive(let inner): return inner.isKnown
        default: return true
        }
    }

    /// True when the value (or anything inside it) is marked sensitive.
    public var isSensitive: Bool {
        switch self {
        case .sensitive: return true
        case .list(let items): return items.contains(where: \.isSensitive)
        case .map(let map): return map.values.contains(where: \.isSensitive)
        default: return false
        }
    }

    /// The value with every `sensitive` marker removed (for sending to a provider).
    public var revealed: Value {
        switch self {
        case .sensitive(let inner): return inner.revealed
        case .list(let items): return .list(items.map(\.revealed))
        case .map(let map): return .map(map.mapValues(\.revealed))
        default: return self
        }
    }

    /// The string inside a `.string`, or nil.
    public var stringValue: String? {
        switch self {
        case .string(let s): return s
        case .sensitive(let inner): return inner.stringValue
        default: return nil
        }
    }

    /// The integer inside an `.int` (or an integral `.double`), or nil.
    public var intValue: Int? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d.rounded() == d && abs(d) < 9e15: return Int(d)
        case .string(let s): return Int(s)
        case .sensitive(let inner): return inner.intValue
        default: return nil
        }
    }

    /// The boolean inside a `.bool`, or nil.
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        if case .sensitive(let inner) = self { return inner.boolValue }
        return nil
    }

    /// The list inside a `.list`, or nil.
    public var listValue: [Value]? {
        if case .list(let l) = self { return l }
        if case .sensitive(let inner) = self { return inner.listValue }
        return nil
    }

    /// The map inside a `.map`, or nil.
    public var mapValue: [String: Value]? {
        if case .map(let m) = self { return m }
        if case .sensitive(let inner) = self { return inner.mapValue }
        return nil
    }

    /// The value at a path of map keys and list indexes (`["records", "0"]`), looking through
    /// `sensitive`; nil when the path leads nowhere.
    public func at(_ path: some Sequence<String>) -> Value? {
        var cur = self
        for key in path {
            if case .sensitive(let inner) = cur { cur = inner }
            if let m = cur.mapValue, let next = m[key] {
                cur = next
                continue
            }
            if let l = cur.listValue, let i = Int(key), l.indices.contains(i) {
                cur = l[i]
                continue
            }
            return nil
        }
        return cur
    }

    /// Text used where a value is interpolated into a string template.
    public var interpolationText: String {
        switch self {
        case .null: return ""
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return d.rounded() == d && abs(d) < 9e15 ? String(Int(d)) : String(d)
        case .string(let s): return s
        case .sensitive(let inner): return inner.interpolationText
        case .list, .map, .unknown, .deferred: return ""
        }
    }
}

/// One part of a deferred value: literal text, or a reference to `resource.attribute[.path]`
/// of the same tenant.
public enum TemplatePart: Sendable, Hashable {
    case literal(String)
    case reference(resource: String, path: [String])

    /// `${resource.path}` as the user wrote it.
    public var sourceText: String {
        switch self {
        case .literal(let s): return s
        case .reference(let r, let p): return "${" + ([r] + p).joined(separator: ".") + "}"
        }
    }
}

extension Value: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: Value...) { self = .list(elements) }
    public init(dictionaryLiteral elements: (String, Value)...) {
        self = .map(Dictionary(elements, uniquingKeysWith: { _, b in b }))
    }
}
