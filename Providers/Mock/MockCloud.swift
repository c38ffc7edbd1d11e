import Foundation
import LandlordBasics
import ProviderAPI

#if canImport(Glibc)
    import Glibc
#endif

/// One resource in the simulated cloud.
public struct MockResource: Sendable, Hashable {
    public var type: String
    public var id: String
    public var attributes: [String: Value]
    public var tags: [String: String]

    public init(type: String, id: String, attributes: [String: Value], tags: [String: String]) {
        self.type = type
        self.id = id
        self.attributes = attributes
        self.tags = tags
    }

    var key: String { type + "|" + id }

    var json: Value {
        .map(["type": .string(type), "id": .string(id), "attributes": .map(attributes), "tags": .map(tags.mapValues { .string($0) })])
    }

    init?(json: Value) {
        guard let m = json.mapValue, let type = m["type"]?.stringValue, let id = m["id"]?.stringValue else { return nil }
        self.type = type
        self.id = id
        attributes = m["attributes"]?.mapValue ?? [:]
        tags = (m["tags"]?.mapValue ?? [:]).compactMapValues(\.stringValue)
    }
}

/// The simulated cloud, kept in a JSON file so separate runs see the same world:
/// `{"resources": [{"type", "id", "attributes", "tags"}], "counters": {...}}`.
///
/// Every change is appended to a journal beside it (`FILE.journal`) under an exclusive `flock`,
/// so concurrent processes see each other's changes and a process killed at any instant loses
/// nothing it reported as done (as with a real cloud). The journal is folded into the JSON file
/// by `compact()`, which the CLI calls at the end of a run when it is worth it.
// @unchecked: the in-memory view (`var`s) is read and written only inside `transact` and the
// readers, all under `mutex` (and, across processes, the cloud's file lock).
public final class MockCloud: @unchecked Sendable {
    public let path: String
    let journalPath: String
    let lockPath: String
    private let mutex = NSLock()

    // What this process knows, and how far into the files it has read.
    private var snapshotID: (ino: UInt64, size: Int64, mtime: Int) = (0, -1, 0)
    private var journalOffset = 0
    var resources: [String: MockResource] = [:]
    var counters: [String: Int] = [:]
    /// Constraint key (`tg-name|NAME`, `priority|LISTENER|N`, ...) -> resource key.
    var unique: [String: String] = [:]
    /// An id or ARN -> keys of the resources that refer to it.
    var referencedBy: [String: Set<String>] = [:]
    /// `landlord:address` tag -> resource keys.
    var byAddress: [String: Set<String>] = [:]

    /// The cloud at `path` (created on first write).
    public init(path: String) {
        self.path = path
        journalPath = path + ".journal"
        lockPath = path + ".lock"
    }

    /// Runs `body` with the latest view of the cloud, under the cross-process lock. Changes
    /// made through `Transaction` are journaled before the lock is released.
    public func transact<T>(_ body: (inout Transaction) throws -> T) throws -> T {
        try mutex.withLock {
            // The cloud file sits in .landlord beside the state: private, like it (0700 / 0600,
            // whatever the umask). A directory that exists already (LANDLORD_MOCK_CLOUD's) is
            // left as it is.
            try AtomicFile.makeDirectory((path as NSString).deletingLastPathComponent, tightenExisting: false)
            let lock = try FileLock(path: lockPath)
            defer { lock.unlock() }
            try sync()
            var tx = Transaction(cloud: self)
            let result = try body(&tx)
            if !tx.journal.isEmpty {
                do { try append(tx.journal) } catch {
                    snapshotID = (0, -1, 0)  // memory is ahead of the files: reload next time
                    throw error
                }
            }
            return result
        }
    }

    /// A consistent copy of every resource.
    public func snapshot() throws -> [MockResource] {
        try transact { _ in Array(resources.values).sorted { $0.key < $1.key } }
    }

