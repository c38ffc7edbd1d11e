import AWSClient
import Foundation
import LandlordCore
import LandlordTestSupport
import Testing

@testable import LandlordS3State

/// The tenant objects listed in key ranges side by side: every key exactly once, whatever the
/// boundaries, and tenants added or deleted since the boundaries were taken listed as they are.
@Suite(.serialized, .enabled(if: Moto.available, Moto.disabledReason), .motoExclusive)
struct S3ListingTests {
    /// A store listing pages of 5 keys (S3's are 1,000), so 40 tenants are 8 pages.
    func store(_ bucket: String) throws -> S3StateStore {
        S3StateStore(client: try Moto.client(), bucket: bucket, prefix: "fleet", listingPage: 5)
    }

    /// What a plain listing of the tenant objects holds now: id and ETag.
    func truth(_ bucket: String) async throws -> [String: String] {
        let objects = try await Moto.client().s3ListObjectsV2(bucket: bucket, prefix: "fleet/tenants/")
        return Dictionary(uniqueKeysWithValues: objects.map { (String($0.key.dropFirst(14).dropLast(5)), $0.etag ?? "") })
    }

    /// Forty tenants y00 to y39 saved by one store, and the snapshot published.
    func published() async throws -> (bucket: String, ids: [String], saved: [String: TenantState]) {
        let bucket = try await Moto.bucket()
        let writer = try store(bucket)
        let ids = (0..<40).map { String(format: "y%02d", $0) }
        let saved = Dictionary(uniqueKeysWithValues: ids.map { ($0, tenantState($0)) })
        for id in ids { try await writer.saveTenant(saved[id]!) }
        await writer.publish()
        return (bucket, ids, saved)
    }

    @Test func cutsAreTheHintsAfterTheFirstPageInS3Order() {
        #expect(S3StateStore.cuts(["b", "a", "d", "c", "c"], after: "b") == ["c", "d"])
        #expect(S3StateStore.cuts(["a"], after: "b").isEmpty)
        // UTF-8 byte order, as S3 sorts: "Z" (0x5A) before "a" (0x61), "é" after "z".
        #expect(S3StateStore.cuts(["é", "z", "Z", "a"], after: "A") == ["Z", "a", "z", "é"])
        let keys = (0..<40).map { String(format: "k%02d", $0) }
        #expect(S3StateStore.boundaries(keys, page: 5) == ["k04", "k09", "k14", "k19", "k24", "k29", "k34"])
        #expect(S3StateStore.boundaries(Array(keys.prefix(5)), page: 5).isEmpty)
        // At most 16 ranges: wider ones when there are more pages.
        #expect(S3StateStore.boundaries((0..<200).map { String(format: "k%03d", $0) }, page: 5).count == 15)
    }

    @Test func theBoundariesMetadataIsASCIIAndReadsBackAsKeys() throws {
        let store = S3StateStore(client: try Moto.client(), bucket: "b", prefix: "fleet", listingPage: 1)
        let ids = ["a,b", "é1", "x y", "z%", "plain-id_1.0"]
        let text = try #require(store.snapshotMetadata(ids)[S3StateStore.boundariesMetadata])
        #expect(text.utf8.allSatisfy { $0 < 0x80 && $0 != 0x20 }, "\(text)")
        let keys = ids.map { "fleet/tenants/\($0).json" }.sorted(by: S3KeyOrder.precedes)
        #expect(store.boundaryKeys(text) == Array(keys.dropLast()))
    }

    @Test func aFreshReaderListsTheRangesOfTheSnapshotsBoundariesAtOnce() async throws {
        let (bucket, ids, _) = try await published()
        let (listed, requests) = try await MotoRecorder.requests { try await store(bucket).listTenants() }
        #expect(listed == ids)
        // The first page, the snapshot's boundaries, then one request per remaining range.
        #expect(requests.filter { $0.hasPrefix("HEAD") && $0.hasSuffix("/snapshot.bin") }.count == 1, "\(requests)")
        #expect(requests.filter { $0.contains("list-type") }.count == 8, "\(requests)")
        #expect(requests.filter { $0.contains("start-after") }.count == 7, "\(requests)")
        #expect(requests.count == 9, "\(requests)")
    }

