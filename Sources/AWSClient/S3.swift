import Foundation
import LandlordHTTP

/// An S3 object as read back.
public struct S3Object: Sendable {
    public var body: Data
    /// The entity tag, quotes included, as S3 returns it.
    public var etag: String?
    /// User metadata (`x-amz-meta-NAME` headers), by NAME in lowercase.
    public var metadata: [String: String] = [:]

    /// An object with these bytes, ETag and user metadata.
    public init(body: Data, etag: String?, metadata: [String: String] = [:]) {
        self.body = body
        self.etag = etag
        self.metadata = metadata
    }
}

/// A precondition on a write: only if the object's ETag matches, or only if it does not exist.
public enum S3WriteCondition: Sendable, Hashable {
    case none
    /// `If-Match: ETAG`
    case ifMatch(String)
    /// `If-None-Match: *`
    case ifNoneMatch
}

/// The S3 operations the state backend needs: get, conditional put, delete, list.
///
/// Addressing is virtual-hosted (`bucket.s3.region.amazonaws.com`) against AWS and path-style
/// (`endpoint/bucket/key`) when an endpoint override is set, as SDKs do for emulators.
extension AWSClient {
    func s3Request(
        _ endpoint: ResolvedEndpoint, bucket: String, key: String?, method: String, query: [(String, String)] = [], headers: [(String, String)] = [],
        body: Data = Data()
    ) -> HTTPRequest {
        let encodedKey = key.map { "/" + SigV4.uriEncode($0, keepSlash: true) } ?? "/"
        if endpoint.isOverride {
            let path = endpoint.basePath + "/" + SigV4.uriEncode(bucket) + (key == nil ? "" : encodedKey)
            return HTTPRequest(
                method: method, scheme: endpoint.scheme, host: endpoint.host, port: endpoint.port, path: path, query: query, headers: headers,
                body: body)
        }
        return HTTPRequest(
            method: method, scheme: endpoint.scheme, host: "\(bucket).\(endpoint.host)", port: endpoint.port, path: encodedKey, query: query,
            headers: headers, body: body)
    }

    /// Reads an object; nil when it does not exist.
    public func s3GetObject(bucket: String, key: String) async throws -> S3Object? {
        do {
            let response = try await send(.s3, operation: "GetObject", contentSHA256Header: true) {
                s3Request($0, bucket: bucket, key: key, method: "GET")
            }
            return S3Object(body: response.body, etag: response.headers["etag"], metadata: Self.userMetadata(response.headers))
        } catch let error as AWSError where error.code == "NoSuchKey" || error.status == 404 && error.code != "NoSuchBucket" {
            return nil
        }
    }

    /// Writes an object under a condition and returns its new ETag. A failed condition throws
    /// an `AWSError` with status 412 (`PreconditionFailed`) or 409 (`ConditionalRequestConflict`).
    @discardableResult
    /// `metadata` is stored as the object's user metadata (`x-amz-meta-NAME` headers; S3 keeps
    /// at most 2 KB of it, ASCII values).
    public func s3PutObject(
        bucket: String, key: String, body: Data, contentType: String = "application/json", condition: S3WriteCondition = .none,
        metadata: [String: String] = [:]
    ) async throws -> String? {
        var headers = [("Content-Type", contentType)]
        for (name, value) in metadata.sorted(by: { $0.key < $1.key }) { headers.append(("x-amz-meta-" + name, value)) }
        switch condition {
        case .none: break
        case .ifMatch(let etag): headers.append(("If-Match", etag))
        case .ifNoneMatch: headers.append(("If-None-Match", "*"))
        }
        let response = try await send(.s3, operation: "PutObject", contentSHA256Header: true) {
            s3Request($0, bucket: bucket, key: key, method: "PUT", headers: headers, body: body)
        }
        return response.headers["etag"]
    }

    /// An object's user metadata (by NAME in lowercase) without its body; nil when it does not exist.
    public func s3HeadObject(bucket: String, key: String) async throws -> [String: String]? {
        do {
            let response = try await send(.s3, operation: "HeadObject", contentSHA256Header: true) {
                s3Request($0, bucket: bucket, key: key, method: "HEAD")
            }
            return Self.userMetadata(response.headers)
        } catch let error as AWSError where error.code == "NoSuchKey" || error.status == 404 && error.code != "NoSuchBucket" {
            return nil
        }
    }

