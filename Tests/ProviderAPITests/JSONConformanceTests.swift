import Foundation
import ProviderAPI
import Testing

/// ProviderAPI's JSON reader follows RFC 8259: every text the grammar refuses is an error
/// with an offset, and every edge the grammar allows is read.
@Suite struct JSONConformanceTests {
    static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    /// Texts RFC 8259 does not allow, with why.
    static let rejected: [(String, [UInt8])] = [
        // Numbers (section 6).
        ("plus sign", bytes("+1")),
        ("leading zero", bytes("01")),
        ("negative leading zero", bytes("-01")),
        ("double zero", bytes("00")),
        ("trailing dot", bytes("1.")),
        ("leading dot", bytes(".5")),
        ("minus alone", bytes("-")),
        ("minus then dot", bytes("-.5")),
        ("space after minus", bytes("- 1")),
        ("empty exponent", bytes("1e")),
        ("signed empty exponent", bytes("1e+")),
        ("dot before exponent", bytes("1.e5")),
        ("hex", bytes("0x10")),
        ("Infinity", bytes("Infinity")),
        ("NaN", bytes("NaN")),
        ("leading zero in a list", bytes("[1, 02]")),
        ("plus in a map", bytes("{\"a\": +1}")),
        // Escapes (section 7).
        ("unknown escape \\q", bytes(#""\q""#)),
        ("unknown escape \\x", bytes(#""\x41""#)),
        ("unknown escape \\'", bytes(#""\'""#)),
        ("capital \\U", bytes(#""\U0041""#)),
        ("short \\u", bytes(#""\u12""#)),
        ("non-hex \\u", bytes(#""\u12G4""#)),
        ("escape at the end", bytes(#""\"#)),
        ("lone high surrogate", bytes(#""\ud800""#)),
        ("high surrogate then text", bytes(#""\ud800x""#)),
        ("high surrogate then a non-surrogate", bytes(#""\ud800\u0041""#)),
        ("two high surrogates", bytes(#""\ud800\ud800""#)),
        ("lone low surrogate", bytes(#""\udc00""#)),
        ("escape in a key", bytes(#"{"\q": 1}"#)),
        // Control characters must be escaped (section 7).
        ("raw NUL", [0x22, 0x61, 0x00, 0x22]),
        ("raw tab", [0x22, 0x09, 0x22]),
        ("raw newline", [0x22, 0x0A, 0x22]),
        ("raw 0x1F", [0x22, 0x1F, 0x22]),
        ("raw newline after an escape", [0x22, 0x5C, 0x6E, 0x0A, 0x22]),
        // UTF-8 (section 8.1).
        ("invalid byte", [0x22, 0xFF, 0x22]),
        ("truncated sequence", [0x22, 0xC3, 0x22]),
        ("overlong slash", [0x22, 0xC0, 0xAF, 0x22]),
        ("encoded surrogate", [0x22, 0xED, 0xA0, 0x80, 0x22]),
        ("invalid byte after an escape", [0x22, 0x5C, 0x6E, 0xFF, 0x22]),
        // Trailing garbage and structure (sections 2, 4, 5).
        ("two values", bytes("1 2")),
        ("two maps", bytes("{} {}")),
        ("comma after the value", bytes("[1],")),
        ("literal with a tail", bytes("truee")),
        ("null with a tail", bytes("nullx")),
        ("number with a tail", bytes("1x")),
        ("short literal", bytes("tru")),
        ("capital literal", bytes("True")),
        ("trailing comma in a list", bytes("[1,]")),
        ("trailing comma in a map", bytes("{\"a\":1,}")),
        ("missing comma", bytes("[1 2]")),
        ("missing colon", bytes("{\"a\" 1}")),
        ("unquoted key", bytes("{a: 1}")),
        ("single quotes", bytes("['a']")),
        ("unclosed list", bytes("[")),
        ("unclosed map", bytes("{")),
        ("unterminated string", bytes("\"abc")),
        ("empty text", bytes("")),
        ("only whitespace", bytes(" \n")),
        ("form feed is not whitespace", bytes("\u{0C}1")),
        ("vertical tab is not whitespace", bytes("\u{0B}1")),
        ("no-break space is not whitespace", bytes("\u{A0}1")),
        ("comment", bytes("[1] // no")),
    ]

    @Test(arguments: rejected.map(\.0)) func rejects(_ name: String) {
        let input = Self.rejected.first { $0.0 == name }!.1
        #expect(throws: JSON.ParseError.self, "\(name): \(String(decoding: input, as: UTF8.self).debugDescription)") {
            try JSON.parse(input)
        }
    }

    @Test func errorsSayWhereAndWhat() throws {
        let e1 = #expect(throws: JSON.ParseError.self) { try JSON.parse("[1, 02]") }
        #expect(e1?.offset == 5)
        #expect(e1?.message.contains("leading zero") == true)
        let e2 = #expect(throws: JSON.ParseError.self) { try JSON.parse(#"{"a": "x\qy"}"#) }
        #expect(e2?.message.contains("invalid escape") == true)
        let e3 = #expect(throws: JSON.ParseError.self) { try JSON.parse("{} x") }
        #expect(e3?.offset == 3)
    }

    /// The edges RFC 8259 allows.
    static let accepted: [(String, Value)] = [
        ("0", .int(0)),
        ("-0", .int(0)),
        ("-1", .int(-1)),
        ("10", .int(10)),
        ("9223372036854775807", .int(Int.max)),
        ("-9223372036854775808", .int(Int.min)),
        ("9223372036854775808", .double(9.223372036854775808e18)),
        ("-9223372036854775809", .double(-9.223372036854775808e18)),
        ("0.5", .double(0.5)),
        ("-0.0", .double(-0.0)),
        ("1E5", .double(100_000)),
        ("1e-5", .double(0.000_01)),
        ("1.5e+3", .double(1500)),
        ("0e0", .double(0)),
        ("1e400", .double(.infinity)),
        (#""\/""#, .string("/")),
        (#""\"\\\b\f\n\r\t""#, .string("\"\\\u{8}\u{C}\n\r\t")),
        (#""\u0000""#, .string("\u{0}")),
        (#""\u00E9\u00e9""#, .string("éé")),
        (#""\uD83D\uDE00""#, .string("😀")),
        (#""a\ud83d\ude00b""#, .string("a😀b")),
        (#""\u2028\uFFFF""#, .string("\u{2028}\u{FFFF}")),
        ("\"\u{7F}é😀\"", .string("\u{7F}é😀")),
        (" \t\r\n[ ]\n", .list([])),
        ("{\"a\":{\"b\":[true,false,null]}}", .map(["a": .map(["b": .list([.bool(true), .bool(false), .null])])])),
        ("{\"a\":1,\"a\":2}", .map(["a": .int(2)])),
    ]

    @Test(arguments: accepted.map(\.0)) func accepts(_ text: String) throws {
        let expected = Self.accepted.first { $0.0 == text }!.1
        #expect(try JSON.parse(text) == expected)
    }

    @Test func nestingIsBounded() {
        #expect(throws: JSON.ParseError.self) { try JSON.parse(String(repeating: "[", count: 600) + String(repeating: "]", count: 600)) }
        #expect((try? JSON.parse(String(repeating: "[", count: 100) + String(repeating: "]", count: 100))) != nil)
    }
}
