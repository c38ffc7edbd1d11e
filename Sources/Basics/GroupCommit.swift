import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Group commit of atomic file writes: callers hand in the files one change needs (an event,
/// a record, a tenant file) and are answered once those files are durable; writes handed in
/// while a batch is being made durable go into the next batch, together.
///
/// A batch is made durable once for all its writes: every file is staged beside its target
/// (written, not yet synced), all staged files are fsynced at once (the filesystem's journal
/// merges concurrent fsyncs into one or two commits), the files are renamed into place in the
/// order they were handed in, then each directory touched is fsynced once. So N concurrent
/// changes cost about as much as one, instead of N times four fsyncs in a row.
///
/// Crash safety is that of ``AtomicFile/write(_:to:durable:)``: a reader sees every file's old
/// bytes or its new ones; no caller is answered before its files' renames are durable; and a
/// file renamed after another (a record after its event) never survives a crash without it
/// (renames reach the journal in order).
public final class GroupCommit: Sendable {
    /// One file to write atomically.
    public struct Write: Sendable {
        /// The file's path.
        public var path: String
        /// Its new bytes.
        public var bytes: [UInt8]
        /// A write of `bytes` to `path`.
        public init(path: String, bytes: [UInt8]) {
            self.path = path
            self.bytes = bytes
        }
    }

    /// One caller's writes and its answer.
    private struct Waiter: Sendable {
        var writes: [Write]
        var done: @Sendable (FileError?) -> Void
    }

    private struct Queue: Sendable {
        var waiting: [Waiter] = []
        /// True while the committer drains the queue.
        var running = false
        var batches = 0
        var writes = 0
    }

    private let queue = Mutex(Queue())
    /// fsync the files and directories (off only in tests and benchmarks).
    public let durable: Bool
    private let committer = DispatchQueue(label: "landlord.group-commit")
    private let syncers = DispatchQueue(label: "landlord.group-commit.sync", attributes: .concurrent)

    /// A committer; `durable: false` skips the fsyncs.
    public init(durable: Bool = true) { self.durable = durable }

    /// Batches made durable so far, and the writes in them (for tests and benchmarks).
    public var counts: (batches: Int, writes: Int) { queue.withLock { ($0.batches, $0.writes) } }

    /// Writes `writes` atomically and returns once they are durable (with the other writes
    /// handed in meanwhile). Throws the first write's failure; that caller's other files may
    /// then be written or not, each atomically.
    public func commit(_ writes: [Write]) async throws {
        guard !writes.isEmpty else { return }
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            enqueue(writes) { failure in
                if let failure { c.resume(throwing: failure) } else { c.resume() }
            }
        }
    }

    /// The same from synchronous code: blocks the calling thread until the writes are durable
    /// (the batch is written on the committer's own thread, never on the caller's pool).
    public func commitBlocking(_ writes: [Write]) throws {
        guard !writes.isEmpty else { return }
        let box = Mutex<FileError?>(nil)
        let done = DispatchSemaphore(value: 0)
        enqueue(writes) { failure in
            box.withLock { $0 = failure }
            done.signal()
        }
        done.wait()
        if let e = box.withLock({ $0 }) { throw e }
    }

    private func enqueue(_ writes: [Write], done: @escaping @Sendable (FileError?) -> Void) {
        let start = queue.withLock { q in
            q.waiting.append(Waiter(writes: writes, done: done))
            if q.running { return false }
            q.running = true
            return true
        }
        if start { committer.async { self.drain() } }
    }

    private func drain() {
        while true {
            let batch = queue.withLock { q in
                let b = q.waiting
                q.waiting = []
                if b.isEmpty { q.running = false }
                return b
            }
            if batch.isEmpty { return }
            let failures = write(batch)
            queue.withLock { q in
                q.batches += 1
                q.writes += batch.reduce(0) { $0 + $1.writes.count }
            }
            for (i, w) in batch.enumerated() { w.done(failures[i]) }
        }
    }

    /// A file written beside its target, its descriptor still open for the fsync.
    private struct Staged {
        var fd: Int32
        var tmp: String
        var path: String
        var waiter: Int
    }

    /// Makes one batch durable; the failure of each waiter that failed, by index.
    private func write(_ batch: [Waiter]) -> [Int: FileError] {
        var failures: [Int: FileError] = [:]
        var staged: [Staged] = []
        for (i, w) in batch.enumerated() {
            for file in w.writes {
                let dir = dirname(file.path)
                let tmp = dir + "/." + basename(file.path) + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
                let fd = AtomicFile.openPrivate(tmp, O_WRONLY | O_TRUNC)
                guard fd >= 0, AtomicFile.writeAll(fd, file.bytes) else {
                    let reason = String(cString: strerror(errno))
                    if fd >= 0 {
                        close(fd)
                        unlink(tmp)
                    }
                    failures[i] = FileError("cannot write \(file.path): \(reason). Check permissions and free space; the previous version is intact.")
                    break
                }
                staged.append(Staged(fd: fd, tmp: tmp, path: file.path, waiter: i))
            }
        }
        // Every staged file's bytes on disk, all fsyncs in flight at once.
        let synced = durable ? parallel(staged.map(\.fd)) { fsync($0) == 0 } : Array(repeating: true, count: staged.count)
        for (s, ok) in zip(staged, synced) {
            close(s.fd)
            if !ok && failures[s.waiter] == nil {
                failures[s.waiter] = FileError("cannot write \(s.path): fsync failed. Check the disk and free space, then try again.")
            }
        }
        var directories: [String] = []
        for s in staged {
            guard failures[s.waiter] == nil else {
                unlink(s.tmp)
                continue
            }
            guard rename(s.tmp, s.path) == 0 else {
                failures[s.waiter] = FileError("cannot replace \(s.path): \(String(cString: strerror(errno)))")
                unlink(s.tmp)
                continue
            }
            let dir = dirname(s.path)
            if !directories.contains(dir) { directories.append(dir) }
        }
        if durable {
            _ = parallel(directories) { dir in
                let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                guard fd >= 0 else { return false }
                defer { close(fd) }
                return fsync(fd) == 0
            }
        }
        return failures
    }

    /// Runs `body` on every item at once (blocking calls on threads of their own), in order.
    private func parallel<T: Sendable>(_ items: [T], _ body: @escaping @Sendable (T) -> Bool) -> [Bool] {
        if items.count <= 1 { return items.map(body) }
        let results = Mutex([Bool](repeating: false, count: items.count))
        let group = DispatchGroup()
        for (i, item) in items.enumerated() {
            syncers.async(group: group) {
                let ok = body(item)
                results.withLock { $0[i] = ok }
            }
        }
        group.wait()
        return results.withLock { $0 }
    }

    private func dirname(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    private func basename(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}
