import Foundation
import ProviderAPI

/// A `when:` condition on a resource or output: `"${tier} == 'premium'"`.
///
/// The grammar is deliberately small: comparisons `==` and `!=`, membership `in [...]` (and
/// `not in [...]`), of parameters (`${tier}`) and platform inputs (`${platform.region}`) with
/// string (`'premium'`, `"premium"`), number and bool literals, combined with `&&`, `||`, `!`
/// and parentheses. Nothing else: no resource attributes (a condition is decided at plan time,
/// before anything is applied), no arithmetic, no functions.
public indirect enum Condition: Sendable, Hashable {
    /// `a == b` (`equal: true`) or `a != b`.
    case compare(ConditionOperand, ConditionOperand, equal: Bool)
    /// `a in [x, y]` (`negated: false`) or `a not in [x, y]`.
    case member(ConditionOperand, [ConditionOperand], negated: Bool)
    /// `!c`.
    case not(Condition)
    /// `a && b`.
    case and(Condition, Condition)
    /// `a || b`.
    case or(Condition, Condition)
    /// `a < b`, `a <= b`, `a > b`, `a >= b`: numbers only.
    case order(ConditionOperand, ConditionOperand, ConditionOrder)

    /// The condition written in one canonical way (spacing, quotes and redundant parentheses
    /// removed): two conditions with the same canonical text are the same condition.
    public var canonical: String {
        switch self {
        case .compare(let a, let b, let eq): return "\(a.canonical) \(eq ? "==" : "!=") \(b.canonical)"
        case .member(let a, let items, let neg):
            return "\(a.canonical) \(neg ? "not in" : "in") [\(items.map(\.canonical).joined(separator: ", "))]"
        case .not(let c): return "!(\(c.canonical))"
        case .and(let a, let b): return "(\(a.canonical)) && (\(b.canonical))"
        case .or(let a, let b): return "(\(a.canonical)) || (\(b.canonical))"
        case .order(let a, let b, let op): return "\(a.canonical) \(op.rawValue) \(b.canonical)"
        }
    }

    /// The conjuncts of a chain of `&&` (a condition that is not an `&&` is its own one).
    public var conjuncts: Set<String> {
        if case .and(let a, let b) = self { return a.conjuncts.union(b.conjuncts) }
        return [canonical]
    }

    /// True when whenever `self` holds, `other` holds too, as far as this check sees: the same
    /// condition, or `other` is one of the `&&` parts of `self` (`A && B` implies `A`). It does
    /// not reason about values (`${tier} == 'premium'` is not taken to imply
    /// `${tier} != 'basic'`).
    public func implies(_ other: Condition) -> Bool {
        other.conjuncts.isSubset(of: conjuncts)
    }

    /// Every operand that refers to a parameter or platform input, with its offset in the text.
    public var references: [ConditionOperand] {
        switch self {
        case .compare(let a, let b, _), .order(let a, let b, _): return [a, b].filter(\.isReference)
        case .member(let a, let items, _): return ([a] + items).filter(\.isReference)
        case .not(let c): return c.references
        case .and(let a, let b), .or(let a, let b): return a.references + b.references
        }
    }

    /// Decides the condition for one tenant: `lookup` gives a referenced value.
    public func evaluate(_ lookup: (Reference) -> Value?) -> Result<Bool, Problem> {
        switch self {
        case .compare(let a, let b, let eq):
            switch (a.value(lookup), b.value(lookup)) {
            case (.success(let x), .success(let y)): return .success(Self.same(x, y) == eq)
            case (.failure(let e), _), (_, .failure(let e)): return .failure(e)
            }
        case .member(let a, let items, let neg):
            let x: Value
            switch a.value(lookup) {
            case .success(let v): x = v
            case .failure(let e): return .failure(e)
            }
            var found = false
            for i in items {
                switch i.value(lookup) {
                case .success(let y): if Self.same(x, y) { found = true }
                case .failure(let e): return .failure(e)
                }
            }
            return .success(found != neg)
        case .not(let c): return c.evaluate(lookup).map { !$0 }
        case .and(let a, let b):
            return a.evaluate(lookup).flatMap { $0 ? b.evaluate(lookup) : .success(false) }
        case .or(let a, let b):
            return a.evaluate(lookup).flatMap { $0 ? .success(true) : b.evaluate(lookup) }
        case .order(let a, let b, let op):
            switch (a.value(lookup), b.value(lookup)) {
            case (.success(let x), .success(let y)):
                guard let l = Self.number(x), let r = Self.number(y) else {
                    return .failure(Problem("'\(op.rawValue)' compares numbers; \(a.canonical) or \(b.canonical) is not a number"))
                }
                return .success(op.holds(l, r))
            case (.failure(let e), _), (_, .failure(let e)): return .failure(e)
            }
        }
    }

    /// A value as a number, for ordering: ints, doubles and strings that spell one.
    static func number(_ v: Value) -> Double? {
        switch v.revealed {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .string(let s): return Double(s)
        default: return nil
        }
    }

    /// Equality as conditions see it: sensitivity ignored, 3 == 3.0, a string parameter
    /// holding "3" equal to the literal 3.
    static func same(_ a: Value, _ b: Value) -> Bool {
        let (x, y) = (a.revealed, b.revealed)
        if x == y { return true }
        switch (x, y) {
        case (.int(let i), .double(let d)), (.double(let d), .int(let i)): return Double(i) == d
        case (.string(let s), .int), (.string(let s), .double), (.string(let s), .bool):
            return s == y.interpolationText
        case (.int, .string(let s)), (.double, .string(let s)), (.bool, .string(let s)):
            return s == x.interpolationText
        default: return false
        }
    }
}

