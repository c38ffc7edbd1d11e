import AWSClient
import Dispatch
import Foundation
import LandlordBasics
import LandlordCore
import LandlordEvents
import LandlordS3State
import ProviderAPI
import Synchronization

/// The service's records and event outbox in the state bucket, when platform.yaml's state is
/// S3: `PREFIX/service/tenants/ID.json` (one record per tenant) and
/// `PREFIX/service/outbox/SINK/NAME.json` (one object per undelivered event). A service on
/// another machine, or a restarted container with an empty disk, reads them and finishes what
/// an earlier one accepted.
///
/// Writes use the state's conditional writes: a record is created with `If-None-Match: *`
/// (so two service processes sharing the bucket cannot both create one id: the second gets
/// its 409) and replaced with `If-Match` on the ETag this store last read or wrote (a change
/// made meanwhile by another process is refused, never overwritten). A change's events are
/// written before its record, and the record before the request is answered. Concurrent
/// requests' writes go out at once (S3 has no fsync to share).
final class S3RecordStore: RecordStore {
    let store: S3StateStore
    let outbox: EventOutbox
    let root: URL
    /// The ETag of each record as last read or written: the condition of its next write.
    private let etags = Mutex<[String: String]>([:])

    init(store: S3StateStore, root: URL, outbox: EventOutbox) {
        self.store = store
        self.root = root
        self.outbox = outbox
    }

    private func key(_ id: String) -> String { "tenants/" + id + ".json" }

    func loadAll() throws -> [String: TenantRecord] {
        try Self.blocking { try await self.load() }
    }

    private func load() async throws -> [String: TenantRecord] {
        let keys = try await store.serviceList("tenants/").filter { $0.hasSuffix(".json") }
        var out: [String: TenantRecord] = [:]
        try await withThrowingTaskGroup(of: Keyed<String, S3Object?>.self) { group in
            var next = keys.makeIterator()
            for _ in 0..<16 {
                guard let k = next.next() else { break }
                group.addTask { Keyed(k, try await self.store.serviceGet(k)) }
            }
            while let got = try await group.next() {
                if let object = got.value {
                    do {
                        let r = try RecordCoding.decode(object.body)
                        out[r.id] = r
                        etags.withLock { $0[r.id] = object.etag ?? "" }
                    } catch {
                        throw FileError(
                            """
                            cannot read the service record \(store.serviceURI(got.key)): \(error); restore an earlier version \
                            of it (the bucket's versioning) or move it aside, then start again
                            """
                        )
                    }
                }
                if let k = next.next() { group.addTask { Keyed(k, try await self.store.serviceGet(k)) } }
            }
        }
        return out
    }

    /// Writes one change: its events, then its record under `condition` (nil: as the ETag
    /// known says), then its local files. False when the record's condition failed.
    private func write(_ c: RecordChange, condition: S3WriteCondition? = nil) async throws -> Bool {
        var written: [String] = []
        for e in c.events {
            for entry in outbox.entries(for: e) {
                let k = S3OutboxStorage.folder(entry.directory) + entry.name
                _ = try await store.servicePut(k, Data(entry.bytes), .none)
                written.append(k)
            }
        }
        let id = c.record.id
        let body = Data(RecordCoding.encode(c.record))
        let known = etags.withLock { $0[id] }
        let cond = condition ?? Self.condition(known)
        guard let etag = try await store.servicePut(key(id), body, cond) else {
            // Lost to another process: its events must not go out either.
            for k in written { try? await store.serviceDelete(k) }
            return false
        }
        etags.withLock { $0[id] = etag }
        for f in c.files { try AtomicFile.write(f.bytes, to: f.path, durable: true) }
        return true
    }

