import Foundation
import LandlordBasics
import LandlordCore
import ProviderAPI

#if canImport(Glibc)
    import Glibc
#endif

/// The local store's write-ahead journal (a `StateJournal`): one file per apply, appended to
/// and group-committed with `fdatasync`.
///
/// File: `.landlord/state/journal/PID-ID.wal`, frames of `length (u32 LE) | crc32 (u32 LE) |
/// JSON entry` (`JournalEntry`); a torn last frame (a crash mid-write) fails its checksum and
/// is ignored. The writer holds an exclusive `flock` on it for its life, which is how readers
/// tell a live journal from a dead one (`LocalStateStore.recoverJournals`).
// @unchecked: every `var` below is read and written only under `lock`; `fd` is written by the
// flush queue alone, one flush at a time (`flushing`).
public final class JournalFile: StateJournal, @unchecked Sendable {
    /// Where the journal is.
    public let path: String
    let durable: Bool
    /// Seals sensitive values of each entry before it is written.
    let cipher: StateCipher?
    private let fd: Int32
    private let lock = NSLock()
    private let queue = DispatchQueue(label: "landlord.journal")
    private var buffer: [UInt8] = []
    private var appended = 0
    private var onDisk = 0
    private var flushing = false
    private var waiters: [(ticket: Int, cont: CheckedContinuation<Void, Error>)] = []
    private var broken: StateError?

    /// Creates and locks a new journal file in `directory`.
    init(directory: String, durable: Bool, cipher: StateCipher? = nil) throws {
        self.cipher = cipher
        try AtomicFile.makeDirectory(directory)
        path = directory + "/\(getpid())-\(UUID().uuidString.lowercased().prefix(8)).wal"
        // Created under another name, locked, then renamed: readers replay only `*.wal` files
        // they can lock, so a journal is never seen between its creation and its lock (a
        // concurrent run's recovery could take, replay and delete it in that window).
        let creating = path + ".new"
        fd = AtomicFile.openPrivate(creating, O_WRONLY | O_EXCL | O_APPEND)
        guard fd >= 0 else {
            throw StateError.io("cannot create the state journal \(path): \(String(cString: strerror(errno))). Check permissions and free space.")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0, rename(creating, path) == 0 else {
            let why = String(cString: strerror(errno))
            close(fd)
            unlink(creating)
            throw StateError.io("cannot set up the state journal \(path): \(why)")
        }
        self.durable = durable
        // The journal's name must survive a crash, or its entries are never found.
        if durable { AtomicFile.syncDirectory(directory) }
    }

    deinit { close(fd) }

    /// Appends a change of `state` (already made in it, serial already advanced) and returns
    /// its ticket for `waitUntilDurable`. Changes of one tenant must be appended in order.
    public func append(_ change: StateChange, of state: TenantState) -> Int {
        let payload = JournalEntry(change, of: state).encoded(cipher: cipher)
        return lock.withLock {
            Self.frame(payload, into: &buffer)
            appended += 1
            return appended
        }
    }

    /// Returns once every entry up to `ticket` is on disk (written and fdatasync'd).
    public func waitUntilDurable(_ ticket: Int) async throws {
        try await withCheckedThrowingContinuation { (cont: CheckedContinuation<Void, Error>) in
            lock.lock()
            if let broken {
                lock.unlock()
                cont.resume(throwing: broken)
                return
            }
            if onDisk >= ticket {
                lock.unlock()
                cont.resume()
                return
            }
            waiters.append((ticket, cont))
            let start = !flushing
            flushing = true
            lock.unlock()
            if start { queue.async { self.flushLoop() } }
        }
    }

    /// Writes whatever is buffered, without syncing: the checkpoint that calls it writes every
    /// document durably before the journal goes.
    func drain() throws {
        try queue.sync {
            let bytes = lock.withLock { () -> [UInt8] in
                defer { buffer = [] }
                return buffer
            }
            if let e = writeAll(bytes) { throw e }
        }
    }

    /// Removes the journal (after its entries are in the tenant documents).
    public func remove() {
        unlink(path)
        flock(fd, LOCK_UN)
    }

    private func flushLoop() {
        while true {
            lock.lock()
            let bytes = buffer
            buffer = []
            let target = appended
            lock.unlock()
            var failure = writeAll(bytes)
            if failure == nil, durable {
                if fdatasync(fd) != 0 {
                    failure = .io(
                        """
                        cannot sync the state journal \(path): \(String(cString: strerror(errno))). Check the disk; the \
                        next run replays what reached it.
                        """
                    )
                }
            }
            lock.lock()
            if let failure, broken == nil { broken = failure }
            if broken == nil { onDisk = target }
            let ready = waiters.filter { broken != nil || $0.ticket <= target }
            waiters.removeAll { broken != nil || $0.ticket <= target }
            let more = !waiters.isEmpty
            if !more { flushing = false }
            let error = broken
            lock.unlock()
            for w in ready {
                if let error { w.cont.resume(throwing: error) } else { w.cont.resume() }
            }
            if !more { return }
        }
    }

    private func writeAll(_ bytes: [UInt8]) -> StateError? {
        AtomicFile.writeAll(fd, bytes)
            ? nil
            : .io(
                "cannot write the state journal \(path): \(String(cString: strerror(errno))). Check free space; the next run replays what reached it."
            )
    }

    // MARK: Frames

    static func frame(_ payload: [UInt8], into out: inout [UInt8]) {
        let n = UInt32(payload.count)
        let c = CRC32.checksum(payload)
        for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: n >> UInt32(shift))) }
        for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: c >> UInt32(shift))) }
        out.append(contentsOf: payload)
    }

    /// The payloads of the whole frames in `bytes`, up to the first torn or corrupt one.
    static func frames(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var out: [ArraySlice<UInt8>] = []
        var i = 0
        func u32(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[at + $1]) << UInt32(8 * $1) } }
        while i + 8 <= bytes.count {
            let n = Int(u32(i))
            let c = u32(i + 4)
            guard i + 8 + n <= bytes.count else { break }
            let payload = bytes[(i + 8)..<(i + 8 + n)]
            guard CRC32.checksum(payload) == c else { break }
            out.append(payload)
            i += 8 + n
        }
        return out
    }
}

/// CRC-32 (IEEE 802.3), to tell a whole journal frame from a torn one.
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { i -> UInt32 in
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ bytes: some Collection<UInt8>) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}
