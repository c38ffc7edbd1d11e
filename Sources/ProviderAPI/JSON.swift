/// A small, fast JSON reader and writer over `Value`, shared by state files, plan files, the
/// mock cloud and AWS's JSON protocols. Integers stay `.int`; numbers with a fraction or
/// exponent are `.double`. Writing can sort keys so output is deterministic. Reading follows
/// RFC 8259 exactly (number grammar, escapes, no raw control characters, UTF-8, nothing after
/// the value); the one representational limit is that an unpaired surrogate escape is an error,
/// since a Swift String cannot hold it.
public enum JSON {
    /// A parse failure with the byte offset where it happened.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var offset: Int
        public var description: String { "\(message) at byte \(offset)" }
    }

    /// Parses a JSON document.
    public static func parse(_ bytes: some Collection<UInt8>) throws(ParseError) -> Value {
        let array = Array(bytes)
        // Safe: the parser holds the pointer only inside this closure and bounds-checks every
        // index against buf.count; Strings are copied out of it (String(decoding:)).
        return try array.withUnsafeBufferPointer { buf throws(ParseError) -> Value in
            var p = Parser(buf: buf)
            p.skipSpace()
            let v = try p.value(depth: 0)
            p.skipSpace()
            if p.i != buf.count { throw ParseError(message: "unexpected trailing characters", offset: p.i) }
            return v
        }
    }

    /// Parses a JSON document from a string.
    public static func parse(_ text: String) throws(ParseError) -> Value { try parse(Array(text.utf8)) }

    /// Serialises a value. JSON holds plain data: a document whose values carry marks splits
    /// them off first (LandlordCore's `DocumentMarks`). A marked value that reaches the writer
    /// anyway is written as the label a person would see, never its secret: `sensitive` as
    /// `"(sensitive)"`, `unknown` and `deferred` as `"(known after apply)"`.
    public static func serialize(_ value: Value, sortedKeys: Bool = true, pretty: Bool = false) -> [UInt8] {
        var w = Writer(sorted: sortedKeys, pretty: pretty)
        w.reserve(256)
        w.write(value, indent: 0)
        if pretty { w.out.append(0x0A) }
        return w.out
    }

    /// Serialises to a String.
    public static func string(_ value: Value, sortedKeys: Bool = true, pretty: Bool = false) -> String {
        String(decoding: serialize(value, sortedKeys: sortedKeys, pretty: pretty), as: UTF8.self)
    }

    struct Parser {
        let buf: UnsafeBufferPointer<UInt8>
        var i = 0
        /// The members of the objects being read, innermost last: an object's map is made once
        /// its members are all read, at its size, instead of growing (and rehashing) member by
        /// member.
        var members: [(String, Value)] = []
        init(buf: UnsafeBufferPointer<UInt8>) { self.buf = buf }

        /// The map of the members from `base` on (a later duplicate key wins), taken off the stack.
        mutating func map(from base: Int) -> Value {
            var m = [String: Value](minimumCapacity: members.count - base)
            for (k, v) in members[base...] { m[k] = v }
            members.removeSubrange(base...)
            return .map(m)
        }

        mutating func skipSpace() {
            while i < buf.count, buf[i] == 0x20 || buf[i] == 0x0A || buf[i] == 0x0D || buf[i] == 0x09 { i += 1 }
        }

        func fail(_ m: String) -> ParseError { ParseError(message: m, offset: i) }

        mutating func value(depth: Int) throws(ParseError) -> Value {
            guard depth < 512 else { throw fail("nesting too deep") }
            guard i < buf.count else { throw fail("unexpected end of input") }
            switch buf[i] {
            case UInt8(ascii: "{"):
                i += 1
                skipSpace()
                if i < buf.count, buf[i] == UInt8(ascii: "}") {
                    i += 1
                    return .map([:])
                }
                let base = members.count
                while true {
                    skipSpace()
                    guard i < buf.count, buf[i] == UInt8(ascii: "\"") else { throw fail("expected a key") }
                    let k = try string()
                    skipSpace()
                    guard i < buf.count, buf[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                    i += 1
                    skipSpace()
                    let v = try value(depth: depth + 1)
                    members.append((k, v))
                    skipSpace()
                    guard i < buf.count else { throw fail("unexpected end of input") }
                    if buf[i] == UInt8(ascii: ",") {
                        i += 1
                        continue
                    }
                    if buf[i] == UInt8(ascii: "}") {
                        i += 1
                        return map(from: base)
                    }
                    throw fail("expected ',' or '}'")
                }
            case UInt8(ascii: "["):
                i += 1
                var l: [Value] = []
                skipSpace()
                if i < buf.count, buf[i] == UInt8(ascii: "]") {
                    i += 1
                    return .list(l)
                }
                while true {
                    skipSpace()
                    l.append(try value(depth: depth + 1))
                    skipSpace()
                    guard i < buf.count else { throw fail("unexpected end of input") }
                    if buf[i] == UInt8(ascii: ",") {
                        i += 1
                        continue
                    }
                    if buf[i] == UInt8(ascii: "]") {
                        i += 1
                        return .list(l)
                    }
                    throw fail("expected ',' or ']'")
                }
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"):
                try literal("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try literal("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try literal("null")
                return .null
            default: return try number()
            }
        }

        mutating func literal(_ word: StaticString) throws(ParseError) {
            let n = word.utf8CodeUnitCount
            guard i + n <= buf.count else { throw fail("unexpected end of input") }
            for k in 0..<n where buf[i + k] != word.utf8Start[k] { throw fail("invalid literal") }
            i += n
        }

        /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?` (RFC 8259 section 6). Integers
        /// are accumulated as they are scanned; one that does not fit in an Int is read as a Double.
        mutating func number() throws(ParseError) -> Value {
            let start = i
            let negative = buf[i] == UInt8(ascii: "-")
            if negative { i += 1 }
            guard i < buf.count, isDigit(buf[i]) else { throw fail(negative ? "expected a digit after '-'" : "unexpected character") }
            var n = 0
            var overflow = false
            if buf[i] == UInt8(ascii: "0") {
                i += 1
                if i < buf.count, isDigit(buf[i]) { throw fail("leading zeros are not allowed in numbers") }
            } else {
                while i < buf.count, isDigit(buf[i]) {
                    // Negative accumulation reaches Int.min; -(Int.min) would not fit.
                    let (m, o1) = n.multipliedReportingOverflow(by: 10)
                    let (s, o2) = m.subtractingReportingOverflow(Int(buf[i] &- 0x30))
                    overflow = overflow || o1 || o2
                    n = s
                    i += 1
                }
            }
            var isDouble = false
            if i < buf.count, buf[i] == UInt8(ascii: ".") {
                isDouble = true
                i += 1
                guard i < buf.count, isDigit(buf[i]) else { throw fail("expected a digit after '.'") }
                while i < buf.count, isDigit(buf[i]) { i += 1 }
            }
            if i < buf.count, buf[i] == UInt8(ascii: "e") || buf[i] == UInt8(ascii: "E") {
                isDouble = true
                i += 1
                if i < buf.count, buf[i] == UInt8(ascii: "+") || buf[i] == UInt8(ascii: "-") { i += 1 }
                guard i < buf.count, isDigit(buf[i]) else { throw fail("expected a digit in the exponent") }
                while i < buf.count, isDigit(buf[i]) { i += 1 }
            }
            if !isDouble && !overflow {
                if negative { return .int(n) }
                let (p, o) = (0).subtractingReportingOverflow(n)
                if !o { return .int(p) }
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: buf[start..<i]), as: UTF8.self)
            guard let d = Double(text) else { throw ParseError(message: "invalid number", offset: start) }
            return .double(d)
        }

        @inline(__always) func isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }

        /// A string (RFC 8259 section 7): no raw control characters, only the escapes \" \\ \/
        /// \b \f \n \r \t \uXXXX, surrogates only in high-low pairs, and valid UTF-8 (section 8.1).
        mutating func string() throws(ParseError) -> String {
            i += 1
            let start = i
            // Fast path: no escapes. `high` has bit 7 set once a non-ASCII byte was seen, and only
            // then does the text need UTF-8 validation.
            var high: UInt8 = 0
            while i < buf.count {
                let c = buf[i]
                if c == UInt8(ascii: "\"") {
                    i += 1
                    let b = UnsafeBufferPointer(rebasing: buf[start..<(i - 1)])
                    return high < 0x80 ? String(decoding: b, as: UTF8.self) : try utf8(b, at: start)
                }
                if c == UInt8(ascii: "\\") { break }
                if c < 0x20 { throw fail("control character in a string (write it as an escape)") }
                high |= c
                i += 1
            }
            var bytes = Array(buf[start..<i])
            while i < buf.count {
                let c = buf[i]
                if c == UInt8(ascii: "\"") {
                    i += 1
                    return try bytes.withUnsafeBufferPointer { b throws(ParseError) in try utf8(b, at: start) }
                }
                if c == UInt8(ascii: "\\") {
                    i += 1
                    guard i < buf.count else { break }
                    let e = buf[i]
                    switch e {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): bytes.append(e)
                    case UInt8(ascii: "n"): bytes.append(0x0A)
                    case UInt8(ascii: "t"): bytes.append(0x09)
                    case UInt8(ascii: "r"): bytes.append(0x0D)
                    case UInt8(ascii: "b"): bytes.append(0x08)
                    case UInt8(ascii: "f"): bytes.append(0x0C)
                    case UInt8(ascii: "u"):
                        let escape = i - 1
                        i += 1
                        var scalar = try hex4()
                        if scalar >= 0xDC00 && scalar < 0xE000 {
                            throw ParseError(message: "unpaired low surrogate in a \\u escape", offset: escape)
                        }
                        if scalar >= 0xD800 && scalar < 0xDC00 {
                            guard i + 1 < buf.count, buf[i] == UInt8(ascii: "\\"), buf[i + 1] == UInt8(ascii: "u") else {
                                throw ParseError(message: "unpaired high surrogate in a \\u escape", offset: escape)
                            }
                            i += 2
                            let low = try hex4()
                            guard low >= 0xDC00 && low < 0xE000 else {
                                throw ParseError(message: "unpaired high surrogate in a \\u escape", offset: escape)
                            }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        }
                        appendUTF8(scalar, to: &bytes)
                        continue
                    default:
                        throw fail("invalid escape '\\\(Unicode.Scalar(e))' (JSON has \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)")
                    }
                    i += 1
                    continue
                }
                if c < 0x20 { throw fail("control character in a string (write it as an escape)") }
                bytes.append(c)
                i += 1
            }
            throw fail("unterminated string")
        }

        /// The bytes as a String; invalid UTF-8 is an error, not a replacement character.
        func utf8(_ b: UnsafeBufferPointer<UInt8>, at offset: Int) throws(ParseError) -> String {
            if let s = String(validating: b, as: UTF8.self) { return s }
            throw ParseError(message: "invalid UTF-8 in a string", offset: offset)
        }

        /// Appends a scalar (never a surrogate: the caller pairs them) as UTF-8.
        func appendUTF8(_ v: UInt32, to bytes: inout [UInt8]) {
            // UInt8(truncatingIfNeeded:) has one overload, so each line type-checks at once (UInt8(_:)
            // over an expression of literals took 200 ms of the debug build's type checking).
            func byte(_ x: UInt32) -> UInt8 { UInt8(truncatingIfNeeded: x) }
            let continuation: UInt32 = 0x80
            let low6: UInt32 = 0x3F
            switch v {
            case 0..<0x80: bytes.append(byte(v))
            case 0x80..<0x800:
                bytes.append(byte(0xC0 | (v >> 6)))
                bytes.append(byte(continuation | (v & low6)))
            case 0x800..<0x10000:
                bytes.append(byte(0xE0 | (v >> 12)))
                bytes.append(byte(continuation | ((v >> 6) & low6)))
                bytes.append(byte(continuation | (v & low6)))
            default:
                bytes.append(byte(0xF0 | (v >> 18)))
                bytes.append(byte(continuation | ((v >> 12) & low6)))
                bytes.append(byte(continuation | ((v >> 6) & low6)))
                bytes.append(byte(continuation | (v & low6)))
            }
        }

        mutating func hex4() throws(ParseError) -> UInt32 {
            guard i + 4 <= buf.count else { throw fail("bad \\u escape: expected 4 hex digits") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = buf[i]
                v <<= 4
                switch c {
                case 0x30...0x39: v |= UInt32(c - 0x30)
                case 0x61...0x66: v |= UInt32(c - 0x61 + 10)
                case 0x41...0x46: v |= UInt32(c - 0x41 + 10)
                default: throw fail("bad \\u escape: expected 4 hex digits")
                }
                i += 1
            }
            return v
        }
    }

    struct Writer {
        var out: [UInt8] = []
        let sorted: Bool
        let pretty: Bool

        mutating func reserve(_ n: Int) { out.reserveCapacity(n) }

        mutating func newline(_ indent: Int) {
            guard pretty else { return }
            out.append(0x0A)
            for _ in 0..<indent {
                out.append(0x20)
                out.append(0x20)
            }
        }

        mutating func write(_ v: Value, indent: Int) {
            switch v {
            case .null: out.append(contentsOf: "null".utf8)
            case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
            case .int(let n): out.append(contentsOf: String(n).utf8)
            case .double(let d):
                if d.isFinite {
                    out.append(contentsOf: (d.rounded() == d && abs(d) < 1e15 ? String(Int(d)) + ".0" : String(d)).utf8)
                } else {
                    out.append(contentsOf: "null".utf8)
                }
            case .string(let s): writeString(s)
            case .list(let items):
                if items.isEmpty {
                    out.append(contentsOf: "[]".utf8)
                    return
                }
                out.append(UInt8(ascii: "["))
                for (k, item) in items.enumerated() {
                    if k > 0 { out.append(UInt8(ascii: ",")) }
                    newline(indent + 1)
                    write(item, indent: indent + 1)
                }
                newline(indent)
                out.append(UInt8(ascii: "]"))
            case .map(let m):
                if m.isEmpty {
                    out.append(contentsOf: "{}".utf8)
                    return
                }
                out.append(UInt8(ascii: "{"))
                let keys = sorted ? m.keys.sorted() : Array(m.keys)
                for (k, key) in keys.enumerated() {
                    if k > 0 { out.append(UInt8(ascii: ",")) }
                    newline(indent + 1)
                    writeString(key)
                    out.append(UInt8(ascii: ":"))
                    if pretty { out.append(0x20) }
                    write(m[key]!, indent: indent + 1)
                }
                newline(indent)
                out.append(UInt8(ascii: "}"))
            case .unknown, .deferred: writeString("(known after apply)")
            case .sensitive: writeString("(sensitive)")
            }
        }

        mutating func writeString(_ s: String) {
            out.append(UInt8(ascii: "\""))
            for c in s.utf8 {
                switch c {
                case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
                case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
                case 0x0A: out.append(contentsOf: "\\n".utf8)
                case 0x0D: out.append(contentsOf: "\\r".utf8)
                case 0x09: out.append(contentsOf: "\\t".utf8)
                case 0..<0x20:
                    let hex = Array("0123456789abcdef".utf8)
                    out.append(contentsOf: "\\u00".utf8)
                    out.append(hex[Int(c >> 4)])
                    out.append(hex[Int(c & 0xF)])
                default: out.append(c)
                }
            }
            out.append(UInt8(ascii: "\""))
        }
    }
}