    /// Folds the journal into the JSON file when that is cheap (a journal under 256 KB, so a
    /// small cloud stays one readable file) or keeps the journal from growing without bound
    /// (over 32 MB and larger than the file). Rewriting a cloud of 14,000 resources took half a
    /// second, too much to pay at the end of every run; readers fold the journal in anyway.
    public func compactIfWorthIt() throws {
        var j = stat()
        var f = stat()
        let journalSize = stat(journalPath, &j) == 0 ? Int(j.st_size) : 0
        let fileSize = stat(path, &f) == 0 ? Int(f.st_size) : 0
        guard journalSize > 0, journalSize < 256 << 10 || (journalSize > 32 << 20 && journalSize > fileSize) else { return }
        try compact()
    }

    /// Folds the journal into the JSON file.
    public func compact() throws {
        try transact { _ in }
        try mutex.withLock {
            guard let lock = try? FileLock(path: lockPath) else { return }
            defer { lock.unlock() }
            try sync()
            // Written a resource at a time, one per line: building the whole cloud as one Value
            // first held ~430 MB more at the end of a 20,000-tenant apply (280,000 resources).
            var bytes = Array("{\"counters\": ".utf8)
            bytes += JSON.serialize(.map(counters.mapValues { .int($0) }))
            bytes += Array(",\n\"resources\": [".utf8)
            for (i, r) in resources.values.sorted(by: { $0.key < $1.key }).enumerated() {
                bytes += Array((i == 0 ? "\n" : ",\n").utf8)
                bytes += JSON.serialize(r.json)
            }
            bytes += Array("\n]}\n".utf8)
            // Not fsync'd: a simulated cloud need not survive a power loss.
            try AtomicFile.write(bytes, to: path, durable: false)
            truncate(journalPath, 0)
            snapshotID = identity(path) ?? (0, -1, 0)
            journalOffset = 0
        }
    }

    private func identity(_ p: String) -> (ino: UInt64, size: Int64, mtime: Int)? {
        var st = stat()
        guard stat(p, &st) == 0 else { return nil }
        return (UInt64(st.st_ino), Int64(st.st_size), Int(st.st_mtim.tv_sec) * 1_000_000_000 + Int(st.st_mtim.tv_nsec))
    }

    /// Brings the in-memory view up to date with the files (lock held).
    private func sync() throws {
        let id = identity(path) ?? (0, -1, 0)
        if id != snapshotID {
            resources = [:]
            counters = [:]
            unique = [:]
            referencedBy = [:]
            byAddress = [:]
            if let data = FileManager.default.contents(atPath: path), !data.isEmpty {
                let doc: Value
                do { doc = try JSON.parse(Array(data)) } catch {
                    throw MockError("simulated cloud \(path) is not valid JSON (\(error)); delete it to start from an empty cloud")
                }
                for r in doc.mapValue?["resources"]?.listValue ?? [] { if let m = MockResource(json: r) { insert(m) } }
                counters = (doc.mapValue?["counters"]?.mapValue ?? [:]).compactMapValues(\.intValue)
            }
            snapshotID = id
            journalOffset = 0
        }
        guard let fh = FileHandle(forReadingAtPath: journalPath) else { return }
        defer { try? fh.close() }
        let end = (try? fh.seekToEnd()) ?? 0
        if Int(end) < journalOffset {
            // Compacted by another process since: reload everything.
            snapshotID = (0, -1, 0)
            return try sync()
        }
        try fh.seek(toOffset: UInt64(journalOffset))
        let data = fh.readDataToEndOfFile()
        var consumed = 0
        var lineStart = data.startIndex
        for i in data.indices where data[i] == 0x0A {
            let line = data[lineStart..<i]
            lineStart = data.index(after: i)
            consumed = lineStart - data.startIndex
            guard let entry = try? JSON.parse(Array(line)), let m = entry.mapValue else { continue }
            switch m["op"]?.stringValue {
            case "put": if let r = m["resource"].flatMap(MockResource.init(json:)) { insert(r) }
            case "del": if let k = m["key"]?.stringValue { remove(k) }
            case "counter": if let k = m["name"]?.stringValue, let v = m["value"]?.intValue { counters[k] = v }
            default: break
            }
        }
        journalOffset += consumed
        if consumed < data.count {
            // A writer died in the middle of a line (we hold the lock, so nobody is writing):
            // cut the torn tail so the next entry starts on a fresh line.
            truncate(journalPath, off_t(journalOffset))
        }
    }

