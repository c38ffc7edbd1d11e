import Foundation
import ProviderAPI

/// What a `${...}` reference names.
public enum Reference: Sendable, Hashable {
    /// `${platform.key[.path]}`: a platform input.
    case platform([String])
    /// `${tenant.id}`.
    case tenantID
    /// `${tenant.suspended}`: true while the tenant file says `suspended: true`.
    case tenantSuspended
    /// `${name}`: a blueprint parameter.
    case parameter(String)
    /// `${resource.attribute[.path]}`: another resource of the same tenant.
    case resource(String, [String])
    /// `${seq.NAME}`: the tenant's number from a platform-wide sequence (allocated atomically).
    case sequence(String)
}

/// A property value as written in a blueprint, before a tenant's inputs are filled in.
public indirect enum ValueTemplate: Sendable, Hashable {
    /// A plain value with no references.
    case literal(Value)
    /// A string with `${...}` references; a single whole reference keeps the referenced type.
    case interpolated([Piece], location: SourceLocation)
    case list([ValueTemplate])
    case map([String: ValueTemplate])

    /// One piece of an interpolated string.
    public enum Piece: Sendable, Hashable {
        case text(String)
        case ref(Reference, source: String)
    }

    /// Every reference anywhere inside, with where it was written.
    public var references: [(Reference, SourceLocation)] {
        switch self {
        case .literal: return []
        case .interpolated(let pieces, let loc):
            return pieces.compactMap { if case .ref(let r, _) = $0 { return (r, loc) } else { return nil } }
        case .list(let items): return items.flatMap(\.references)
        case .map(let m): return m.keys.sorted().flatMap { m[$0]!.references }
        }
    }
}

/// Splits `a-${x.y}-b` into pieces. `$${` is a literal `${`.
enum TemplateParser {
    enum ParseError: Error {
        case unclosed
        case empty(String)
        case invalid(String)
    }

    static func hasReference(_ s: String) -> Bool { s.utf8.contains(UInt8(ascii: "$")) && s.contains("${") }

    static func parse(_ s: String) throws(ParseError) -> [ValueTemplate.Piece] {
        var pieces: [ValueTemplate.Piece] = []
        var text = ""
        var i = s.startIndex
        while i < s.endIndex {
            let c = s[i]
            if c == "$" {
                let next = s.index(after: i)
                if next < s.endIndex, s[next] == "$", s.index(after: next) < s.endIndex, s[s.index(after: next)] == "{" {
                    text += "${"
                    i = s.index(next, offsetBy: 2)
                    continue
                }
                if next < s.endIndex, s[next] == "{" {
                    guard let close = s[next...].firstIndex(of: "}") else { throw .unclosed }
                    let inner = s[s.index(after: next)..<close].trimmingCharacters(in: .whitespaces)
                    if inner.isEmpty { throw .empty(String(s)) }
                    let path = inner.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
                    if path.contains(where: { $0.isEmpty || !$0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" } }) {
                        throw .invalid(inner)
                    }
                    if !text.isEmpty {
                        pieces.append(.text(text))
                        text = ""
                    }
                    pieces.append(.ref(classify(path), source: inner))
                    i = s.index(after: close)
                    continue
                }
            }
            text.append(c)
            i = s.index(after: i)
        }
        if !text.isEmpty { pieces.append(.text(text)) }
        return pieces
    }

    static func classify(_ path: [String]) -> Reference {
        if path[0] == "platform" { return .platform(Array(path.dropFirst())) }
        if path == ["tenant", "id"] { return .tenantID }
        if path == ["tenant", "suspended"] { return .tenantSuspended }
        if path.count == 2 && path[0] == "seq" { return .sequence(path[1]) }
        if path.count == 1 { return .parameter(path[0]) }
        return .resource(path[0], Array(path.dropFirst()))
    }
}
