import Foundation
import PropertyBased
import ProviderAPI
import Testing

/// Round trips of generated values through the JSON codec: whatever the writer writes, the
/// reader reads back as the same value, and every other valid spelling of it (escapes, surrogate
/// pairs, whitespace) reads as the same value too.
///
/// The check bodies never throw: swift-property-based 2.0.1 runs a body under `try?`, so an
/// error thrown from it would pass silently. `parsed` records a parse error as an issue instead.
@Suite struct JSONPropertyTests {
    func parsed(_ bytes: [UInt8]) -> Value? {
        do { return try JSON.parse(bytes) } catch {
            Issue.record("\(error) in \(String(decoding: bytes, as: UTF8.self).debugDescription)")
            return nil
        }
    }

    @Test func parseOfSerializeIsTheValue() async {
        await propertyCheck(count: 400, input: ValueGen.value) { v in
            #expect(parsed(JSON.serialize(v)) == v)
            #expect(parsed(JSON.serialize(v, pretty: true)) == v)
            #expect(parsed(JSON.serialize(v, sortedKeys: false)) == v)
        }
    }

    @Test func serializeOfParseIsTheText() async {
        await propertyCheck(count: 400, input: ValueGen.value) { v in
            let text = JSON.serialize(v)
            #expect(parsed(text).map { JSON.serialize($0) } == text)
        }
    }

    @Test func everySpellingReadsAsTheSameValue() async {
        await propertyCheck(count: 400, input: ValueGen.value, Gen.uint64(in: 0...UInt64.max)) { v, seed in
            var rng = SplitMix(seed: seed)
            let text = ValueGen.respell(v, &rng)
            #expect(parsed(text) == v, "\(String(decoding: text, as: UTF8.self))")
        }
    }

    /// Foundation's reader, an independent one, accepts what the writer writes.
    @Test func foundationReadsWhatTheWriterWrites() async {
        await propertyCheck(count: 200, input: ValueGen.value) { v in
            #expect(throws: Never.self) { try JSONSerialization.jsonObject(with: Data(JSON.serialize(v)), options: .fragmentsAllowed) }
        }
    }
}

/// Values of every shape the codec handles: scalars, strings with escapes and non-ASCII
/// (astral included), integers to the ends of Int, finite doubles of any magnitude, and lists
/// and maps nested a few levels. Shrinks to a value's parts.
enum ValueGen {
    static let value = Generator<Value, [Value]>(run: { rng in make(depth: 0, &rng) }, shrink: { parts($0) })

