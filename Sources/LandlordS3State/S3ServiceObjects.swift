import AWSClient
import Foundation
import LandlordCore

/// Objects of the tenant lifecycle service kept beside the state, under `PREFIX/service/`
/// (its tenant records and its event outbox), read and written with the state's conditional
/// writes and its error messages. Keys given here are relative to `PREFIX/service/`.
extension S3StateStore {
    /// `PREFIX/service/` (the service's objects' common prefix).
    public var serviceBase: String { base + "service/" }

    /// The object's bytes and ETag; nil when it does not exist.
    public func serviceGet(_ key: String) async throws -> S3Object? {
        try await get(serviceBase + key)
    }

    /// Writes the object under `condition`; its new ETag (`""` when S3 gave none), or nil when
    /// the condition failed (another writer created or changed it first).
    public func servicePut(_ key: String, _ body: Data, _ condition: S3WriteCondition) async throws -> String? {
        switch try await put(serviceBase + key, body, condition) {
        case .written(let etag): return etag ?? ""
        case .lostRace: return nil
        }
    }

    /// Deletes the object (success when it is already gone).
    public func serviceDelete(_ key: String) async throws {
        try await call("delete", serviceBase + key) { try await client.s3DeleteObject(bucket: bucket, key: serviceBase + key) }
    }

    /// The keys (relative to `PREFIX/service/`) under `prefix`, sorted.
    public func serviceList(_ prefix: String) async throws -> [String] {
        let full = serviceBase + prefix
        let objects = try await call("list", full) { try await client.s3ListObjectsV2(bucket: bucket, prefix: full) }
        return objects.map { String($0.key.dropFirst(serviceBase.count)) }.sorted()
    }

    /// `s3://BUCKET/PREFIX/service/KEY`, for messages.
    public func serviceURI(_ key: String) -> String { uri(serviceBase + key) }
}
