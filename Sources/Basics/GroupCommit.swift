import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Group commit of atomic file writes: callers hand in the files one change needs (an event,
/// a record, a tenant file) and are answered once those files are durable; writes handed in
/// while earlier ones are being made durable go in together, in one of the next rounds.
///
/// Making a file durable in place of another takes two waits on the disk, one after the other:
/// its bytes (an fsync of the staged file) before its rename, and the rename (an fsync of its
/// directory) before anyone is told. The committer runs them as a pipeline of two stages, each
/// on a thread of its own, so each wait on the disk serves two batches at once:
///
/// 1. **Stage**: every waiting caller's files are written beside their targets and all are
///    fsynced at once, each on a thread of ``BlockingThreads`` (the filesystem's journal merges
///    concurrent fsyncs into one or two commits); the batch then joins the ready list, and the next callers are staged at once.
/// 2. **Publish**: every ready batch (in the order they were staged) is renamed into place, in
///    the order the files were handed in, then each directory touched is fsynced once, then
///    every caller of those batches is answered.
///
/// While batch N's directories are being synced, batch N+1's bytes are being synced: a caller
/// arriving at any moment waits for the staging round in flight, its own staging round, and one
/// publishing round (which starts when the publisher is free; it is busy at most with the round
/// that ran beside this caller's staging): about three fsync rounds at most, where one batch at a
/// time (stage, sync, rename, sync, then the next) made it wait up to four.
///
/// Crash safety is that of ``AtomicFile/write(_:to:durable:)``, and the order is the one the
/// callers handed the files in:
/// - a file is renamed only after its bytes are fsynced (stage 1 finishes before stage 2 takes
///   the batch), so a crash leaves a target with its old bytes or its new ones, never a torn
///   file; a staged file that never got renamed is a dot-file the readers skip;
/// - no caller is answered before the directory fsync that follows its renames has returned,
///   and a caller is answered with an error when that fsync failed, as when its bytes' did
///   (its file is in place, but not known to survive a crash);
/// - renames happen on one thread, batch after batch in staging order (which is hand-in order)
///   and file after file within a batch, and the next round's renames start only after this
///   round's directories are synced; so two writes of one path land in the order they were
///   handed in, and a file renamed after another (a record after its event) never survives a
///   crash without it (renames reach the journal in order).
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

    /// What is being made durable when the committer waits on the disk.
    public enum Sync: Sendable, Equatable {
        /// The staged bytes of the file that will replace this path (before its rename).
        case file(String)
        /// This directory's entries (after the renames into it).
        case directory(String)
    }

    /// Makes what the descriptor holds durable (`fsync`); true when it did. Tests pass their
    /// own to watch, or hold up, the rounds.
    public typealias Syncer = @Sendable (_ fd: Int32, _ what: Sync) -> Bool

    /// `fsync(2)`.
    public static let fsyncSyncer: Syncer = { fd, _ in fsync(fd) == 0 }

    /// One caller's writes and its answer.
    private struct Waiter: Sendable {
        var writes: [Write]
        var done: @Sendable (FileError?) -> Void
    }

    /// A file written and synced beside its target, ready to be renamed.
    private struct Staged: Sendable {
        var tmp: String
        var path: String
        var waiter: Int
    }

    /// A batch whose staged files are durable, waiting for its renames.
    private struct Ready: Sendable {
        var waiters: [Waiter]
        var staged: [Staged]
        var failures: [Int: FileError]
    }

    private struct Queue: Sendable {
        var waiting: [Waiter] = []
        /// True while the stager drains `waiting`.
        var staging = false
        var ready: [Ready] = []
        /// True while the publisher drains `ready`.
        var publishing = false
        var batches = 0
        var writes = 0
        var handedIn = 0
        var staged = 0
        var rounds = 0
    }

    private let queue = Mutex(Queue())
    /// fsync the files and directories (off only in tests and benchmarks).
    public let durable: Bool
    private let syncer: Syncer
    private let stager = DispatchQueue(label: "landlord.group-commit.stage")
    private let publisher = DispatchQueue(label: "landlord.group-commit.publish")

    /// A committer; `durable: false` skips the fsyncs, `sync` replaces `fsync` (tests).
    public init(durable: Bool = true, sync: @escaping Syncer = GroupCommit.fsyncSyncer) {
        self.durable = durable
        self.syncer = sync
    }

    /// Batches made durable so far, and the writes in them (for tests and benchmarks).
    public var counts: (batches: Int, writes: Int) { queue.withLock { ($0.batches, $0.writes) } }

    /// Callers handed in so far, those whose files are staged and synced (ready to be renamed,
    /// or renamed), and publishing rounds done (renames and a directory fsync each; one round
    /// publishes every batch staged while the previous round ran). For tests.
    public var progress: (handedIn: Int, staged: Int, rounds: Int) { queue.withLock { ($0.handedIn, $0.staged, $0.rounds) } }

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
    /// (the batch is written on the committer's own threads, never on the caller's pool).
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
            q.handedIn += 1
            if q.staging { return false }
            q.staging = true
            return true
        }
        if start { stager.async { self.stageAll() } }
    }

    /// Runs `body` on everything `list` holds, again and again, until it holds nothing; then
    /// clears `busy`, under the same lock as the look that found `list` empty, so whoever
    /// appends next sees `busy` false and starts the next drain: nothing is left waiting.
    private func drain<T: Sendable>(_ list: WritableKeyPath<Queue, [T]>, busy: WritableKeyPath<Queue, Bool>, _ body: ([T]) -> Void) {
        while true {
            let items = queue.withLock { q in
                let items = q[keyPath: list]
                q[keyPath: list] = []
                if items.isEmpty { q[keyPath: busy] = false }
                return items
            }
            if items.isEmpty { return }
            body(items)
        }
    }

    /// Stage 1: stages and syncs every waiting caller's files, batch after batch, handing each
    /// batch to the publisher as soon as its bytes are durable.
    private func stageAll() {
        drain(\.waiting, busy: \.staging) { batch in
            let ready = stage(batch)
            let start = queue.withLock { q in
                q.ready.append(ready)
                q.staged += batch.count
                if q.publishing { return false }
                q.publishing = true
                return true
            }
            if start { publisher.async { self.publishAll() } }
        }
    }

    /// Stage 2: renames every ready batch into place and syncs their directories, round after
    /// round, answering each round's callers once its directories are synced.
    private func publishAll() {
        drain(\.ready, busy: \.publishing) { round in
            let answered = publish(round)
            queue.withLock { q in
                q.rounds += 1
                q.batches += round.count
                q.writes += round.reduce(0) { n, r in n + r.waiters.reduce(0) { $0 + $1.writes.count } }
            }
            for (r, failures) in zip(round, answered) {
                for (i, w) in r.waiters.enumerated() { w.done(failures[i]) }
            }
        }
    }

    /// Writes one batch's files beside their targets and syncs them; the failure of each
    /// waiter that failed, by index (its files are not renamed).
    private func stage(_ batch: [Waiter]) -> Ready {
        var failures: [Int: FileError] = [:]
        var staged: [Staged] = []
        var fds: [Int32] = []
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
                staged.append(Staged(tmp: tmp, path: file.path, waiter: i))
                fds.append(fd)
            }
        }
        // Every staged file's bytes on disk, all fsyncs in flight at once.
        let syncer = self.syncer
        let synced =
            durable
            ? BlockingThreads.shared.run(Array(zip(fds, staged.map(\.path)))) { syncer($0.0, .file($0.1)) }
            : Array(repeating: true, count: staged.count)
        for (i, (s, ok)) in zip(staged, synced).enumerated() {
            close(fds[i])
            if !ok && failures[s.waiter] == nil {
                failures[s.waiter] = FileError("cannot write \(s.path): fsync failed. Check the disk and free space, then try again.")
            }
        }
        return Ready(waiters: batch, staged: staged, failures: failures)
    }

    /// Renames the round's staged files into place, in order, then syncs each directory they
    /// went into once; each batch's failures, by waiter index. A caller with a rename into a
    /// directory whose sync failed fails too: its file is in place but not known to survive a crash.
    private func publish(_ round: [Ready]) -> [[Int: FileError]] {
        var out: [[Int: FileError]] = []
        var renamed: [[Staged]] = []
        var directories: [String] = []
        for batch in round {
            var failures = batch.failures
            var done: [Staged] = []
            for s in batch.staged {
                guard failures[s.waiter] == nil else {
                    unlink(s.tmp)
                    continue
                }
                guard rename(s.tmp, s.path) == 0 else {
                    failures[s.waiter] = FileError("cannot replace \(s.path): \(String(cString: strerror(errno)))")
                    unlink(s.tmp)
                    continue
                }
                done.append(s)
                let dir = dirname(s.path)
                if !directories.contains(dir) { directories.append(dir) }
            }
            out.append(failures)
            renamed.append(done)
        }
        guard durable else { return out }
        let syncer = self.syncer
        let synced = BlockingThreads.shared.run(directories) { dir in
            let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0 else { return false }
            defer { close(fd) }
            return syncer(fd, .directory(dir))
        }
        let unsynced = Set(zip(directories, synced).filter { !$0.1 }.map(\.0))
        if unsynced.isEmpty { return out }
        for (b, done) in renamed.enumerated() {
            for s in done where out[b][s.waiter] == nil && unsynced.contains(dirname(s.path)) {
                out[b][s.waiter] = FileError(
                    "cannot make \(s.path) durable: fsync of its directory \(dirname(s.path)) failed, so the new version "
                        + "may not survive a crash. Check the disk and free space, then try again.")
            }
        }
        return out
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