    static func make(depth: Int, _ rng: inout any SeededRandomNumberGenerator) -> Value {
        let pick = Int.random(in: 0..<(depth >= 3 ? 6 : 9), using: &rng)
        switch pick {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return .int(int(&rng))
        case 3: return .double(double(&rng))
        case 4, 5: return .string(string(&rng))
        case 6: return .list((0..<Int.random(in: 0...4, using: &rng)).map { _ in make(depth: depth + 1, &rng) })
        default:
            var m: [String: Value] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &rng) { m[string(&rng)] = make(depth: depth + 1, &rng) }
            return .map(m)
        }
    }

    static func int(_ rng: inout any SeededRandomNumberGenerator) -> Int {
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: return [0, 1, -1, Int.max, Int.min, Int.max - 1, Int.min + 1].randomElement(using: &rng)!
        case 1: return Int.random(in: -1000...1000, using: &rng)
        default: return Int.random(in: Int.min...Int.max, using: &rng)
        }
    }

    static func double(_ rng: inout any SeededRandomNumberGenerator) -> Double {
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: return [0, -0.0, 0.5, 1e15, -1e15, 1e300, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 0.1].randomElement(using: &rng)!
        case 1: return Double(Int.random(in: -100_000...100_000, using: &rng)) / 100
        default:
            // Any finite bit pattern: subnormals, huge exponents, long mantissas.
            while true {
                let d = Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &rng))
                if d.isFinite { return d }
            }
        }
    }

    /// Characters that need care: quotes, backslashes, controls, DEL, Latin-1, the BMP's edges
    /// around the surrogates, line separators, astral scalars.
    static let tricky: [Unicode.Scalar] = [
        "\"", "\\", "/", "\u{0}", "\u{8}", "\u{9}", "\u{A}", "\u{C}", "\u{D}", "\u{1F}", "\u{7F}", "\u{80}", "é", "\u{FF}",
        "\u{2028}", "\u{2029}", "\u{D7FF}", "\u{E000}", "\u{FEFF}", "\u{FFFD}", "\u{FFFF}", "\u{10000}", "😀", "\u{10FFFF}",
    ]

    static func string(_ rng: inout any SeededRandomNumberGenerator) -> String {
        var s = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0...10, using: &rng) {
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: s.append(tricky.randomElement(using: &rng)!)
            case 1: s.append(Unicode.Scalar(UInt8.random(in: 0x20...0x7E, using: &rng)))
            default:
                while true {
                    if let c = Unicode.Scalar(UInt32.random(in: 0...0x10FFFF, using: &rng)) {
                        s.append(c)
                        break
                    }
                }
            }
        }
        return String(s)
    }

    static func parts(_ v: Value) -> [Value] {
        switch v {
        case .list(let l): return l + l.indices.map { i in .list(l.enumerated().filter { $0.offset != i }.map(\.element)) }
        case .map(let m): return Array(m.values) + m.keys.map { k in .map(m.filter { $0.key != k }) }
        case .string(let s) where !s.isEmpty: return [.string(""), .string(String(s.unicodeScalars.dropLast()))]
        case .int(let i) where i != 0: return [.int(0), .int(i / 2)]
        default: return []
        }
    }

    /// Another valid JSON spelling of the value: random whitespace between tokens, and each
    /// string character written as itself or as an escape (\uXXXX in either case, surrogate
    /// pairs for astral scalars, the short escapes, \/).
    static func respell(_ v: Value, _ rng: inout SplitMix) -> [UInt8] {
        var out: [UInt8] = []
        func space() {
            for _ in 0..<Int.random(in: 0...2, using: &rng) { out.append([0x20, 0x09, 0x0A, 0x0D].randomElement(using: &rng)!) }
        }
        func hex(_ u: UInt32) {
            let digits = Array((Bool.random(using: &rng) ? "0123456789abcdef" : "0123456789ABCDEF").utf8)
            out.append(contentsOf: [0x5C, 0x75])
            for shift in stride(from: 12, through: 0, by: -4) { out.append(digits[Int((u >> UInt32(shift)) & 0xF)]) }
        }
        func string(_ s: String) {
            out.append(0x22)
            for c in s.unicodeScalars {
                let short: [Unicode.Scalar: UInt8] = [
                    "\"": 0x22, "\\": 0x5C, "/": 0x2F, "\u{8}": 0x62, "\u{C}": 0x66, "\n": 0x6E, "\r": 0x72, "\t": 0x74,
                ]
                let mustEscape = c.value < 0x20 || c == "\"" || c == "\\"
                switch Int.random(in: 0..<3, using: &rng) {
                case 0 where !mustEscape: out.append(contentsOf: Array(String(c).utf8))
                case 1 where short[c] != nil: out.append(contentsOf: [0x5C, short[c]!])
                default:
                    if c.value >= 0x10000 {
                        let u = c.value - 0x10000
                        hex(0xD800 + (u >> 10))
                        hex(0xDC00 + (u & 0x3FF))
                    } else {
                        hex(c.value)
                    }
                }
            }
            out.append(0x22)
        }
        func write(_ v: Value) {
            space()
            switch v {
            case .list(let l):
                out.append(UInt8(ascii: "["))
                for (k, item) in l.enumerated() {
                    if k > 0 { out.append(UInt8(ascii: ",")) }
                    write(item)
                }
                space()
                out.append(UInt8(ascii: "]"))
            case .map(let m):
                out.append(UInt8(ascii: "{"))
                for (k, (key, item)) in m.shuffled(using: &rng).enumerated() {
                    if k > 0 { out.append(UInt8(ascii: ",")) }
                    space()
                    string(key)
                    space()
                    out.append(UInt8(ascii: ":"))
                    write(item)
                }
                space()
                out.append(UInt8(ascii: "}"))
            case .string(let s): string(s)
            default: out.append(contentsOf: JSON.serialize(v))
            }
            space()
        }
        write(v)
        return out
    }
}

/// A small seeded generator, so a respelling is reproduced from the seed the check reports.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D4_9BB7_1331_11EB
        return z ^ (z >> 31)
    }
}
