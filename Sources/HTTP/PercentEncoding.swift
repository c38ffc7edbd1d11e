import Foundation

/// RFC 3986 percent-encoding: every byte of the UTF-8 text except the unreserved characters
/// (`A-Z a-z 0-9 - . _ ~`) becomes `%XX`. This is what SigV4 signs and what form bodies
/// (`application/x-www-form-urlencoded`) and query strings carry unambiguously: a `+`, `&`,
/// `=`, `[` or space in a value never changes its meaning.
public enum PercentEncoding {
    /// `text` percent-encoded; `/` kept as it is when `keepSlash` (paths).
    public static func encode(_ text: String, keepSlash: Bool = false) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            case UInt8(ascii: "/") where keepSlash:
                out.append("/")
            default:
                out += String(format: "%%%02X", b)
            }
        }
        return out
    }

    /// An `application/x-www-form-urlencoded` body of `pairs`, in order, each name and value
    /// percent-encoded.
    public static func form(_ pairs: [(String, String)]) -> String {
        pairs.map { encode($0.0) + "=" + encode($0.1) }.joined(separator: "&")
    }
}