    func save(_ changes: [RecordChange]) async throws {
        let lost = try await withThrowingTaskGroup(of: Keyed<String, Bool>.self) { group in
            for c in changes { group.addTask { Keyed(c.record.id, try await self.write(c)) } }
            var out: [String] = []
            for try await k in group where !k.value { out.append(k.key) }
            return out.sorted()
        }
        outbox.wakeDeliverers()
        if !lost.isEmpty {
            throw StateError.conflict(
                "the service record of \(lost.joined(separator: ", ")) at \(store.serviceURI("tenants/")) was changed by another process; "
                    + "stop the other `landlord serve` sharing this bucket and restart this one")
        }
    }

    func create(_ change: RecordChange, replacing previous: TenantRecord?) async throws -> Bool {
        let id = change.record.id
        let known = etags.withLock { $0[id] }
        let condition = previous != nil ? Self.condition(known) : .ifNoneMatch
        let created = try await write(change, condition: condition)
        outbox.wakeDeliverers()
        return created
    }

    /// The condition replacing a record whose last known ETag is `etag` (nil: none exists).
    private static func condition(_ etag: String?) -> S3WriteCondition {
        guard let etag else { return .ifNoneMatch }
        return etag.isEmpty ? S3WriteCondition.none : .ifMatch(etag)
    }

    func saveBlocking(_ changes: [RecordChange]) throws {
        try Self.blocking { try await self.save(changes) }
    }

    /// Runs S3 calls from synchronous code (the service's start, and its actor's synchronous
    /// request handlers), blocking the calling thread until they end. The calls run on
    /// ``BlockingExecutor``'s threads, never on Swift's cooperative pool: the blocked caller
    /// may be one of that pool's threads (on a 1-CPU container, its only one).
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = Mutex<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task.detached(executorPreference: BlockingExecutor.shared) {
            let r: Result<T, any Error>
            do { r = .success(try await body()) } catch { r = .failure(error) }
            box.withLock { $0 = r }
            done.signal()
        }
        done.wait()
        return try box.withLock { $0! }.get()
    }
}

/// A task executor on a dispatch queue of its own, for async work that a blocked thread of
/// the cooperative pool waits for (``S3RecordStore/blocking(_:)``).
final class BlockingExecutor: TaskExecutor {
    static let shared = BlockingExecutor()
    private let queue = DispatchQueue(label: "landlord.s3-records", attributes: .concurrent)

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}

/// Event files as objects beside the state: `PREFIX/service/outbox/SINK/NAME.json`, SINK
/// being the name of the sink's local outbox directory.
final class S3OutboxStorage: OutboxStorage {
    let store: S3StateStore
    /// Events seen waiting per folder at the last listing (for metrics).
    private let counts = Mutex<[String: Int]>([:])

    init(store: S3StateStore) { self.store = store }

    /// The folder of the sink whose local outbox directory is `directory`.
    static func folder(_ directory: String) -> String { "outbox/" + (directory as NSString).lastPathComponent + "/" }

    func pending(_ directory: String) async -> [String] {
        let folder = Self.folder(directory)
        guard let keys = try? await store.serviceList(folder) else { return [] }
        let names = keys.map { String($0.dropFirst(folder.count)) }.filter { $0.hasSuffix(".json") && !$0.contains("/") }.sorted()
        counts.withLock { $0[directory] = names.count }
        return names
    }

    func read(_ directory: String, _ name: String) async -> OutboxRead {
        do {
            guard let object = try await store.serviceGet(Self.folder(directory) + name) else { return .gone }
            return .event(Array(object.body))
        } catch {
            return .failed("\(error)")
        }
    }

    func remove(_ directory: String, _ name: String) async {
        try? await store.serviceDelete(Self.folder(directory) + name)
        counts.withLock { $0[directory] = max(0, ($0[directory] ?? 1) - 1) }
    }

    func setAside(_ directory: String, _ name: String) async {
        // The event is removed only once its copy is written: a bucket that fails midway
        // leaves it where it was, for the next round.
        let key = Self.folder(directory) + name
        guard let object = try? await store.serviceGet(key), (try? await store.servicePut(key + ".bad", object.body, .none)) != nil else {
            return
        }
        try? await store.serviceDelete(key)
    }

    func count(_ directory: String) -> Int { counts.withLock { $0[directory] ?? 0 } }
}