    @Test func tenantsAddedAndDeletedAtTheEdgesAreListedAsTheyAreNow() async throws {
        let (bucket, ids, _) = try await published()
        // Another run, after the boundaries (y04, y09, ... y34) were published: deletes
        // boundaries and their neighbours, adds keys before the first, between a boundary and
        // the next key, and after the last.
        let other = try store(bucket)
        for id in ["y04", "y05", "y09", "y34", "y39", "y00"] {
            _ = try await other.loadTenant(id)
            try await other.deleteTenant(id)
        }
        let added = Dictionary(uniqueKeysWithValues: ["a", "y04a", "y09", "y10a", "y340", "z", "y"].map { ($0, tenantState($0)) })
        for state in added.values { try await other.saveTenant(state) }
        let expected = try await truth(bucket)
        #expect(expected.count == ids.count - 6 + 7)

        let reader = try store(bucket)
        let (etags, requests) = try await MotoRecorder.requests { try await reader.listTenantETags() }
        #expect(etags == expected)
        #expect(requests.contains { $0.hasPrefix("HEAD") }, "the boundaries came from the snapshot: \(requests)")

        // The documents read with that listing are the objects' current ones; the deleted stay deleted.
        let read = try await reader.loadTenants(ids + ["a", "y04a", "y10a", "y340", "z", "y"])
        #expect(read.keys.sorted() == expected.keys.sorted())
        for (id, state) in added { #expect(read[id] == state, "\(id)") }

        // The same reader lists again after a write, with its own last listing's boundaries
        // (no HEAD), while more tenants come and go.
        try await reader.saveTenant(tenantState("y20b"))
        for id in ["y14", "y15", "a"] {
            _ = try await other.loadTenant(id)
            try await other.deleteTenant(id)
        }
        for id in ["0", "y14", "y29z"] { try await other.saveTenant(tenantState(id, image: "backend:3")) }
        let (again, requests2) = try await MotoRecorder.requests { try await reader.listTenantETags() }
        #expect(again == (try await truth(bucket)))
        #expect(!requests2.contains { $0.hasPrefix("HEAD") }, "\(requests2)")
        #expect(requests2.filter { $0.contains("start-after") }.count >= 2, "\(requests2)")
    }

    @Test func aSnapshotWithoutBoundariesIsListedPageAfterPage() async throws {
        let (bucket, ids, saved) = try await published()
        // An older landlord's snapshot: the same bytes, no boundaries in its metadata.
        let client = try Moto.client()
        let old = try #require(try await client.s3GetObject(bucket: bucket, key: "fleet/snapshot.bin"))
        #expect(old.metadata[S3StateStore.boundariesMetadata] != nil)
        try await client.s3PutObject(bucket: bucket, key: "fleet/snapshot.bin", body: old.body, contentType: "application/octet-stream")

        let reader = try store(bucket)
        let (read, requests) = try await MotoRecorder.requests { try await reader.loadTenants(ids) }
        #expect(read == saved)
        #expect(requests.filter { $0.contains("list-type") }.count == 8, "\(requests)")
        #expect(!requests.contains { $0.contains("start-after") }, "\(requests)")
        #expect(
            !requests.contains { $0.hasPrefix("GET") && $0.contains("/tenants/") && !$0.contains("list-type") }, "all from the snapshot: \(requests)")

        // The next publish adds the boundaries even though the documents did not change.
        try await reader.saveTenant(saved["y00"]!)
        await reader.publish()
        let now = try #require(try await client.s3GetObject(bucket: bucket, key: "fleet/snapshot.bin"))
        #expect(now.metadata[S3StateStore.boundariesMetadata] == "y04,y09,y14,y19,y24,y29,y34")
    }

    @Test func noSnapshotAtAllStillListsEveryTenant() async throws {
        let bucket = try await Moto.bucket()
        let writer = try store(bucket)
        let ids = (0..<12).map { String(format: "w%02d", $0) }
        for id in ids { try await writer.saveTenant(tenantState(id)) }
        let (listed, requests) = try await MotoRecorder.requests { try await store(bucket).listTenants() }
        #expect(listed == ids)
        #expect(requests.filter { $0.contains("list-type") }.count == 3, "\(requests)")
    }
}
