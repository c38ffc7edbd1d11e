import Foundation
import LandlordBasics
import ProviderAPI

#if canImport(Glibc)
    import Glibc
#endif

/// The simulated cloud, kept in a JSON file so separate runs see the same world:
/// `{"counters": {...}, "resources": [` then one resource record a line (`MockResource.record`)
/// `]}`.
///
/// Every change is appended to a journal beside it (`FILE.journal`) under an exclusive `flock`,
/// so concurrent processes see each other's changes and a process killed at any instant loses
/// nothing it reported as done (as with a real cloud). The journal is folded into the JSON file
/// by `compact()`, which the CLI calls at the end of a run when it is worth it.
///
/// The process holds where each record is, not the records (`MockCloudIndex`): a lookup reads
/// the record's bytes from its file and decodes it, so a cloud of 280,000 resources costs a
/// few tens of megabytes instead of most of a gigabyte, and loading it reads only each record's
/// key. The lookups only changes need (constraint holders, referrers, addresses) are built the
/// first time a change asks for them.
// @unchecked: the index, counters, file descriptors and offsets (`var`s) are read and written
// only inside `transact`, `compact` and what they call, all under `mutex` (and, across
// processes, the cloud's file lock).
public final class MockCloud: @unchecked Sendable {
    public let path: String
    let journalPath: String
    let lockPath: String
    let mutex = NSLock()

    // What this process knows, and how far into the files it has read.
    var snapshotID: FileIdentity = .none
    /// False until the files are read, and after a failure left memory ahead of them.
    var loaded = false
    var journalOffset = 0
    var index = MockCloudIndex()
    var secondary: MockSecondaryIndexes?
    var counters: [String: Int] = [:]
    /// The cloud file and journal the index points into (-1: none).
    var fileFD: Int32 = -1
    var journalFD: Int32 = -1
    var journalInode: UInt64 = 0
    /// Why a record could not be read, if one could not: the transaction then fails with it.
    var damage: String?

    /// The cloud at `path` (created on first write).
    public init(path: String) {
        self.path = path
        journalPath = path + ".journal"
        lockPath = path + ".lock"
    }

