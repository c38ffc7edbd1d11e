import ProviderAPI

/// Turns YAML nodes into Values by the type the reader expects, never by YAML 1.1's guesses:
/// an attribute declared `string` keeps `no` and `0755` as text; quoted scalars are strings.
enum NodeValues {
    /// A node read with no declared type: quoted scalars are strings; unquoted ones are null,
    /// true/false, integers, decimals, or otherwise strings.
    static func untyped(_ node: YAMLNode) -> Value {
        switch node.kind {
        case .scalar(let s, let quoted):
            if quoted { return .string(s) }
            if node.isNull { return .null }
            if s == "true" || s == "True" || s == "TRUE" { return .bool(true) }
            if s == "false" || s == "False" || s == "FALSE" { return .bool(false) }
            if let i = Int(s), !(s.count > 1 && s.hasPrefix("0")) { return .int(i) }
            if s.contains("."), let d = Double(s), s.first?.isNumber == true || s.first == "-" { return .double(d) }
            return .string(s)
        case .sequence(let items): return .list(items.map(untyped))
        case .mapping(let pairs):
            var m: [String: Value] = [:]
            for (k, v) in pairs { m[k.scalar ?? ""] = untyped(v) }
            return .map(m)
        }
    }

    /// A node read as a declared type; nil with a message when it does not fit.
    static func typed(_ node: YAMLNode, as type: AttributeType) -> Result<Value, Problem> {
        if node.isNull { return .success(.null) }
        switch type {
        case .any: return .success(untyped(node))
        case .string:
            guard let s = node.scalar else { return .failure("expected a string, found \(node.kindName)") }
            return .success(.string(s))
        case .int:
            guard let s = node.scalar, let i = Int(s) else { return .failure("expected an integer, found '\(node.scalar ?? node.kindName)'") }
            return .success(.int(i))
        case .double:
            guard let s = node.scalar, let d = Double(s) else { return .failure("expected a number, found '\(node.scalar ?? node.kindName)'") }
            return .success(.double(d))
        case .bool:
            switch node.scalar {
            case "true", "True", "TRUE": return .success(.bool(true))
            case "false", "False", "FALSE": return .success(.bool(false))
            default: return .failure("expected true or false, found '\(node.scalar ?? node.kindName)'")
            }
        case .list:
            guard let items = node.sequence else { return .failure("expected a list, found \(node.kindName)") }
            return .success(.list(items.map(untyped)))
        case .map:
            guard node.mapping != nil else { return .failure("expected a mapping, found \(node.kindName)") }
            return .success(untyped(node))
        }
    }

    /// Converts an evaluated value to an attribute's type (a parameter `"8080"` into an int
    /// attribute, an int into a string attribute); nil when it cannot.
    static func coerce(_ value: Value, to type: AttributeType) -> Value? {
        switch (value, type) {
        case (.sensitive(let inner), _): return coerce(inner, to: type).map { .sensitive($0) }
        case (.null, _), (.unknown, _), (.deferred, _), (_, .any): return value
        case (.string, .string), (.int, .int), (.bool, .bool), (.double, .double), (.list, .list), (.map, .map): return value
        case (.int(let i), .string): return .string(String(i))
        case (.double, .string), (.bool, .string): return .string(value.interpolationText)
        case (.int(let i), .double): return .double(Double(i))
        case (.string(let s), .int): return Int(s).map { .int($0) }
        case (.double(let d), .int): return d.rounded() == d ? .int(Int(d)) : nil
        case (.string(let s), .double): return Double(s).map { .double($0) }
        case (.string(let s), .bool): return s == "true" ? .bool(true) : s == "false" ? .bool(false) : nil
        default: return nil
        }
    }
}
