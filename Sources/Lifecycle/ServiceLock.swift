import Foundation
import LandlordBasics

#if canImport(Glibc)
    import Glibc
#endif

/// The fleet's service lock, `.landlord/service/service.lock`: one process at a time changes
/// the tenant records, either a running `landlord serve` (for its whole life) or one
/// `landlord tenant ...` command. The other is refused with a message naming the holder, so
/// records are never written by two processes and one tenant is never applied by both.
public final class ServiceLock: Sendable {
    private let fd: Int32

    private init(fd: Int32) { self.fd = fd }

    /// The lock file of the fleet at `root`.
    public static func path(root: URL) -> String { root.appendingPathComponent(".landlord/service/service.lock").path }

    /// Takes the lock without waiting and writes `holder` (who holds it, for the other side's
    /// message) into the file; `.failure` with that text when another process holds it.
    public static func acquire(root: URL, holder: String) throws -> Result<ServiceLock, HeldBy> {
        let path = path(root: root)
        try AtomicFile.makeDirectory((path as NSString).deletingLastPathComponent)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileError("cannot open the service lock \(path): \(String(cString: strerror(errno)))") }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            let wouldBlock = errno == EWOULDBLOCK
            let reason = String(cString: strerror(errno))
            close(fd)
            if wouldBlock {
                let text = AtomicFile.read(path).map { String(decoding: $0, as: UTF8.self) } ?? ""
                return .failure(HeldBy(description: text.trimmingCharacters(in: .whitespacesAndNewlines)))
            }
            throw FileError("cannot lock \(path): \(reason)")
        }
        let line = Array("\(holder) (pid \(getpid()))\n".utf8)
        _ = ftruncate(fd, 0)
        _ = line.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        return .success(ServiceLock(fd: fd))
    }

    /// Who holds the lock, as the holder wrote it.
    public struct HeldBy: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Releases the lock (also released when the process exits).
    public func unlock() {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