    deinit {
        if fileFD >= 0 { close(fileFD) }
        if journalFD >= 0 { close(journalFD) }
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
            defer { index.endTransaction() }
            try sync()
            var tx = Transaction(cloud: self)
            let result: T
            do {
                result = try body(&tx)
                if let damage { throw MockError(damage) }
            } catch {
                forget()  // memory may be ahead of the files: reload next time
                throw error
            }
            if !tx.journal.isEmpty {
                do { try append(tx.journal) } catch {
                    forget()
                    throw error
                }
            }
            return result
        }
    }

    /// The resources at `keys` (nil: none there), with `also`'s result computed in the same
    /// locked view (it is told how many of `keys` are there). Only the records' bytes are read
    /// under the lock; they are decoded after it, so reads from several tasks decode side by
    /// side.
    public func read<T>(_ keys: [(type: String, id: String)], also: (Transaction, Int) -> T) throws -> (resources: [MockResource?], also: T) {
        let (stored, extra) = try transact { tx in
            let stored = keys.map { tx.getRecord(type: $0.type, id: $0.id) }
            return (stored, also(tx, stored.count { $0 != nil }))
        }
        var out: [MockResource?] = []
        out.reserveCapacity(stored.count)
        for s in stored {
            switch s {
            case nil: out.append(nil)
            case .resource(let r)?: out.append(r)
            case .record(let bytes)?:
                guard let r = MockResource(record: bytes) else {
                    throw MockError("simulated cloud \(path) has a damaged record; delete \(path) and \(journalPath) to start from an empty cloud")
                }
                out.append(r)
            }
        }
        return (out, extra)
    }

    /// A consistent copy of every resource.
    public func snapshot() throws -> [MockResource] {
        try transact { tx in Array(tx.resources.values).sorted { $0.key < $1.key } }
    }

    /// The next reader reloads everything from the files.
    func forget() {
        loaded = false
        damage = nil
    }

    // MARK: Lookups (lock held)

    /// The resource in a slot, read from its file when it is not in memory.
    func resource(at s: Int32) -> MockResource? {
        let slot = index.slots[Int(s)]
        switch slot.place {
        case .free: return nil
        case .memory: return index.memory[s]
        case .file, .journal:
            let fd = slot.place == .file ? fileFD : journalFD
            guard let bytes = readAt(fd, offset: slot.offset, length: Int(slot.length)), let r = MockResource(record: bytes) else {
                damage =
                    "simulated cloud \(slot.place == .file ? path : journalPath) has a damaged record at byte \(slot.offset); "
                    + "delete \(path) and \(journalPath) to start from an empty cloud"
                return nil
            }
            return r
        }
    }

    /// A stored resource as it is kept: the bytes of its record in a file (decoded by the
    /// caller, outside the lock), or the resource itself (in memory, or a record of another
    /// layout, decoded here to check its key).
    enum StoredRecord {
        case record([UInt8])
        case resource(MockResource)
    }

    /// A key's resource without decoding its record where the record's start shows the key
    /// (`MockCloudIndex.quickKey`).
    func lookupRecord(type: String, id: String) -> StoredRecord? {
        let key = type + "|" + id
        for s in index.candidates(MockCloudIndex.hash(key)) {
            let slot = index.slots[Int(s)]
            guard slot.place == .file || slot.place == .journal else {
                if let r = resource(at: s), r.key == key { return .resource(r) }
                continue
            }
            let fd = slot.place == .file ? fileFD : journalFD
            guard let bytes = readAt(fd, offset: slot.offset, length: Int(slot.length)) else {
                _ = resource(at: s)  // records the damage
                return nil
            }
            let quick = bytes.withUnsafeBufferPointer { b -> Bool? in
                guard let k = MockCloudIndex.quickKey(b) else { return nil }
                return b[k.type].elementsEqual(type.utf8) && b[k.id].elementsEqual(id.utf8)
            }
            switch quick {
            case true?: return .record(bytes)
            case false?: continue
            case nil: if let r = resource(at: s), r.key == key { return .resource(r) }
            }
        }
        return nil
    }

    /// The slot holding a key, and its resource.
    func lookup(_ key: String) -> (slot: Int32, resource: MockResource)? {
        for s in index.candidates(MockCloudIndex.hash(key)) {
            if let r = resource(at: s), r.key == key { return (s, r) }
        }
        return nil
    }

    /// Slots filed under a derived key in the lookups changes need (built the first time:
    /// read in place, never copied, so a later change does not copy them whole).
    func slots(_ key: String, in which: KeyPath<MockSecondaryIndexes, MockMultiIndex>) -> [Int32] {
        if secondary == nil {
            var built = MockSecondaryIndexes()
            for s in index.live { if let r = resource(at: s) { built.add(r, s) } }
            secondary = built
        }
        return secondary![keyPath: which].slots(key)
    }

    /// Files a resource (replacing the key's old one); returns its slot.
    @discardableResult
    func insert(_ r: MockResource, place: MockCloudIndex.Place = .memory, offset: Int64 = 0, length: Int = 0) -> Int32 {
        remove(r.key)
        let s = index.add(hash: MockCloudIndex.hash(r.key), type: r.type, place: place, offset: offset, length: length, resource: r)
        secondary?.add(r, s)
        return s
    }

    /// Unfiles a key; returns what was there and where, for an undo.
    @discardableResult
    func remove(_ key: String) -> Stored? {
        guard let (s, r) = lookup(key) else { return nil }
        let slot = index.slots[Int(s)]
        secondary?.remove(r, s)
        index.remove(hash: MockCloudIndex.hash(key), slot: s)
        return Stored(resource: r, place: slot.place, offset: slot.offset, length: Int(slot.length))
    }

    /// A resource and where its record was.
    struct Stored {
        var resource: MockResource
        var place: MockCloudIndex.Place
        var offset: Int64
        var length: Int
    }

    /// Changes to the cloud inside one locked section; lookups go through the indexes.
    public struct Transaction {
        let cloud: MockCloud
        var journal: [JournalEntry] = []
        /// What each change replaced, newest last, for `rollback()`.
        var undo: [Undo] = []

        struct Undo {
            var key: String
            var previous: Stored?
        }

        init(cloud: MockCloud) { self.cloud = cloud }

        /// Undoes every change of this transaction (an all-or-nothing batch that failed).
        public mutating func rollback() {
            for u in undo.reversed() {
                cloud.remove(u.key)
                if let p = u.previous { cloud.insert(p.resource, place: p.place, offset: p.offset, length: p.length) }
            }
            undo = []
            journal = []
        }

        public mutating func put(_ r: MockResource) {
            undo.append(Undo(key: r.key, previous: cloud.remove(r.key)))
            let s = cloud.insert(r)
            journal.append(.put(r, slot: s))
        }

        public mutating func delete(type: String, id: String) {
            let k = type + "|" + id
            undo.append(Undo(key: k, previous: cloud.remove(k)))
            journal.append(.delete(k))
        }

        public func get(type: String, id: String) -> MockResource? { cloud.lookup(type + "|" + id)?.resource }

        /// `get`, leaving a file's record undecoded (for reads that decode outside the lock).
        func getRecord(type: String, id: String) -> StoredRecord? { cloud.lookupRecord(type: type, id: id) }

        /// Every resource, by `TYPE|ID` (reads every record: for tests and small clouds; use
        /// `all(ofType:)` where the type is known).
        public var resources: [String: MockResource] {
            var out: [String: MockResource] = [:]
            for s in cloud.index.live { if let r = cloud.resource(at: s) { out[r.key] = r } }
            return out
        }

        /// Every resource of one type.
        public func all(ofType type: String) -> [MockResource] { cloud.index.live(ofType: type).compactMap { cloud.resource(at: $0) } }

        /// How many resources of one type there are (without reading them).
        public func count(ofType type: String) -> Int { cloud.index.live(ofType: type).count }

        /// The resource holding a constraint key, if any.
        public func holder(of uniqueKey: String) -> MockResource? {
            for s in cloud.slots(uniqueKey, in: \.unique) {
                if let r = cloud.resource(at: s), MockRules.uniqueKeys(r).contains(uniqueKey) { return r }
            }
            return nil
        }

        /// Resources that refer to an id or ARN.
        public func referrers(of ref: String) -> [MockResource] {
            cloud.slots(ref, in: \.referencedBy).compactMap { s in
                cloud.resource(at: s).flatMap { MockRules.references($0).contains(ref) ? $0 : nil }
            }
        }

        /// Resources tagged with an address.
        public func tagged(_ address: String) -> [MockResource] {
            cloud.slots(address, in: \.byAddress).compactMap { s in
                cloud.resource(at: s).flatMap { $0.tags["landlord:address"] == address ? $0 : nil }
            }.sorted { $0.id < $1.id }
        }

        /// The next value of a named counter (task definition revisions).
        public mutating func next(_ name: String) -> Int {
            let v = (cloud.counters[name] ?? 0) + 1
            cloud.counters[name] = v
            journal.append(.counter(name, v))
            return v
        }
    }

    /// One line of the journal.
    enum JournalEntry {
        /// A resource stored, held in memory in `slot` until the line is written.
        case put(MockResource, slot: Int32)
        case delete(String)
        case counter(String, Int)
    }
}

/// A failure of the simulated cloud itself (its files), not of a resource.
public struct MockError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ d: String) { description = d }
}
