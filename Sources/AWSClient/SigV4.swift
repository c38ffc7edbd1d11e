import Crypto
import Foundation
import LandlordHTTP

/// Access key, secret and optional session token. The secret never appears in a description.
public struct AWSCredentials: Sendable, CustomStringConvertible {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String?
    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }
    public var description: String { "AWSCredentials(accessKeyId: \(accessKeyId), secret: <redacted>)" }
}

/// AWS Signature Version 4 (header signing), as published with the SigV4 test suite.
public struct SigV4: Sendable {
    public var credentials: AWSCredentials
    public var region: String
    /// The signing name, e.g. `elasticloadbalancing`, `s3`.
    public var service: String
    /// Every service but S3 encodes the (already encoded) path once more.
    public var doubleEncodePath: Bool

    public init(credentials: AWSCredentials, region: String, service: String, doubleEncodePath: Bool = true) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.doubleEncodePath = doubleEncodePath
    }

    /// SHA-256 of the empty payload.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// Lowercase hex SHA-256.
    public static func sha256Hex(_ data: Data) -> String { hex(SHA256.hash(data: data)) }

    static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// RFC 3986 encoding: everything but `A-Z a-z 0-9 - . _ ~` is `%XX` (and `/` too unless kept).
    public static func uriEncode(_ text: String, keepSlash: Bool = false) -> String {
        PercentEncoding.encode(text, keepSlash: keepSlash)
    }

    /// `YYYYMMDD'T'HHMMSS'Z'` in UTC.
    public static func amzDate(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
    }

    /// The canonical URI: the wire path, encoded once more for every service but S3.
    public func canonicalURI(_ path: String) -> String {
        let p = path.isEmpty ? "/" : path
        return doubleEncodePath ? SigV4.uriEncode(p, keepSlash: true) : p
    }

    /// Query parameters encoded and sorted by key, then value.
    public static func canonicalQuery(_ query: [(String, String)]) -> String {
        let encoded: [(String, String)] = query.map { (uriEncode($0.0), uriEncode($0.1)) }
        let sorted = encoded.sorted { (a: (String, String), b: (String, String)) -> Bool in
            a.0 == b.0 ? a.1 < b.1 : a.0 < b.0
        }
        return sorted.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// Lowercased, trimmed, sorted headers (duplicates joined with commas) and their names.
    static func canonicalHeaders(_ headers: [(String, String)]) -> (text: String, signed: String) {
        var merged: [String: [String]] = [:]
        for (name, value) in headers {
            let trimmed = value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            merged[name.lowercased(), default: []].append(trimmed)
        }
        let names = merged.keys.sorted()
        let text = names.map { "\($0):\(merged[$0]!.joined(separator: ","))\n" }.joined()
        return (text, names.joined(separator: ";"))
    }

    /// The canonical request for `request` (which must already carry Host and X-Amz-Date).
    public func canonicalRequest(_ request: HTTPRequest, payloadHash: String) -> String {
        let (headerText, signed) = SigV4.canonicalHeaders(request.headers)
        return [
            request.method, canonicalURI(request.path), SigV4.canonicalQuery(request.query),
            headerText, signed, payloadHash,
        ].joined(separator: "\n")
    }

    /// `YYYYMMDD/region/service/aws4_request`.
    public func scope(amzDate: String) -> String {
        "\(amzDate.prefix(8))/\(region)/\(service)/aws4_request"
    }

    /// The string to sign for a canonical request.
    public func stringToSign(canonicalRequest: String, amzDate: String) -> String {
        ["AWS4-HMAC-SHA256", amzDate, scope(amzDate: amzDate), SigV4.sha256Hex(Data(canonicalRequest.utf8))].joined(separator: "\n")
    }

    /// The hex signature of a string to sign.
    public func signature(stringToSign: String, amzDate: String) -> String {
        func hmac(_ key: SymmetricKey, _ text: String) -> SymmetricKey {
            SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key)))
        }
        var key = SymmetricKey(data: Data("AWS4\(credentials.secretAccessKey)".utf8))
        key = hmac(key, String(amzDate.prefix(8)))
        key = hmac(key, region)
        key = hmac(key, service)
        key = hmac(key, "aws4_request")
        return SigV4.hex(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: key))
    }

    /// Adds Host, X-Amz-Date, the session token (when there is one) and Authorization.
    /// `payloadHash` defaults to the SHA-256 of the body.
    public func sign(_ request: inout HTTPRequest, date: Date = Date(), payloadHash: String? = nil) {
        let amzDate = SigV4.amzDate(date)
        if request.header("host") == nil { request.setHeader("Host", request.hostHeader) }
        request.setHeader("X-Amz-Date", amzDate)
        if let token = credentials.sessionToken { request.setHeader("X-Amz-Security-Token", token) }
        request.headers.removeAll { $0.0.lowercased() == "authorization" }
        let hash = payloadHash ?? SigV4.sha256Hex(request.body)
        let creq = canonicalRequest(request, payloadHash: hash)
        let sts = stringToSign(canonicalRequest: creq, amzDate: amzDate)
        let signed = SigV4.canonicalHeaders(request.headers).signed
        let sig = signature(stringToSign: sts, amzDate: amzDate)
        request.setHeader(
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyId)/\(scope(amzDate: amzDate)), SignedHeaders=\(signed), Signature=\(sig)")
    }
}