    /// Deletes an object (success when it is already gone), optionally only if its ETag matches.
    public func s3DeleteObject(bucket: String, key: String, ifMatch: String? = nil) async throws {
        let headers = ifMatch.map { [("If-Match", $0)] } ?? []
        do {
            _ = try await send(.s3, operation: "DeleteObject", contentSHA256Header: true) {
                s3Request($0, bucket: bucket, key: key, method: "DELETE", headers: headers)
            }
        } catch let error as AWSError where error.code == "NoSuchKey" {
            return
        }
    }

    /// Lists keys under a prefix (every page), in S3's order (their UTF-8 bytes, ascending).
    ///
    /// With `startAfter`, only keys after it; with `through`, only keys up to and including it
    /// (the listing stops at the first page that passes it). Both compare UTF-8 bytes, as S3
    /// orders keys, and neither needs to name an existing key: listings over `(a, b]`,
    /// `(b, c]`, ... and `(z, end)` hold every key exactly once.
    /// `maxKeys` asks for smaller pages than S3's 1,000 keys.
    public func s3ListObjectsV2(
        bucket: String, prefix: String = "", startAfter: String? = nil, through: String? = nil, maxKeys: Int? = nil
    ) async throws -> [(key: String, etag: String?)] {
        var out: [(key: String, etag: String?)] = []
        var page = try await s3ListObjectsV2Page(bucket: bucket, prefix: prefix, startAfter: startAfter, maxKeys: maxKeys)
        while true {
            var reached = false
            for object in page.objects {
                if let through, !S3KeyOrder.precedes(object.key, through) {
                    reached = true  // at or past the end: no later page holds a key of the range
                    if S3KeyOrder.precedes(through, object.key) { continue }
                }
                out.append(object)
            }
            guard !reached, let token = page.next else { return out }
            page = try await s3ListObjectsV2Page(bucket: bucket, prefix: prefix, continuationToken: token, maxKeys: maxKeys)
        }
    }

    /// One ListObjectsV2 page (up to 1,000 keys): its keys and ETags, and the continuation
    /// token of the next page (nil: this was the last). `continuationToken` wins over `startAfter`.
    public func s3ListObjectsV2Page(
        bucket: String, prefix: String = "", startAfter: String? = nil, continuationToken: String? = nil, maxKeys: Int? = nil
    ) async throws -> (objects: [(key: String, etag: String?)], next: String?) {
        var query = [("list-type", "2"), ("prefix", prefix)]
        if let maxKeys { query.append(("max-keys", String(maxKeys))) }
        if let continuationToken {
            query.append(("continuation-token", continuationToken))
        } else if let startAfter {
            query.append(("start-after", startAfter))
        }
        let response = try await send(.s3, operation: "ListObjectsV2", contentSHA256Header: true) {
            s3Request($0, bucket: bucket, key: nil, method: "GET", query: query)
        }
        guard let root = XMLReader.parse(response.body) else { return ([], nil) }
        var objects: [(key: String, etag: String?)] = []
        for item in root.all("Contents") { if let key = item.string("Key") { objects.append((key, item.string("ETag"))) } }
        return (objects, root.string("IsTruncated") == "true" ? root.string("NextContinuationToken") : nil)
    }

    /// Creates a bucket (for tests and examples); success when this account already owns it.
    public func s3CreateBucket(_ bucket: String) async throws {
        let body =
            configuration.region == "us-east-1"
            ? ""
            : "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                + "<LocationConstraint>\(configuration.region)</LocationConstraint></CreateBucketConfiguration>"
        do {
            _ = try await send(.s3, operation: "CreateBucket", contentSHA256Header: true) {
                s3Request($0, bucket: bucket, key: nil, method: "PUT", body: Data(body.utf8))
            }
        } catch let error as AWSError where error.code == "BucketAlreadyOwnedByYou" {
            return
        }
    }
}

extension AWSClient {
    static func userMetadata(_ headers: [String: String]) -> [String: String] {
        var out: [String: String] = [:]
        for (name, value) in headers where name.hasPrefix("x-amz-meta-") { out[String(name.dropFirst(11))] = value }
        return out
    }
}

/// S3's order of keys: their UTF-8 bytes compared one by one (not Swift's `String` order).
public enum S3KeyOrder {
    /// True when `a` comes before `b`.
    public static func precedes(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}