/// The ordering comparisons: `<`, `<=`, `>`, `>=`.
public enum ConditionOrder: String, Sendable, Hashable {
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="

    func holds(_ a: Double, _ b: Double) -> Bool {
        switch self {
        case .less: return a < b
        case .lessOrEqual: return a <= b
        case .greater: return a > b
        case .greaterOrEqual: return a >= b
        }
    }
}

/// One side of a comparison: a literal or a `${...}` reference, with its offset (in
/// characters) in the condition's text for diagnostics.
public struct ConditionOperand: Sendable, Hashable {
    /// What the operand is.
    public enum Kind: Sendable, Hashable {
        /// `'premium'`, `3`, `true`.
        case literal(Value)
        /// `${tier}` or `${platform.region}`, with the text between the braces.
        case reference(Reference, source: String)
    }
    /// What the operand is.
    public var kind: Kind
    /// Offset of the operand's first character in the condition text.
    public var offset: Int

    var isReference: Bool {
        if case .reference = kind { return true }
        return false
    }

    var canonical: String {
        switch kind {
        case .reference(_, let src): return "${\(src)}"
        case .literal(.string(let s)): return "'" + s.replacingOccurrences(of: "'", with: "\\'") + "'"
        case .literal(let v): return v.interpolationText
        }
    }

    func value(_ lookup: (Reference) -> Value?) -> Result<Value, Problem> {
        switch kind {
        case .literal(let v): return .success(v)
        case .reference(let r, let src):
            guard let v = lookup(r) else { return .failure(Problem("${\(src)} has no value")) }
            return .success(v)
        }
    }

    /// Operands are equal when they say the same thing, wherever they are written.
    public static func == (a: ConditionOperand, b: ConditionOperand) -> Bool { a.kind == b.kind }
    /// Hashes what the operand says, not where.
    public func hash(into h: inout Hasher) { h.combine(kind) }
}

/// A `when:` as written: the parsed condition, its text and where it is.
public struct WhenClause: Sendable, Hashable {
    /// The parsed condition.
    public var condition: Condition
    /// The condition as written (quoted in diagnostics and plan reasons).
    public var text: String
    /// Where the text's first character is (inside the quotes of a quoted scalar).
    public var location: SourceLocation

    /// Where the character at `offset` of the text is (text on one line; a multi-line scalar
    /// points at its start).
    public func location(at offset: Int) -> SourceLocation { Self.location(in: text, start: location, at: offset) }

    static func location(in text: String, start: SourceLocation, at offset: Int) -> SourceLocation {
        guard !text.contains("\n") else { return start }
        var l = start
        l.column += offset
        return l
    }
}

/// Parses condition text into a `Condition`, or says at which character it went wrong.
enum ConditionParser {
    struct Failure: Error {
        var message: String
        var offset: Int
    }

