import ProviderAPI

/// How values look to people: sensitive ones as `(sensitive)`, values computed during apply as
/// `(known after apply)`.
public enum DisplayValue {
    public static let sensitive = "(sensitive)"
    public static let knownAfterApply = "(known after apply)"

    /// A value safe to show, with the markers replaced by their labels.
    public static func redacted(_ v: Value) -> Value {
        switch v {
        case .sensitive: return .string(sensitive)
        case .unknown, .deferred: return .string(knownAfterApply)
        case .list(let l): return .list(l.map(redacted))
        case .map(let m): return .map(m.mapValues(redacted))
        default: return v
        }
    }

    /// One-line text for a value (HCL-like: strings quoted, lists in brackets).
    public static func text(_ v: Value) -> String {
        switch v {
        case .sensitive: return sensitive
        case .unknown, .deferred: return knownAfterApply
        case .string(let s):
            guard s.utf8.contains(UInt8(ascii: "\"")) else { return "\"" + s + "\"" }
            return "\"" + s.replacingOccurrences(of: "\"", with: "\\\"") + "\""
        case .null: return "null"
        case .list(let l): return "[" + l.map(text).joined(separator: ", ") + "]"
        case .map(let m): return "{" + m.keys.sorted().map { "\($0) = \(text(m[$0]!))" }.joined(separator: ", ") + "}"
        default: return v.interpolationText
        }
    }
}

/// ANSI colors, off when the output is not a terminal or NO_COLOR is set.
public struct Palette: Sendable {
    public var enabled: Bool
    public init(enabled: Bool) { self.enabled = enabled }
    func wrap(_ s: String, _ code: String) -> String { enabled ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
    public func green(_ s: String) -> String { wrap(s, "32") }
    public func yellow(_ s: String) -> String { wrap(s, "33") }
    public func red(_ s: String) -> String { wrap(s, "31") }
    public func magenta(_ s: String) -> String { wrap(s, "35") }
    public func bold(_ s: String) -> String { wrap(s, "1") }
    public func dim(_ s: String) -> String { wrap(s, "2") }

    func action(_ a: Action, _ s: String) -> String {
        switch a {
        case .create: return green(s)
        case .update: return yellow(s)
        case .replace: return magenta(s)
        case .delete: return red(s)
        default: return s
        }
    }
}
