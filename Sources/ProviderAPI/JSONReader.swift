extension JSON {
    /// Reads a document piece by piece, for a decoder that builds its own types instead of the
    /// whole `Value` tree first (a refresh reads ten thousand state documents and needs only
    /// their resources, each as one map). The same parser and rules as `parse`: what `parse`
    /// refuses, a reader refuses, with the same errors.
    ///
    ///     let names = try JSON.read(bytes) { r throws(JSON.ParseError) in
    ///         var names: [String] = []
    ///         try r.members { key, r throws(JSON.ParseError) in
    ///             if key == "name" { names.append(try r.string()) } else { _ = try r.value() }
    ///         }
    ///         return names
    ///     }
    public static func read<T>(_ bytes: [UInt8], _ body: (inout Reader) throws(ParseError) -> T) throws(ParseError) -> T {
        // Safe: the reader holds the pointer only inside this closure and bounds-checks every
        // index against buf.count; Strings are copied out of it.
        try bytes.withUnsafeBufferPointer { buf throws(ParseError) -> T in
            var r = Reader(parser: Parser(buf: buf))
            r.parser.skipSpace()
            let out = try body(&r)
            r.parser.skipSpace()
            if r.parser.i != buf.count { throw ParseError(message: "unexpected trailing characters", offset: r.parser.i) }
            return out
        }
    }

    /// A position in a document being read; every method reads one whole value.
    public struct Reader {
        var parser: Parser

        /// The next value, whole.
        public mutating func value() throws(ParseError) -> Value {
            let v = try parser.value(depth: 1)
            parser.skipSpace()
            return v
        }

        /// The next value, which must be a string.
        public mutating func string() throws(ParseError) -> String {
            guard parser.i < parser.buf.count, parser.buf[parser.i] == UInt8(ascii: "\"") else { throw parser.fail("expected a string") }
            let s = try parser.string()
            parser.skipSpace()
            return s
        }

        /// Reads the next value, which must be an object, a member at a time: `body` gets each
        /// key with the reader at its value, and must read that value (any method).
        public mutating func members(_ body: (String, inout Reader) throws(ParseError) -> Void) throws(ParseError) {
            guard parser.i < parser.buf.count, parser.buf[parser.i] == UInt8(ascii: "{") else { throw parser.fail("expected an object") }
            parser.i += 1
            parser.skipSpace()
            if parser.i < parser.buf.count, parser.buf[parser.i] == UInt8(ascii: "}") {
                parser.i += 1
                parser.skipSpace()
                return
            }
            while true {
                guard parser.i < parser.buf.count, parser.buf[parser.i] == UInt8(ascii: "\"") else { throw parser.fail("expected a key") }
                let key = try parser.string()
                parser.skipSpace()
                guard parser.i < parser.buf.count, parser.buf[parser.i] == UInt8(ascii: ":") else { throw parser.fail("expected ':'") }
                parser.i += 1
                parser.skipSpace()
                try body(key, &self)
                guard parser.i < parser.buf.count else { throw parser.fail("unexpected end of input") }
                if parser.buf[parser.i] == UInt8(ascii: ",") {
                    parser.i += 1
                    parser.skipSpace()
                    continue
                }
                if parser.buf[parser.i] == UInt8(ascii: "}") {
                    parser.i += 1
                    parser.skipSpace()
                    return
                }
                throw parser.fail("expected ',' or '}'")
            }
        }

        /// Reads the next value, which must be an object, into `map` (a key already there is
        /// replaced, as `parse` keeps the last of a repeated key).
        public mutating func object(into map: inout [String: Value]) throws(ParseError) {
            try members { key, r throws(ParseError) in map[key] = try r.value() }
        }
    }
}
