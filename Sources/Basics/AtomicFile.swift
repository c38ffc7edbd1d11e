import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A file could not be read, written, created or locked; the message names the file, the
/// system's reason and what to do.
public struct FileError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
    public init(_ message: String) { self.message = message }
}

/// Crash-safe file writes: temp file, fsync, rename, directory fsync. A reader sees the old
/// bytes or the new ones, never a torn mix.
///
/// Everything Landlord writes under `.landlord/` and every plan file may hold tenant data, so
/// files are created 0600 and directories 0700, whatever the umask (`fileMode`, `directoryMode`).
public enum AtomicFile {
    /// The mode of every state, journal, lock and plan file.
    public static let fileMode: mode_t = 0o600
    /// The mode of `.landlord` and every directory below it.
    public static let directoryMode: mode_t = 0o700

    /// Opens (creating 0600) a file Landlord writes; the mode is set explicitly so neither
    /// the umask nor an older, looser file keeps it readable by others.
    public static func openPrivate(_ path: String, _ flags: Int32) -> Int32 {
        let fd = open(path, flags | O_CREAT | O_CLOEXEC, fileMode)
        if fd >= 0 { _ = fchmod(fd, fileMode) }
        return fd
    }

    /// Writes `bytes` to `path` atomically. `durable: false` skips the fsyncs (tests, mock).
    public static func write(_ bytes: [UInt8], to path: String, durable: Bool = true) throws {
        let tmp = try stage(bytes, for: path, durable: durable)
        try commit(tmp, to: path)
        if durable { syncDirectory((path as NSString).deletingLastPathComponent) }
    }

    /// Writes `bytes` to a temporary file beside `path` and returns its name; `commit` moves it
    /// into place (so many files can be staged at once, then committed).
    public static func stage(_ bytes: [UInt8], for path: String, durable: Bool = false) throws -> String {
        let dir = (path as NSString).deletingLastPathComponent
        let tmp = dir + "/." + (path as NSString).lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = openPrivate(tmp, O_WRONLY | O_TRUNC)
        guard fd >= 0 else { throw FileError("cannot write \(tmp): \(String(cString: strerror(errno))). Check permissions and free space.") }
        var ok = writeAll(fd, bytes)
        if ok && durable { ok = fsync(fd) == 0 }
        close(fd)
        guard ok else {
            unlink(tmp)
            throw FileError("cannot write \(path): \(String(cString: strerror(errno))). Check free space; the previous version is intact.")
        }
        return tmp
    }

    /// Appends `bytes` to `path` (created 0600) in one `O_APPEND` write sequence, without
    /// syncing: for logs read back by their own writers under a lock (the mock cloud's journal).
    public static func append(_ bytes: [UInt8], to path: String) throws {
        let fd = openPrivate(path, O_WRONLY | O_APPEND)
        guard fd >= 0 else { throw FileError("cannot write \(path): \(String(cString: strerror(errno))). Check permissions and free space.") }
        defer { close(fd) }
        guard writeAll(fd, bytes) else { throw FileError("cannot append to \(path): \(String(cString: strerror(errno))). Check free space.") }
    }

    /// Writes every byte to `fd` (retrying short writes and interrupts); false on an error,
    /// with `errno` set.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        // Safe: the pointer is used only inside the closure and only while off < count.
        bytes.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + off, raw.count - off)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return false }
                off += n
            }
            return true
        }
    }

    /// Moves a staged file into place (atomically replacing what was there).
    public static func commit(_ tmp: String, to path: String) throws {
        guard rename(tmp, path) == 0 else {
            unlink(tmp)
            throw FileError("cannot replace \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// fsyncs a directory, so names created, renamed or removed in it survive a crash.
    public static func syncDirectory(_ dir: String) {
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            fsync(dfd)
            close(dfd)
        }
    }

    /// The file's bytes, or nil when it does not exist.
    public static func read(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        var out = [UInt8](repeating: 0, count: Int(st.st_size))
        var off = 0
        while off < out.count {
            let total = out.count
            // Safe: the loop runs only while off < count, so the buffer is non-empty and in bounds.
            let n = out.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + off, total - off) }
            if n <= 0 { break }
            off += n
        }
        if off < out.count { out.removeLast(out.count - off) }
        return out
    }

    /// Creates a directory and its parents (0700), and makes an existing one 0700 unless
    /// `tightenExisting` is false (a directory Landlord does not own, such as the one a
    /// `LANDLORD_MOCK_CLOUD` file is put in, keeps its mode).
    public static func makeDirectory(_ path: String, tightenExisting: Bool = true) throws {
        if !tightenExisting {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue { return }
        }
        defer {
            // A `.landlord` made by an older version (0755) is tightened too.
            var p = path
            while !p.isEmpty && p != "/" {
                if (p as NSString).lastPathComponent == ".landlord" { _ = chmod(p, directoryMode) }
                p = (p as NSString).deletingLastPathComponent
            }
        }
        if chmod(path, directoryMode) == 0 { return }
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: NSNumber(value: directoryMode)])
        } catch {
            throw FileError("cannot create directory \(path): \(error.localizedDescription)")
        }
        _ = chmod(path, directoryMode)
    }
}

/// An exclusive advisory lock (`flock`) on a file, held for a short critical section.
public final class FileLock: Sendable {
    private let fd: Int32

    /// Blocks until the lock on `path` is held.
    public init(path: String) throws {
        fd = AtomicFile.openPrivate(path, O_RDWR)
        guard fd >= 0 else { throw FileError("cannot open lock file \(path): \(String(cString: strerror(errno)))") }
        while flock(fd, LOCK_EX) != 0 {
            if errno != EINTR {
                close(fd)
                throw FileError("cannot lock \(path): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Releases the lock.
    public func unlock() {
        flock(fd, LOCK_UN)
        close(fd)
    }

    /// Runs `body` holding the lock on `path`.
    public static func withLock<T>(_ path: String, _ body: () throws -> T) throws -> T {
        let l = try FileLock(path: path)
        defer { l.unlock() }
        return try body()
    }
}
