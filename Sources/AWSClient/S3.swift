import Foundation
import LandlordHTTP

/// An S3 object as read back.
public struct S3Object: Sendable {
    public var body: Data
    /// The entity tag, quotes included, as S3 returns it.
    public var etag: String?
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
            return S3Object(body: response.body, etag: response.headers["etag"])
        } catch let error as AWSError where error.code == "NoSuchKey" || error.status == 404 && error.code != "NoSuchBucket" {
            return nil
        }
    }

    /// Writes an object under a condition and returns its new ETag. A failed condition throws
    /// an `AWSError` with status 412 (`PreconditionFailed`) or 409 (`ConditionalRequestConflict`).
    @discardableResult
    public func s3PutObject(bucket: String, key: String, body: Data, contentType: String = "application/json", condition: S3WriteCondition = .none)
        async throws -> String?
    {
        var headers = [("Content-Type", contentType)]
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

    /// Lists keys under a prefix (every page).
    public func s3ListObjectsV2(bucket: String, prefix: String = "") async throws -> [(key: String, etag: String?)] {
        var out: [(key: String, etag: String?)] = []
        var token: String?
        repeat {
            var query = [("list-type", "2"), ("prefix", prefix)]
            if let token { query.append(("continuation-token", token)) }
            let response = try await send(.s3, operation: "ListObjectsV2", contentSHA256Header: true) {
                s3Request($0, bucket: bucket, key: nil, method: "GET", query: query)
            }
            guard let root = XMLReader.parse(response.body) else { break }
            for item in root.all("Contents") { if let key = item.string("Key") { out.append((key, item.string("ETag"))) } }
            token = root.string("IsTruncated") == "true" ? root.string("NextContinuationToken") : nil
        } while token != nil
        return out
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
