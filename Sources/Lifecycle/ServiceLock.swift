import Foundation
import LandlordBasics
import LandlordCore
import LandlordS3State

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

/// The service lock of a fleet whose state is in S3, where the records are too (see
/// ``S3RecordStore``): the state backend's own lock object (`PREFIX/locks/.service.lock`,
/// created with `If-None-Match: *`, a lease renewed while held, an expired one taken over with
/// `If-Match`), so one service per bucket changes the records and delivers the events, on
/// whatever machine it runs. (The local flock of ``ServiceLock`` only covers one machine.)
public final class SharedServiceLock: Sendable {
    /// The lock's name among the tenant locks: no tenant id starts with a dot.
    static let name = ".service"
    let store: any StateStore
    let holder: LockHolder
    let renewal: Task<Void, Never>

    private init(store: any StateStore, holder: LockHolder, renewal: Task<Void, Never>) {
        self.store = store
        self.holder = holder
        self.renewal = renewal
    }

    /// Takes the lock of `runtime`'s S3 state, waiting up to `wait` seconds for a holder's
    /// lease to end (a killed service's lease ends `lockLeaseSeconds` after its last renewal);
    /// nil when the state is not shared (local). Throws the holder when it keeps the lock.
    public static func acquire(runtime: ServiceRuntime, wait: TimeInterval? = nil) async throws -> SharedServiceLock? {
        guard runtime.store is S3StateStore else { return nil }
        let lease = runtime.fleet.platform.state.lockLeaseSeconds
        let holder = LockHolder(operation: "serve")
        _ = try await runtime.store.acquireLock(tenant: name, holder: holder, lease: lease, timeout: wait ?? lease + 5)
        let store = runtime.store
        let renewal = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(max(1, lease / 3)))
                if Task.isCancelled { return }
                do { try await store.renewLock(tenant: name, holder: holder, lease: lease) } catch {
                    FileHandle.standardError.write(Data("landlord serve: could not renew the service lock in the state bucket: \(error)\n".utf8))
                }
            }
        }
        return SharedServiceLock(store: store, holder: holder, renewal: renewal)
    }

    /// Stops renewing and releases the lock.
    public func release() async {
        renewal.cancel()
        try? await store.releaseLock(tenant: Self.name, holder: holder)
    }
}
