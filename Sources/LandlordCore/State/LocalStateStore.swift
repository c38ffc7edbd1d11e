import Foundation
import ProviderAPI
#if canImport(Glibc)
import Glibc
#endif

/// State on the local disk, under `.landlord/` beside platform.yaml:
///
///     .landlord/state/platform.json          platform allocations
///     .landlord/state/tenants/ID.json        one document per tenant (+ ID.json.backup)
///     .landlord/state/journal/PID-ID.wal     an apply's write-ahead journal (see StateJournal)
///     .landlord/locks/ID.lock                tenant lock: holder and lease expiry
///
/// Writes are atomic (temp, fsync, rename, directory fsync). Before the first write of a run,
/// the previous document is kept as `ID.json.backup`, the last good copy.
public final class LocalStateStore: StateStore, @unchecked Sendable {
    public let root: String
    let tenantsDir: String
    let locksDir: String
    let platformPath: String
    /// fsync on every write (off only in benchmarks that measure the engine, not the disk).
    let durable: Bool
    private let backedUp = NSLock()
    private var backups = Set<String>()

    /// State under `directory` (normally FLEET/.landlord).
    public init(directory: String, durable: Bool = true) {
        root = directory
        tenantsDir = directory + "/state/tenants"
        locksDir = directory + "/locks"
        platformPath = directory + "/state/platform.json"
        self.durable = durable
    }

    public var location: String { root + "/state" }

    func tenantPath(_ id: String) -> String { tenantsDir + "/" + id + ".json" }

