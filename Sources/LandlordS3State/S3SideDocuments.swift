import Foundation
import LandlordCore

/// Side documents (rollout records, rollback points, held tenants) as objects under
/// `PREFIX/`, beside the state's own (`PREFIX/rollouts/...`).
extension S3StateStore: SideDocumentStore {
    public func readSideDocument(_ key: String) async throws -> [UInt8]? {
        try await get(base + key).map { Array($0.body) }
    }

    public func writeSideDocument(_ key: String, _ bytes: [UInt8]) async throws {
        _ = try await put(base + key, Data(bytes), .none)
    }

    public func createSideDocument(_ key: String, _ bytes: [UInt8]) async throws -> Bool {
        switch try await put(base + key, Data(bytes), .ifNoneMatch) {
        case .written: return true
        case .lostRace: return false
        }
    }

    public func deleteSideDocument(_ key: String) async throws {
        try await call("delete", base + key) { try await client.s3DeleteObject(bucket: bucket, key: base + key) }
    }

    public var sideCipher: StateCipher? { cipher }
}
