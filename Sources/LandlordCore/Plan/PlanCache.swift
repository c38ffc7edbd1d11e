import Foundation
import LandlordBasics
import ProviderAPI

/// Where a plan keeps its local cache, and what else decides plans besides the specs, the
/// schemas and the state (the caller's part of the key).
public struct PlanCacheSettings: Sendable {
    /// The cache file (the CLI's: `.landlord/cache/plan-cache` beside platform.yaml).
    public var path: String
    /// Text naming everything else a plan depends on that the engine cannot see (the binary
    /// that plans, the provider selection, the state key's fingerprint): a change of it drops
    /// every entry.
    public var context: String
    /// The environment `${env.NAME}` reads from: the values of the names platform.yaml
    /// declares are part of the key (as digests).
    public var environment: [String: String]
    /// The racy window, nanoseconds (`PlanCache.racyWindow`; tests shorten it).
    public var racyWindow: Int64

    /// A cache at `path`, its entries valid for `context` and `environment`.
    public init(
        path: String, context: String, environment: [String: String] = ProcessInfo.processInfo.environment, racyWindow: Int64 = PlanCache.racyWindow
    ) {
        self.path = path
        self.context = context
        self.environment = environment
        self.racyWindow = racyWindow
    }
}

/// The local plan cache: per tenant, the key of what its last plan was made from and the stamp
/// of the state document it was made against, kept only for tenants whose plan had no changes
/// and no diagnostics. A tenant whose key and stamp are the same again need not be read,
/// expanded or diffed: its plan would be the same, no changes (docs/scaling.md, "Planning a
/// large fleet: the plan cache", says why every change is seen).
///
/// The file is written atomically and checked as a whole (a format line, a trailing count and
/// SHA-256 of the rest); one that is missing, of another format, truncated or damaged is an
/// empty cache: a lost cache costs time, never correctness. It is never part of the shared
/// state.
public struct PlanCache: Sendable, Equatable {
    /// The format written; other formats are ignored.
    public static let formatVersion = 1
    /// How long before the cache looked at a document a file-time stamp must have stopped
    /// changing for the entry to be trusted: two writes within one tick of the file system's
    /// clock can give the same times, so only a document already older than this when its
    /// stamp was taken cannot have a twin written after the plan read it.
    public static let racyWindow: Int64 = 2_000_000_000

    /// One tenant's entry.
    public struct Entry: Sendable, Equatable {
        /// Digest of everything the tenant's plan was made from except its state document.
        public var key: String
        /// The state document's stamp, taken before the document was read.
        public var stamp: StateStamp
        /// When the stamp was taken (nanoseconds since 1970).
        public var recordedAt: Int64

        /// Whether the stamp can be trusted: a digest always; file times only when the
        /// document had not changed for `window` nanoseconds when the stamp was taken.
        public func trusted(window: Int64) -> Bool {
            guard let changed = stamp.changedAt else { return true }
            return changed < recordedAt - window
        }
    }

    /// Digest of what decides every tenant's plan alike; entries of another are dropped.
    public var fleetKey: String
    /// Entries by tenant id.
    public var entries: [String: Entry]

    /// An empty cache for `fleetKey`.
    public init(fleetKey: String, entries: [String: Entry] = [:]) {
        self.fleetKey = fleetKey
        self.entries = entries
    }

    // MARK: File

    static let magic = "landlord-plan-cache"

    /// The file's bytes: `landlord-plan-cache 1`, `fleet KEY`, a line per tenant (id, key,
    /// token, changedAt or `-`, recordedAt, tab-separated), then `end COUNT SHA256` of
    /// everything before it.
    public func encoded() -> [UInt8] {
        var s = "\(Self.magic) \(Self.formatVersion)\nfleet \(fleetKey)\n"
        s.reserveCapacity(64 + entries.count * 200)
        for (id, e) in entries.sorted(by: { $0.key < $1.key }) {
            s += id + "\t" + e.key + "\t" + e.stamp.token + "\t" + (e.stamp.changedAt.map { String($0) } ?? "-") + "\t" + String(e.recordedAt) + "\n"
        }
        var bytes = Array(s.utf8)
        bytes += Array("end \(entries.count) \(Digest.sha256Hex(bytes))\n".utf8)
        return bytes
    }

    /// Reads `encoded()`'s bytes; nil when they are not a whole cache file of this format.
    public static func decode(_ bytes: [UInt8]) -> PlanCache? {
        // The last line: `end COUNT SHA256`.
        guard bytes.last == 0x0A, let endStart = bytes.dropLast().lastIndex(of: 0x0A).map({ $0 + 1 }) else { return nil }
        let endLine = String(decoding: bytes[endStart..<(bytes.count - 1)], as: UTF8.self).split(separator: " ")
        guard endLine.count == 3, endLine[0] == "end", let count = Int(endLine[1]) else { return nil }
        let body = bytes[..<endStart]
        guard Digest.sha256Hex(body) == endLine[2] else { return nil }
        return body.withUnsafeBufferPointer { parse($0, count: count) }
    }

    /// The lines before `end`: the format line, `fleet KEY`, then one entry per line.
    private static func parse(_ b: UnsafeBufferPointer<UInt8>, count: Int) -> PlanCache? {
        var pos = 0
        func line() -> (start: Int, end: Int)? {
            guard pos < b.count else { return nil }
            var e = pos
            while e < b.count && b[e] != 0x0A { e += 1 }
            defer { pos = e + 1 }
            return e < b.count ? (pos, e) : nil
        }
        func text(_ s: Int, _ e: Int) -> String { String(decoding: UnsafeBufferPointer(rebasing: b[s..<e]), as: UTF8.self) }
        guard let l0 = line(), text(l0.start, l0.end) == "\(magic) \(formatVersion)", let l1 = line() else { return nil }
        let fleet = text(l1.start, l1.end)
        guard fleet.hasPrefix("fleet ") else { return nil }
        var cache = PlanCache(fleetKey: String(fleet.dropFirst(6)))
        cache.entries.reserveCapacity(count)
        while let l = line() {
            var fields: [(Int, Int)] = []
            fields.reserveCapacity(5)
            var s = l.start
            for i in l.start..<l.end where b[i] == 0x09 {
                fields.append((s, i))
                s = i + 1
            }
            fields.append((s, l.end))
            guard fields.count == 5, let recorded = Int64(text(fields[4].0, fields[4].1)) else { return nil }
            let changedText = text(fields[3].0, fields[3].1)
            let changed: Int64?
            if changedText == "-" { changed = nil } else if let c = Int64(changedText) { changed = c } else { return nil }
            cache.entries[text(fields[0].0, fields[0].1)] = Entry(
                key: text(fields[1].0, fields[1].1), stamp: StateStamp(token: text(fields[2].0, fields[2].1), changedAt: changed),
                recordedAt: recorded)
        }
        guard pos >= b.count else { return nil }
        return cache.entries.count == count ? cache : nil
    }

    /// The cache at `path` when it is a whole file of this format and `fleetKey`; otherwise an
    /// empty one (missing, damaged or of other inputs: everything is planned).
    public static func load(_ path: String, fleetKey: String) -> PlanCache {
        guard let bytes = AtomicFile.read(path), let c = decode(bytes), c.fleetKey == fleetKey else { return PlanCache(fleetKey: fleetKey) }
        return c
    }

    /// Writes the cache atomically (not fsynced: a cache lost in a crash only costs time).
    public func save(_ path: String) throws {
        try AtomicFile.makeDirectory((path as NSString).deletingLastPathComponent)
        try AtomicFile.write(encoded(), to: path, durable: false)
    }
}