    public func listTenants() async throws -> [String] {
        try recoverJournals()
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: tenantsDir) else { return [] }
        return names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.map { String($0.dropLast(5)) }.sorted()
    }

    public func loadTenant(_ id: String) async throws -> TenantState? {
        try recoverJournals()
        return try loadTenantSync(id)
    }

    func loadTenantSync(_ id: String) throws -> TenantState? {
        let path = tenantPath(id)
        guard let bytes = AtomicFile.read(path) else { return nil }
        do {
            return try TenantState.decode(bytes)
        } catch {
            let backup = path + ".backup"
            throw StateError.damaged(file: path, backup: FileManager.default.fileExists(atPath: backup) ? backup : nil, message: error.text)
        }
    }

    public func loadTenants(_ ids: [String]) async throws -> [String: TenantState] {
        try recoverJournals()
        let results = ParallelMap.map(ids) { id -> Result<TenantState?, StateError> in
            do { return .success(try self.loadTenantSync(id)) } catch let e as StateError { return .failure(e) } catch { return .failure(.io("\(error)")) }
        }
        var out: [String: TenantState] = [:]
        out.reserveCapacity(ids.count)
        for (id, r) in zip(ids, results) {
            switch r {
            case .success(let s): if let s { out[id] = s }
            case .failure(let e): throw e
            }
        }
        return out
    }

    public func saveTenant(_ state: TenantState) async throws {
        try await BlockingIO.run { try self.saveTenantSync(state) }
    }

    func saveTenantSync(_ state: TenantState) throws {
        try AtomicFile.makeDirectory(tenantsDir)
        let path = tenantPath(state.tenant)
        if firstWrite(state.tenant), let previous = AtomicFile.read(path), (try? TenantState.decode(previous)) != nil {
            try AtomicFile.write(previous, to: path + ".backup", durable: durable)
        }
        try AtomicFile.write(state.encoded(), to: path, durable: durable)
    }

    /// True the first time a tenant's document is written by this process (its previous
    /// version is then kept as the backup).
    func firstWrite(_ id: String) -> Bool { backedUp.withLock { backups.insert(id).inserted } }

    public func deleteTenant(_ id: String) async throws {
        let path = tenantPath(id)
        if let previous = AtomicFile.read(path) { try AtomicFile.write(previous, to: path + ".backup", durable: durable) }
        unlink(path)
    }

    public func loadPlatform() async throws -> PlatformState { try loadPlatformSync() }

    func loadPlatformSync() throws -> PlatformState {
        guard let bytes = AtomicFile.read(platformPath) else { return PlatformState() }
        do { return try PlatformState.decode(bytes) } catch {
            let backup = platformPath + ".backup"
            throw StateError.damaged(file: platformPath, backup: FileManager.default.fileExists(atPath: backup) ? backup : nil, message: error.text)
        }
    }

    public func updatePlatform<T: Sendable>(_ body: @Sendable (inout PlatformState) throws -> T) async throws -> T {
        try AtomicFile.makeDirectory(locksDir)
        try AtomicFile.makeDirectory(root + "/state")
        return try FileLock.withLock(locksDir + "/platform.lock") {
            var state = try loadPlatformSync()
            let before = state
            let result = try body(&state)
            if state != before {
                if let previous = AtomicFile.read(platformPath) { try AtomicFile.write(previous, to: platformPath + ".backup", durable: durable) }
                state.serial += 1
                try AtomicFile.write(state.encoded(), to: platformPath, durable: durable)
            }
            return result
        }
    }

    // MARK: Locks

    func lockPath(_ tenant: String) -> String { locksDir + "/" + tenant + ".lock" }

    /// Lock files are written atomically but not fsync'd: after a power loss a lost lock only
    /// means the tenant is unlocked, which is what a dead holder's lock becomes anyway.
    public func acquireLock(tenant: String, holder: LockHolder, lease: TimeInterval, timeout: TimeInterval) async throws -> [Diagnostic] {
        let r = await acquireLocks(tenants: [tenant], holder: holder, lease: lease, timeout: timeout)
        return try r[tenant]!.get()
    }

    /// Every tenant is tried under one hold of the guard lock, the lock files written in
    /// parallel; tenants held by others are tried again every 250 ms until `timeout`.
    public func acquireLocks(tenants: [String], holder: LockHolder, lease: TimeInterval, timeout: TimeInterval) async -> [String: Result<[Diagnostic], StateError>] {
        var out: [String: Result<[Diagnostic], StateError>] = [:]
        do { try AtomicFile.makeDirectory(locksDir) } catch {
            for t in tenants { out[t] = .failure(error as? StateError ?? .io(error.text)) }
            return out
        }
        let deadline = Date().addingTimeInterval(timeout)
        var remaining = tenants
        while true {
            let round: [Result<[Diagnostic], StateError>]
            do {
                round = try FileLock.withLock(locksDir + "/.guard") {
                    let mine = JSON.serialize(LockInfo(holder: holder, expiresAt: Date().addingTimeInterval(lease)).json)
                    return ParallelMap.map(remaining) { self.tryLock($0, holder: holder, bytes: mine) }
                }
            } catch {
                for t in remaining { out[t] = .failure(error as? StateError ?? .io(error.text)) }
                return out
            }
            var busy: [String] = []
            for (t, r) in zip(remaining, round) {
                if case .failure(.locked) = r, Date() < deadline { busy.append(t) } else { out[t] = r }
            }
            if busy.isEmpty { return out }
            remaining = busy
            try? await Task.sleep(nanoseconds: 250_000_000)
        }
    }

    /// One tenant's lock, taken when free, already ours, or left by a dead holder (the caller
    /// holds the guard lock).
    private func tryLock(_ tenant: String, holder: LockHolder, bytes mine: [UInt8]) -> Result<[Diagnostic], StateError> {
        let path = lockPath(tenant)
        var warnings: [Diagnostic] = []
        // An unreadable lock file (a crash while writing it) is taken over.
        if let existing = AtomicFile.read(path), let info = LockInfo(json: existing) {
            if info.holder.id == holder.id { return .success([]) }
            var why: String?
            if info.expiresAt < Date() {
                why = "its lease expired at \(StateDates.string(info.expiresAt))"
            } else if info.holder.host == holder.host, info.holder.pid > 0, kill(info.holder.pid, 0) != 0, errno == ESRCH {
                why = "process \(info.holder.pid) on this host is no longer running"
            }
            guard let why else { return .failure(.locked(tenant: tenant, info)) }
            warnings.append(.warning("took over the lock of tenant '\(tenant)' held by \(info.holder.summary): \(why)",
                                     detail: "that run did not finish; this apply resolves whatever it left pending"))
        }
        do { try AtomicFile.write(mine, to: path, durable: false) } catch { return .failure(error as? StateError ?? .io(error.text)) }
        return .success(warnings)
    }

    public func renewLock(tenant: String, holder: LockHolder, lease: TimeInterval) async throws {
        try FileLock.withLock(locksDir + "/.guard") {
            let path = lockPath(tenant)
            guard let bytes = AtomicFile.read(path), let info = LockInfo(json: bytes), info.holder.id == holder.id else {
                throw StateError.conflict("the lock of tenant '\(tenant)' was taken by another run")
            }
            try AtomicFile.write(JSON.serialize(LockInfo(holder: holder, expiresAt: Date().addingTimeInterval(lease)).json), to: path, durable: false)
        }
    }

    public func renewLocks(tenants: [String], holder: LockHolder, lease: TimeInterval) async {
        _ = try? FileLock.withLock(locksDir + "/.guard") {
            let mine = JSON.serialize(LockInfo(holder: holder, expiresAt: Date().addingTimeInterval(lease)).json)
            _ = ParallelMap.map(tenants) { t in
                let path = self.lockPath(t)
                guard let bytes = AtomicFile.read(path), let info = LockInfo(json: bytes), info.holder.id == holder.id else { return }
                try? AtomicFile.write(mine, to: path, durable: false)
            }
        }
    }

    public func releaseLock(tenant: String, holder: LockHolder) async throws {
        await releaseLocks(tenants: [tenant], holder: holder)
    }

    public func releaseLocks(tenants: [String], holder: LockHolder) async {
        _ = try? FileLock.withLock(locksDir + "/.guard") {
            _ = ParallelMap.map(tenants) { t in
                let path = self.lockPath(t)
                if let bytes = AtomicFile.read(path), let info = LockInfo(json: bytes), info.holder.id != holder.id { return }
                unlink(path)
            }
        }
    }

    public func lockInfo(tenant: String) async throws -> LockInfo? {
        AtomicFile.read(lockPath(tenant)).flatMap { LockInfo(json: $0) }
    }

    public func breakLock(tenant: String) async throws {
        try AtomicFile.makeDirectory(locksDir)
        try FileLock.withLock(locksDir + "/.guard") { _ = unlink(lockPath(tenant)) }
    }
}

extension Error {
    /// The error's own words, for messages.
    var text: String { String(describing: self) }
}
