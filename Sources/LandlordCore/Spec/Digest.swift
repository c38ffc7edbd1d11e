import Crypto
import Foundation

/// SHA-256 helpers for input digests, plan checksums and sensitive-value hashes.
public enum Digest {
    /// Lowercase hex SHA-256 of bytes.
    public static func sha256Hex(_ data: some DataProtocol) -> String {
        SHA256.hash(data: data).map { byteHex[Int($0)] }.joined()
    }

    /// Lowercase hex SHA-256 of a string's UTF-8.
    public static func sha256Hex(_ s: String) -> String { sha256Hex(Data(s.utf8)) }

    private static let byteHex: [String] = (0..<256).map { String(format: "%02x", $0) }
}
