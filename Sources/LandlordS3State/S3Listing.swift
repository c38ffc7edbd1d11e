import AWSClient
import Foundation
import LandlordCore
import ProviderAPI

/// Listing the tenant objects in key ranges side by side.
///
/// A ListObjectsV2 page holds 1,000 keys and the next page can only be asked for with the
/// previous one's token, so a fleet of 10,000 tenants took ten requests in a row. After the
/// first page, the rest of the key space is cut at boundary keys into ranges `(last, b1]`,
/// `(b1, b2]`, ..., `(bk, end)`, each listed by its own requests (`StartAfter` the range's
/// start, pages until a key passes its end) at the same time. The ranges are disjoint and
/// together hold every key after the first page, whatever the boundaries are: a boundary only
/// needs to be a key's place in S3's order, not an existing key, so a tenant added or deleted
/// since the boundaries were taken is listed (or not) by the one range it falls in. Each range
/// is a strongly consistent LIST of its keys, as each page of a listing in a row is of its
/// own; the boundaries only decide how evenly the work is shared.
///
/// The boundaries come from this store's last listing, else from the snapshot's user metadata
/// (`x-amz-meta-landlord-boundaries`, written by ``S3StateStore/publish()``: one HEAD request);
/// without either the listing goes on page after page as before.
extension S3StateStore {
    /// Most key ranges listed at once.
    static let maxListingRanges = 16
    /// The snapshot's user metadata naming the boundaries (percent-encoded tenant ids, commas between).
    static let boundariesMetadata = "landlord-boundaries"
    /// The most bytes of boundaries written in the metadata (S3 keeps 2 KB of user metadata).
    static let boundariesMetadataLimit = 1500

    /// Every tenant object's key and ETag, in S3's order, listed as the type's comment says.
    func listTenantObjects() async throws -> [(key: String, etag: String?)] {
        let client = try self.client
        let prefix = tenantsPrefix
        let size: Int? = listingPage < 1000 ? listingPage : nil  // S3's own page: no max-keys
        let first = try await call("list", prefix) { try await client.s3ListObjectsV2Page(bucket: bucket, prefix: prefix, maxKeys: size) }
        guard let token = first.next, let last = first.objects.last?.key else { return first.objects }
        var hints = listingBoundaries
        if hints.isEmpty { hints = await snapshotBoundaries() }
        let cuts = Self.cuts(hints, after: last)
        guard !cuts.isEmpty else {
            let rest = try await call("list", prefix) {
                var out: [(key: String, etag: String?)] = []
                var page = try await client.s3ListObjectsV2Page(bucket: bucket, prefix: prefix, continuationToken: token, maxKeys: size)
                out += page.objects
                while let next = page.next {
                    page = try await client.s3ListObjectsV2Page(bucket: bucket, prefix: prefix, continuationToken: next, maxKeys: size)
                    out += page.objects
                }
                return out
            }
            return first.objects + rest
        }
        let starts = [last] + cuts
        let ends: [String?] = cuts.map { $0 } + [nil]
        var parts: [Int: [(key: String, etag: String?)]] = [:]
        try await withThrowingTaskGroup(of: Keyed<Int, [S3Listed]>.self) { group in
            for i in starts.indices {
                group.addTask {
                    let objects = try await self.call("list", prefix) {
                        try await client.s3ListObjectsV2(bucket: self.bucket, prefix: prefix, startAfter: starts[i], through: ends[i], maxKeys: size)
                    }
                    return Keyed(i, objects.map { S3Listed(key: $0.key, etag: $0.etag) })
                }
            }
            for try await part in group { parts[part.key] = part.value.map { ($0.key, $0.etag) } }
        }
        return starts.indices.reduce(into: first.objects) { out, i in out += parts[i] ?? [] }
    }

    /// The boundaries of `hints` after `last`, in S3's order, each once.
    static func cuts(_ hints: [String], after last: String) -> [String] {
        var out: [String] = []
        for key in hints.sorted(by: S3KeyOrder.precedes) where S3KeyOrder.precedes(last, key) && out.last != key { out.append(key) }
        return out
    }

    /// Boundary keys for listing `sortedKeys` (in S3's order) again in pages of `page` keys:
    /// one every page, or every `count / maxListingRanges` keys when that is more; none for a
    /// single page.
    static func boundaries(_ sortedKeys: [String], page: Int) -> [String] {
        guard sortedKeys.count > page else { return [] }
        let step = max(page, (sortedKeys.count + maxListingRanges - 1) / maxListingRanges)
        return stride(from: step - 1, to: sortedKeys.count - 1, by: step).map { sortedKeys[$0] }
    }

    /// The boundaries the snapshot's metadata names, as tenant object keys ([] when it has none
    /// or cannot be read: the listing then goes on page by page).
    func snapshotBoundaries() async -> [String] {
        guard let client = try? self.client,
            let metadata = try? await client.s3HeadObject(bucket: bucket, key: snapshotKey),
            let text = metadata[Self.boundariesMetadata]
        else { return [] }
        return boundaryKeys(text)
    }

    /// The tenant object keys the metadata `text` names (as `snapshotMetadata` writes it).
    func boundaryKeys(_ text: String) -> [String] {
        text.split(separator: ",").compactMap { $0.removingPercentEncoding.map(tenantKey) }
    }

    /// The snapshot's metadata for the tenants `ids` (sorted as their keys are listed).
    func snapshotMetadata(_ ids: [String]) -> [String: String] {
        // ASCII only: header values are ASCII (`alphanumerics` holds letters like "é").
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
        let keys = ids.map(tenantKey).sorted(by: S3KeyOrder.precedes)
        let names = Self.boundaries(keys, page: listingPage).map { String($0.dropFirst(tenantsPrefix.count).dropLast(5)) }
        let text = names.compactMap { $0.addingPercentEncoding(withAllowedCharacters: allowed) }.joined(separator: ",")
        guard !text.isEmpty, text.utf8.count <= Self.boundariesMetadataLimit else { return [:] }
        return [Self.boundariesMetadata: text]
    }
}

/// One listed object (a `Sendable` pair for task groups).
struct S3Listed: Sendable {
    var key: String
    var etag: String?
}
