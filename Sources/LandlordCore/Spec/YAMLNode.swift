/// A YAML node as Landlord reads it: scalars keep their text and quoting (types are decided
/// by what the schema expects, not by YAML 1.1's guesses), and every node keeps where it was.
public struct YAMLNode: Sendable {
    /// The shape of a node.
    public enum Kind: Sendable {
        /// Text and whether it was quoted (quoted scalars are always strings).
        case scalar(String, quoted: Bool)
        case sequence([YAMLNode])
        /// Keys in document order.
        case mapping([(key: YAMLNode, value: YAMLNode)])
    }

    public var kind: Kind
    public var location: SourceLocation

    public init(_ kind: Kind, at location: SourceLocation) {
        self.kind = kind
        self.location = location
    }

    /// The scalar's text, or nil for collections.
    public var scalar: String? {
        if case .scalar(let s, _) = kind { return s }
        return nil
    }

    /// True for an unquoted `~`, `null`, `Null`, `NULL` or empty scalar.
    public var isNull: Bool {
        if case .scalar(let s, let quoted) = kind, !quoted {
            return s.isEmpty || s == "~" || s == "null" || s == "Null" || s == "NULL"
        }
        return false
    }

    /// The key/value pairs of a mapping, or nil.
    public var mapping: [(key: YAMLNode, value: YAMLNode)]? {
        if case .mapping(let m) = kind { return m }
        return nil
    }

    /// The items of a sequence, or nil.
    public var sequence: [YAMLNode]? {
        if case .sequence(let s) = kind { return s }
        return nil
    }

    /// The value under a scalar key of a mapping.
    public subscript(key: String) -> YAMLNode? {
        guard let m = mapping else { return nil }
        for (k, v) in m where k.scalar == key { return v }
        return nil
    }

    /// What the node is, for "expected a mapping, found a sequence".
    public var kindName: String {
        switch kind {
        case .scalar: return isNull ? "nothing (null)" : "a scalar"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }
}