    private func append(_ entries: [Value]) throws {
        var bytes: [UInt8] = []
        for e in entries {
            bytes += JSON.serialize(e, sortedKeys: false)
            bytes.append(0x0A)
        }
        try AtomicFile.append(bytes, to: journalPath)
        journalOffset += bytes.count
    }

    func insert(_ r: MockResource) {
        if resources[r.key] != nil { remove(r.key) }
        resources[r.key] = r
        for u in MockRules.uniqueKeys(r) { unique[u] = r.key }
        for ref in MockRules.references(r) { referencedBy[ref, default: []].insert(r.key) }
        if let a = r.tags["landlord:address"] { byAddress[a, default: []].insert(r.key) }
    }

    func remove(_ key: String) {
        guard let r = resources.removeValue(forKey: key) else { return }
        for u in MockRules.uniqueKeys(r) where unique[u] == key { unique[u] = nil }
        for ref in MockRules.references(r) { referencedBy[ref]?.remove(key) }
        if let a = r.tags["landlord:address"] { byAddress[a]?.remove(key) }
    }

    /// Changes to the cloud inside one locked section; lookups go through the indexes.
    public struct Transaction {
        let cloud: MockCloud
        var journal: [Value] = []
        /// What each change replaced, newest last, for `rollback()`.
        var undo: [(key: String, previous: MockResource?)] = []

        init(cloud: MockCloud) { self.cloud = cloud }

        /// Undoes every change of this transaction (an all-or-nothing batch that failed).
        public mutating func rollback() {
            for (key, previous) in undo.reversed() {
                if let previous { cloud.insert(previous) } else { cloud.remove(key) }
            }
            undo = []
            journal = []
        }

        public mutating func put(_ r: MockResource) {
            undo.append((r.key, cloud.resources[r.key]))
            cloud.insert(r)
            journal.append(.map(["op": "put", "resource": r.json]))
        }

        public mutating func delete(type: String, id: String) {
            let k = type + "|" + id
            undo.append((k, cloud.resources[k]))
            cloud.remove(k)
            journal.append(.map(["op": "del", "key": .string(k)]))
        }

        public func get(type: String, id: String) -> MockResource? { cloud.resources[type + "|" + id] }

        /// Every resource, by `TYPE|ID`.
        public var resources: [String: MockResource] { cloud.resources }

        /// The resource holding a constraint key, if any.
        public func holder(of uniqueKey: String) -> MockResource? { cloud.unique[uniqueKey].flatMap { cloud.resources[$0] } }

        /// Resources that refer to an id or ARN.
        public func referrers(of ref: String) -> [MockResource] { (cloud.referencedBy[ref] ?? []).compactMap { cloud.resources[$0] } }

        /// Resources tagged with an address.
        public func tagged(_ address: String) -> [MockResource] {
            (cloud.byAddress[address] ?? []).compactMap { cloud.resources[$0] }.sorted { $0.id < $1.id }
        }

        /// The next value of a named counter (task definition revisions).
        public mutating func next(_ name: String) -> Int {
            let v = (cloud.counters[name] ?? 0) + 1
            cloud.counters[name] = v
            journal.append(.map(["op": "counter", "name": .string(name), "value": .int(v)]))
            return v
        }
    }
}

/// A failure of the simulated cloud itself (its files), not of a resource.
public struct MockError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ d: String) { description = d }
}
