import Crypto
import Foundation

/// SHA-256 helpers for input digests, plan checksums and sensitive-value hashes.
public enum Digest {
    /// Lowercase hex SHA-256 of bytes.
    public static func sha256Hex(_ data: some DataProtocol) -> String {
        hex(SHA256.hash(data: data))
    }

    /// Lowercase hex of bytes, written into one buffer (mapping each byte to a String and
    /// joining them was most of hashing a short text).
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits: StaticString = "0123456789abcdef"
        var out: [UInt8] = []
        out.reserveCapacity(64)
        digits.withUTF8Buffer { d in
            for b in bytes {
                out.append(d[Int(b >> 4)])
                out.append(d[Int(b & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Lowercase hex SHA-256 of a string's UTF-8.
    public static func sha256Hex(_ s: String) -> String {
        var s = s
        return s.withUTF8 { hex(SHA256.hash(data: UnsafeRawBufferPointer($0))) }
    }
}