    enum Token: Equatable {
        case ref(String)
        case string(String)
        case number(Value)
        case word(String)
        case op(String)
        case end
    }

    struct Lexed {
        var token: Token
        var offset: Int
    }

    /// `bareNames`: a word that is not a literal is a name (`delete`, as `${delete}`), as
    /// auto-approve rules write the plan's counters.
    static func parse(_ text: String, bareNames: Bool = false) throws(Failure) -> Condition {
        let tokens = try lex(text)
        var p = Parser(tokens: tokens, bareNames: bareNames)
        let c = try p.orExpr()
        guard p.peek.token == .end else {
            throw Failure(message: "unexpected \(describe(p.peek.token)) after a complete condition", offset: p.peek.offset)
        }
        return c
    }

    static func describe(_ t: Token) -> String {
        switch t {
        case .ref(let s): return "'${\(s)}'"
        case .string(let s): return "'\(s)'"
        case .number(let v): return "'\(v.interpolationText)'"
        case .word(let w): return "'\(w)'"
        case .op(let o): return "'\(o)'"
        case .end: return "end of condition"
        }
    }

    static func lex(_ text: String) throws(Failure) -> [Lexed] {
        let chars = Array(text)
        var out: [Lexed] = []
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == " " || c == "\t" || c == "\n" {
                i += 1
                continue
            }
            let start = i
            if c == "$" {
                guard i + 1 < chars.count, chars[i + 1] == "{" else {
                    throw Failure(message: "'$' starts a reference: write ${name}", offset: i)
                }
                guard let close = chars[(i + 2)...].firstIndex(of: "}") else {
                    throw Failure(message: "unclosed reference: '${' without '}'", offset: i)
                }
                let inner = String(chars[(i + 2)..<close]).trimmingCharacters(in: .whitespaces)
                out.append(Lexed(token: .ref(inner), offset: start))
                i = close + 1
                continue
            }
            if c == "'" || c == "\"" {
                var s = ""
                var j = i + 1
                var closed = false
                while j < chars.count {
                    if chars[j] == "\\", j + 1 < chars.count {
                        s.append(chars[j + 1])
                        j += 2
                        continue
                    }
                    if chars[j] == c {
                        closed = true
                        break
                    }
                    s.append(chars[j])
                    j += 1
                }
                guard closed else { throw Failure(message: "unclosed string: \(c) without its closing \(c)", offset: i) }
                out.append(Lexed(token: .string(s), offset: start))
                i = j + 1
                continue
            }
            if c.isNumber || (c == "-" && i + 1 < chars.count && chars[i + 1].isNumber) {
                var j = i + 1
                while j < chars.count, chars[j].isNumber || chars[j] == "." { j += 1 }
                let s = String(chars[i..<j])
                if let n = Int(s) {
                    out.append(Lexed(token: .number(.int(n)), offset: start))
                } else if let d = Double(s) {
                    out.append(Lexed(token: .number(.double(d)), offset: start))
                } else {
                    throw Failure(message: "'\(s)' is not a number", offset: i)
                }
                i = j
                continue
            }
            if c.isLetter || c == "_" {
                var j = i + 1
                while j < chars.count, chars[j].isLetter || chars[j].isNumber || chars[j] == "_" { j += 1 }
                out.append(Lexed(token: .word(String(chars[i..<j])), offset: start))
                i = j
                continue
            }
            let two = i + 1 < chars.count ? String(chars[i...(i + 1)]) : ""
            if ["==", "!=", "&&", "||", "<=", ">="].contains(two) {
                out.append(Lexed(token: .op(two), offset: start))
                i += 2
                continue
            }
            if "()[],!<>".contains(c) {
                out.append(Lexed(token: .op(String(c)), offset: start))
                i += 1
                continue
            }
            if c == "=" {
                throw Failure(message: "'=' is not a comparison: write '=='", offset: i)
            }
            if c == "&" || c == "|" {
                throw Failure(message: "'\(c)' is not an operator: write '\(c)\(c)'", offset: i)
            }
            throw Failure(message: "unexpected character '\(c)'", offset: i)
        }
        out.append(Lexed(token: .end, offset: chars.count))
        return out
    }

    /// Recursive descent: or := and ('||' and)*; and := unary ('&&' unary)*;
    /// unary := '!' unary | '(' or ')' | comparison;
    /// comparison := operand ('==' | '!=' | '<' | '<=' | '>' | '>=') operand | operand ['not'] 'in' '[' operand (',' operand)* ']'.
    struct Parser {
        let tokens: [Lexed]
        var bareNames = false
        var pos = 0

        var peek: Lexed { tokens[pos] }

        mutating func take() -> Lexed {
            let t = tokens[pos]
            if pos < tokens.count - 1 { pos += 1 }
            return t
        }

        mutating func orExpr() throws(Failure) -> Condition {
            var left = try andExpr()
            while peek.token == .op("||") {
                _ = take()
                left = .or(left, try andExpr())
            }
            return left
        }

        mutating func andExpr() throws(Failure) -> Condition {
            var left = try unary()
            while peek.token == .op("&&") {
                _ = take()
                left = .and(left, try unary())
            }
            return left
        }

        mutating func unary() throws(Failure) -> Condition {
            if peek.token == .op("!") {
                _ = take()
                return .not(try unary())
            }
            if peek.token == .op("(") {
                let open = take()
                let inner = try orExpr()
                guard peek.token == .op(")") else {
                    throw Failure(
                        message: "expected ')' to close the '(' at character \(open.offset + 1), found \(describe(peek.token))", offset: peek.offset)
                }
                _ = take()
                return inner
            }
            return try comparison()
        }

        mutating func comparison() throws(Failure) -> Condition {
            let left = try operand()
            let op = peek
            switch op.token {
            case .op("=="), .op("!="):
                _ = take()
                return .compare(left, try operand(), equal: op.token == .op("=="))
            case .op(let o) where ConditionOrder(rawValue: o) != nil:
                _ = take()
                return .order(left, try operand(), ConditionOrder(rawValue: o) ?? .less)
            case .word("in"):
                _ = take()
                return .member(left, try list(), negated: false)
            case .word("not"):
                _ = take()
                guard peek.token == .word("in") else { throw Failure(message: "expected 'in' after 'not'", offset: peek.offset) }
                _ = take()
                return .member(left, try list(), negated: true)
            default:
                throw Failure(
                    message:
                        "expected '==', '!=', '<', '<=', '>', '>=' or 'in' after \(describe(tokens[max(0, pos - 1)].token)), "
                        + "found \(describe(op.token))",
                    offset: op.offset)
            }
        }

        mutating func list() throws(Failure) -> [ConditionOperand] {
            guard peek.token == .op("[") else {
                throw Failure(message: "expected '[' after 'in', found \(describe(peek.token))", offset: peek.offset)
            }
            _ = take()
            var items: [ConditionOperand] = []
            if peek.token == .op("]") { throw Failure(message: "an 'in' list needs at least one value", offset: peek.offset) }
            while true {
                items.append(try operand())
                if peek.token == .op(",") {
                    _ = take()
                    continue
                }
                guard peek.token == .op("]") else {
                    throw Failure(message: "expected ',' or ']' in the list, found \(describe(peek.token))", offset: peek.offset)
                }
                _ = take()
                return items
            }
        }

        mutating func operand() throws(Failure) -> ConditionOperand {
            let t = take()
            switch t.token {
            case .ref(let src):
                let path = src.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
                guard !src.isEmpty, !path.contains(where: \.isEmpty) else {
                    throw Failure(message: "malformed reference '${\(src)}'", offset: t.offset)
                }
                return ConditionOperand(kind: .reference(TemplateParser.classify(path), source: src), offset: t.offset)
            case .string(let s): return ConditionOperand(kind: .literal(.string(s)), offset: t.offset)
            case .number(let v): return ConditionOperand(kind: .literal(v), offset: t.offset)
            case .word("true"): return ConditionOperand(kind: .literal(.bool(true)), offset: t.offset)
            case .word("false"): return ConditionOperand(kind: .literal(.bool(false)), offset: t.offset)
            case .word(let w) where bareNames:
                return ConditionOperand(kind: .reference(.parameter(w), source: w), offset: t.offset)
            case .word(let w):
                throw Failure(
                    message: "'\(w)' is not a value: quote a string ('\(w)') or refer to a parameter as ${\(w)}", offset: t.offset)
            default:
                throw Failure(message: "expected a value or ${reference}, found \(describe(t.token))", offset: t.offset)
            }
        }
    }
}
