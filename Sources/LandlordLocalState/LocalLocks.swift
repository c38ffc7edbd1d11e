import Foundation
import LandlordBasics
import LandlordCore
import ProviderAPI

#if canImport(Glibc)
    import Glibc
#endif

/// Tenant locks on the local disk: one file per run that holds locks,
/// `.landlord/locks/run-ID.json` (holder, lease expiry, tenants), read and changed only under
/// the `flock` of `locks/.guard`. An apply of a thousand tenants writes one file, not a
/// thousand: creating files was the largest cost left in a large apply (ext4 scans for a free
/// inode, slowly after many deletes).
///
/// Lock files are written atomically but not fsync'd: after a power loss a lost lock only
/// means the tenant is unlocked, which is what a dead holder's lock becomes anyway.
extension LocalStateStore {
    /// One run's locks as recorded.
    struct RunLock {
        var path: String
        var info: LockInfo
        var tenants: Set<String>
    }

    var guardPath: String { locksDir + "/.guard" }

    func runLockPath(_ holder: LockHolder) -> String { locksDir + "/run-" + holder.id + ".json" }

    /// Every run's locks (an unreadable file, torn by a crash while written, holds nothing;
    /// one of a newer landlord is an error).
    func readRunLocks() throws(StateError) -> [RunLock] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: locksDir) else { return [] }
        var out: [RunLock] = []
        for name in names.sorted() where name.hasPrefix("run-") && name.hasSuffix(".json") {
            let path = locksDir + "/" + name
            guard let bytes = AtomicFile.read(path), let doc = try? JSON.parse(bytes), let info = try LockInfo.decode(value: doc, what: path),
                let tenants = doc.mapValue?["tenants"]?.listValue?.compactMap(\.stringValue)
            else { continue }
            out.append(RunLock(path: path, info: info, tenants: Set(tenants)))
        }
        return out
    }

    /// Writes a run's locks, or removes its file when it holds none.
    func write(_ run: RunLock) throws {
        if run.tenants.isEmpty {
            unlink(run.path)
            return
        }
        guard case .map(var m) = run.info.json else { return }
        m["tenants"] = .list(run.tenants.sorted().map { .string($0) })
        try AtomicFile.write(JSON.serialize(.map(m)), to: run.path, durable: false)
    }

    /// Why another run's locks may be taken over, or nil while that run is live.
    func takeoverReason(_ info: LockInfo, by holder: LockHolder) -> String? {
        if info.expiresAt < Date() { return "its lease expired at \(StateDates.string(info.expiresAt))" }
        if info.holder.host == holder.host, info.holder.pid > 0, kill(info.holder.pid, 0) != 0, errno == ESRCH {
            return "process \(info.holder.pid) on this host is no longer running"
        }
        return nil
    }

    public func acquireLock(tenant: String, holder: LockHolder, lease: TimeInterval, timeout: TimeInterval) async throws -> [Diagnostic] {
        let r = await acquireLocks(tenants: [tenant], holder: holder, lease: lease, timeout: timeout)
        return try r[tenant]!.get()
    }

    /// Every tenant is tried in one pass under the guard lock; tenants another live run holds
    /// are tried again every 250 ms until `timeout`.
    public func acquireLocks(tenants: [String], holder: LockHolder, lease: TimeInterval, timeout: TimeInterval) async -> [String: Result<
        [Diagnostic], StateError
    >] {
        var out: [String: Result<[Diagnostic], StateError>] = [:]
        let deadline = Date().addingTimeInterval(timeout)
        var remaining = tenants
        while true {
            let round: [String: Result<[Diagnostic], StateError>]
            do {
                round = try Self.io {
                    try AtomicFile.makeDirectory(locksDir)
                    return try FileLock.withLock(guardPath) { try lockRound(remaining, holder: holder, lease: lease) }
                }
            } catch {
                for t in remaining { out[t] = .failure(error) }
                return out
            }
            var busy: [String] = []
            for t in remaining {
                let r = round[t]!
                if case .failure(.locked) = r, Date() < deadline { busy.append(t) } else { out[t] = r }
            }
            if busy.isEmpty { return out }
            remaining = busy
            try? await Task.sleep(nanoseconds: 250_000_000)
        }
    }

    /// One pass of `acquireLocks` (the caller holds the guard lock).
    private func lockRound(_ tenants: [String], holder: LockHolder, lease: TimeInterval) throws -> [String: Result<[Diagnostic], StateError>] {
        var runs = try readRunLocks()
        let myPath = runLockPath(holder)
        var mine = runs.first { $0.path == myPath } ?? RunLock(path: myPath, info: LockInfo(holder: holder, expiresAt: Date()), tenants: [])
        mine.info.expiresAt = Date().addingTimeInterval(lease)
        var holderOf: [String: Int] = [:]
        for (i, r) in runs.enumerated() where r.path != myPath { for t in r.tenants { holderOf[t] = i } }
        var changed = Set<Int>()
        var out: [String: Result<[Diagnostic], StateError>] = [:]
        for t in tenants {
            if let i = holderOf[t] {
                guard let why = takeoverReason(runs[i].info, by: holder) else {
                    out[t] = .failure(.locked(tenant: t, runs[i].info))
                    continue
                }
                runs[i].tenants.remove(t)
                changed.insert(i)
                out[t] = .success([
                    .warning(
                        "took over the lock of tenant '\(t)' held by \(runs[i].info.holder.summary): \(why)",
                        detail: "that run did not finish; this apply resolves whatever it left pending")
                ])
            } else {
                out[t] = .success([])
            }
            mine.tenants.insert(t)
        }
        for i in changed { try write(runs[i]) }
        try write(mine)
        return out
    }

    public func renewLock(tenant: String, holder: LockHolder, lease: TimeInterval) async throws {
        try Self.io {
            try FileLock.withLock(guardPath) {
                guard var mine = try readRunLocks().first(where: { $0.path == runLockPath(holder) }), mine.tenants.contains(tenant) else {
                    throw StateError.conflict("the lock of tenant '\(tenant)' was taken by another run")
                }
                mine.info.expiresAt = Date().addingTimeInterval(lease)
                try write(mine)
            }
        }
    }

    public func renewLocks(tenants: [String], holder: LockHolder, lease: TimeInterval) async {
        _ = try? FileLock.withLock(guardPath) {
            guard var mine = try readRunLocks().first(where: { $0.path == runLockPath(holder) }) else { return }
            mine.info.expiresAt = Date().addingTimeInterval(lease)
            try write(mine)
        }
    }

    public func releaseLock(tenant: String, holder: LockHolder) async throws {
        await releaseLocks(tenants: [tenant], holder: holder)
    }

    public func releaseLocks(tenants: [String], holder: LockHolder) async {
        _ = try? FileLock.withLock(guardPath) {
            guard var mine = try readRunLocks().first(where: { $0.path == runLockPath(holder) }) else { return }
            mine.tenants.subtract(tenants)
            try write(mine)
        }
    }

    public func lockInfo(tenant: String) async throws -> LockInfo? {
        try readRunLocks().first { $0.tenants.contains(tenant) }?.info
    }

    public func breakLock(tenant: String) async throws {
        try Self.io {
            try AtomicFile.makeDirectory(locksDir)
            try FileLock.withLock(guardPath) {
                for var run in try readRunLocks() where run.tenants.contains(tenant) {
                    run.tenants.remove(tenant)
                    try write(run)
                }
            }
        }
    }
}
