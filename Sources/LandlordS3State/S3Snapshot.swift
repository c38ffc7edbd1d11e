import AWSClient
import Foundation
import ProviderAPI

/// A copy of many tenant documents in one object (`PREFIX/snapshot.bin`), each with the ETag of
/// the tenant object it was copied from, so a fresh machine reads a whole fleet's state in a few
/// requests (one ListObjectsV2 page per 1,000 tenants, this object, the platform document)
/// instead of one GET per tenant.
///
/// It is a cache addressed by ETag, never a source of truth: the tenant objects are. A reader
/// lists the tenant objects first (ListObjectsV2 returns each one's ETag) and takes a
/// document from the snapshot only when the snapshot's ETag for it equals the ETag the listing
/// reports; any other tenant is read with its own GET. S3 is strongly consistent for LIST since
/// December 2020 (a listing reflects every PUT and DELETE that finished before it), and an ETag
/// names one object's bytes (the MD5 of a single-part upload; for SSE-KMS, a value unique to
/// that write), so a matching entry holds exactly the bytes a GET would return now. A snapshot
/// that is old, half-updated, written by a run that lost a race, or missing only costs GETs:
/// it cannot make a reader see a stale tenant, nor a deleted one (existence comes from the
/// listing). Writes of tenant documents stay compare-and-swaps on the tenant object's ETag, and
/// apply re-reads its tenants under their locks, so even a reader's mistake could not be written
/// back over a newer document.
///
/// Layout: one line of JSON, `{"format": "landlord-s3-snapshot", "version": 1, "entries":
/// [{"tenant", "etag", "length"}, ...]}`, a newline, then the documents' bytes, unchanged, one
/// after the other in entry order. Documents are stored as the tenant objects hold them (their
/// encoding is the state document's; sealed values stay sealed).
struct S3Snapshot: Sendable {
    static let format = "landlord-s3-snapshot"
    static let version = 1

    /// One tenant document as copied, with the ETag of the object it was copied from.
    struct Entry: Sendable {
        var etag: String
        var body: Data
    }

    var entries: [String: Entry] = [:]

    /// The object's bytes.
    func encoded() -> Data {
        let ids = entries.keys.sorted()
        let header: Value = .map([
            "format": .string(Self.format), "version": .int(Self.version),
            "entries": .list(
                ids.map { id in
                    .map(["tenant": .string(id), "etag": .string(entries[id]!.etag), "length": .int(entries[id]!.body.count)])
                }),
        ])
        var out = Data(JSON.serialize(header, sortedKeys: true, pretty: false))
        out.append(0x0A)
        for id in ids { out.append(entries[id]!.body) }
        return out
    }

    /// Reads `encoded()`'s bytes; nil when they are not a snapshot of this version (a reader
    /// then reads every tenant object itself).
    static func decode(_ data: Data) -> S3Snapshot? {
        guard let newline = data.firstIndex(of: 0x0A),
            let header = try? JSON.parse(Array(data[data.startIndex..<newline])).mapValue,
            header["format"]?.stringValue == format, header["version"]?.intValue == version,
            let list = header["entries"]?.listValue
        else { return nil }
        var snapshot = S3Snapshot()
        var offset = newline + 1
        for item in list {
            guard let m = item.mapValue, let id = m["tenant"]?.stringValue, let etag = m["etag"]?.stringValue, let length = m["length"]?.intValue,
                length >= 0, offset + length <= data.endIndex
            else { return nil }
            snapshot.entries[id] = Entry(etag: etag, body: Data(data[offset..<offset + length]))
            offset += length
        }
        return offset == data.endIndex ? snapshot : nil
    }

    /// True when two ETags name the same object bytes: S3 quotes them (`"abc"`), listings and
    /// headers alike, but some S3-compatible stores drop the quotes or mark them weak (`W/`).
    static func sameETag(_ a: String?, _ b: String?) -> Bool {
        guard let a, let b else { return false }
        let x = bare(a)
        return !x.isEmpty && x == bare(b)
    }

    static func bare(_ etag: String) -> Substring {
        var s = Substring(etag)
        if s.hasPrefix("W/") { s = s.dropFirst(2) }
        if s.hasPrefix("\""), s.hasSuffix("\""), s.count >= 2 { s = s.dropFirst().dropLast() }
        return s
    }
}

extension S3StateStore {
    /// Publishes a snapshot holding every tenant document as it is now, after a run that wrote
    /// some (the engine calls it when an apply's documents are written and its locks released).
    ///
    /// Lists the tenant objects, then keeps each document this store wrote or the current
    /// snapshot holds whose ETag the listing confirms, reads the others (written by runs that
    /// did not publish: one that died, an older version), and replaces the snapshot with a
    /// compare-and-swap on its ETag, re-doing all of it when another run published meanwhile.
    /// Never fails the run: a snapshot that could not be written (no s3:PutObject on it, a
    /// race lost every time) only makes the next readers GET the tenants it lacks.
    public func publish() async {
        guard writtenSinceSnapshot.dirty else { return }
        for attempt in 0..<6 {
            let (mine, _, generation) = writtenSinceSnapshot
            guard let listed = try? await listTenantETags() else { return }
            let current = try? await get(snapshotKey)
            let old = current.flatMap { S3Snapshot.decode($0.body) } ?? S3Snapshot()
            var next = S3Snapshot()
            var missing: [String] = []
            for (id, etag) in listed {
                if let e = mine[id], S3Snapshot.sameETag(e.etag, etag) {
                    next.entries[id] = e
                } else if let e = old.entries[id], S3Snapshot.sameETag(e.etag, etag) {
                    next.entries[id] = e
                } else {
                    missing.append(id)
                }
            }
            for (id, entry) in await fetchEntries(missing) { next.entries[id] = entry }
            let body = next.encoded()
            let metadata = snapshotMetadata(Array(next.entries.keys))
            if let current, current.body == body, current.metadata[Self.boundariesMetadata] == metadata[Self.boundariesMetadata] {
                snapshotPublished(mine, generation: generation)
                return
            }
            let condition: S3WriteCondition = current?.etag.map { .ifMatch($0) } ?? .ifNoneMatch
            switch try? await put(snapshotKey, body, condition, metadata: metadata) {
            case .written?:
                snapshotPublished(mine, generation: generation)
                return
            case .lostRace?:
                try? await Task.sleep(nanoseconds: UInt64.random(in: 20_000_000...100_000_000) << min(attempt, 4))
            case nil:
                return
            }
        }
    }

    /// The tenant documents `ids` as their objects hold them now, with their ETags (those that
    /// could not be read are left out: readers GET them).
    func fetchEntries(_ ids: [String]) async -> [String: S3Snapshot.Entry] {
        var out: [String: S3Snapshot.Entry] = [:]
        await withTaskGroup(of: Keyed<String, S3Snapshot.Entry?>.self) { group in
            var next = ids.makeIterator()
            for _ in 0..<readConcurrency {
                guard let id = next.next() else { break }
                group.addTask { await Keyed(id, self.fetchEntry(id)) }
            }
            while let answer = await group.next() {
                if let entry = answer.value { out[answer.key] = entry }
                if let id = next.next() { group.addTask { await Keyed(id, self.fetchEntry(id)) } }
            }
        }
        return out
    }

    func fetchEntry(_ id: String) async -> S3Snapshot.Entry? {
        guard let object = try? await get(tenantKey(id)), let etag = object.etag else { return nil }
        return S3Snapshot.Entry(etag: etag, body: object.body)
    }
}
