import Foundation
import LandlordBasics
import LandlordCore
import ProviderAPI
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// State on the local disk, under `.landlord/` beside platform.yaml:
///
///     .landlord/state/platform.json          platform allocations
///     .landlord/state/tenants/ID.json        one document per tenant (+ ID.json.backup)
///     .landlord/state/journal/PID-ID.wal     an apply's write-ahead journal (see JournalFile)
///     .landlord/locks/run-ID.json            the tenant locks one run holds (see LocalLocks)
///
/// Writes are atomic (temp, fsync, rename, directory fsync). Before the first write of a run,
/// the previous document is kept as `ID.json.backup`, the last good copy.
public final class LocalStateStore: StateStore, Sendable {
    public let root: String
    let tenantsDir: String
    let locksDir: String
    let platformPath: String
    /// fsync on every write (off only in benchmarks that measure the engine, not the disk).
    let durable: Bool
    /// Tenants whose document this process has written (and so backed up) already.
    private let backups = Mutex(Set<String>())

    /// State under `directory` (normally FLEET/.landlord).
    /// Seals sensitive values in documents and the journal; nil keeps them in clear.
    public let cipher: StateCipher?

    /// State under `directory` (normally FLEET/.landlord); `cipher` seals sensitive values.
    public init(directory: String, durable: Bool = true, cipher: StateCipher? = nil) {
        self.cipher = cipher
        root = directory
        tenantsDir = directory + "/state/tenants"
        locksDir = directory + "/locks"
        platformPath = directory + "/state/platform.json"
        self.durable = durable
    }

    public var location: String { root + "/state" }

    func tenantPath(_ id: String) -> String { tenantsDir + "/" + id + ".json" }

    public func listTenants() async throws -> [String] {
        try Self.io { try recoverJournals() }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: tenantsDir) else { return [] }
        return names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.map { String($0.dropLast(5)) }.sorted()
    }

    public func loadTenant(_ id: String) async throws -> TenantState? {
        try Self.io { try recoverJournals() }
        return try loadTenantSync(id)
    }

    func loadTenantSync(_ id: String) throws -> TenantState? {
        try readDocument(id) { bytes, what in try TenantState.decode(bytes, cipher: cipher, what: what) }
    }

    /// A tenant's document read by `decode` (nil: it has none). A key problem is thrown as it
    /// is (the document is fine, the key is not); any other failure means a damaged document.
    func readDocument<T>(_ id: String, _ decode: ([UInt8], String) throws -> T) throws -> T? {
        let path = tenantPath(id)
        guard let bytes = AtomicFile.read(path) else { return nil }
        do {
            return try decode(bytes, "state of tenant '\(id)' (\(path))")
        } catch let e as StateError {
            throw e
        } catch {
            let backup = path + ".backup"
            throw StateError.damaged(file: path, backup: FileManager.default.fileExists(atPath: backup) ? backup : nil, message: error.text)
        }
    }

    /// Reads many tenants' documents with `decode`, a share per core; the first failure is thrown.
    func readDocuments<T: Sendable>(_ ids: [String], _ decode: @escaping @Sendable ([UInt8], String) throws -> T) throws -> [String: T] {
        try Self.io { try recoverJournals() }
        let results = ParallelMap.map(ids) { id -> Result<T?, StateError> in
            do { return .success(try self.readDocument(id, decode)) } catch let e as StateError { return .failure(e) } catch {
                return .failure(.io("\(error)"))
            }
        }
        var out: [String: T] = [:]
        out.reserveCapacity(ids.count)
        for (id, r) in zip(ids, results) {
            switch r {
            case .success(let s): if let s { out[id] = s }
            case .failure(let e): throw e
            }
        }
        return out
    }

    public func loadTenants(_ ids: [String]) async throws -> [String: TenantState] {
        try readDocuments(ids) { [cipher] bytes, what in try TenantState.decode(bytes, cipher: cipher, what: what) }
    }

    /// The recorded resources of many tenants' documents, each resource's one map built
    /// straight from the bytes (`TenantState.recordedResources`).
    public func loadRecordedResources(_ ids: [String]) async throws -> [String: [RecordedResource]] {
        try readDocuments(ids) { [cipher] bytes, what in try TenantState.recordedResources(bytes, cipher: cipher, what: what) }
    }

    /// The whole documents and the resources-only ones read at the same time.
    public func loadForRefresh(whole: [String], resources: [String]) async throws -> RefreshDocuments {
        async let states = loadTenants(whole)
        let recorded = try await loadRecordedResources(resources)
        return RefreshDocuments(states: try await states, recorded: recorded)
    }

    /// Each document's (device, inode, size, mtime, ctime), after replaying the journals of
    /// dead runs (which rewrites their documents). Every write renames a new file over the
    /// document, so its inode and ctime change whatever the bytes are.
    public func stamps(_ ids: [String]) async throws -> [String: StateStamp]? {
        try Self.io { try recoverJournals() }
        let found = ParallelMap.map(ids) { id -> StateStamp? in
            var st = stat()
            guard stat(self.tenantPath(id), &st) == 0 else { return nil }
            let mtime = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
            let ctime = Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec)
            return StateStamp(token: "\(st.st_dev):\(st.st_ino):\(st.st_size):\(mtime):\(ctime)", changedAt: max(mtime, ctime))
        }
        var out: [String: StateStamp] = [:]
        out.reserveCapacity(ids.count)
        for (id, stamp) in zip(ids, found) { if let stamp { out[id] = stamp } }
        return out
    }

    /// Reads each named document (after replaying dead runs' journals) and checks the key apply
    /// recorded at its head against the plan key asked for, over the document's own bytes;
    /// nothing is parsed. A document without one, or of other bytes, is not in the answer.
    public var readsAppliedKeys: Bool { true }

    public func documentsApplied(from keys: [String: String]) async throws -> Set<String> {
        try Self.io { try recoverJournals() }
        let ids = Array(keys.keys)
        let holds = ParallelMap.map(ids) { id -> Bool in
            guard let key = keys[id], let bytes = AtomicFile.read(self.tenantPath(id)) else { return false }
            return AppliedKey.holds(bytes, tenantKey: key)
        }
        var out = Set<String>(minimumCapacity: ids.count)
        for (id, hold) in zip(ids, holds) where hold { out.insert(id) }
        return out
    }

    public func saveTenant(_ state: TenantState) async throws {
        try await BlockingIO.run { try Self.io { try self.saveTenantSync(state) } }
    }

    func saveTenantSync(_ state: TenantState) throws {
        try AtomicFile.makeDirectory(tenantsDir)
        let path = tenantPath(state.tenant)
        if firstWrite(state.tenant), let previous = AtomicFile.read(path), (try? TenantState.decode(previous, cipher: cipher, what: path)) != nil {
            try AtomicFile.write(previous, to: path + ".backup", durable: durable)
        }
        try AtomicFile.write(state.encoded(cipher: cipher), to: path, durable: durable)
    }

    /// True the first time a tenant's document is written by this process (its previous
    /// version is then kept as the backup).
    func firstWrite(_ id: String) -> Bool { backups.withLock { $0.insert(id).inserted } }

    public func deleteTenant(_ id: String) async throws {
        let path = tenantPath(id)
        if let previous = AtomicFile.read(path) { try Self.io { try AtomicFile.write(previous, to: path + ".backup", durable: durable) } }
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
        try Self.io {
            try AtomicFile.makeDirectory(locksDir)
            try AtomicFile.makeDirectory(root + "/state")
        }
        let lock = try Self.io { try FileLock(path: locksDir + "/platform.lock") }
        defer { lock.unlock() }
        var state = try loadPlatformSync()
        let before = state
        let result = try body(&state)
        if state != before {
            try Self.io {
                if let previous = AtomicFile.read(platformPath) { try AtomicFile.write(previous, to: platformPath + ".backup", durable: durable) }
                state.serial += 1
                try AtomicFile.write(state.encoded(), to: platformPath, durable: durable)
            }
        }
        return result
    }

    /// Runs file work, reporting a file that cannot be read or written as `StateError.io`
    /// (what every store throws), with the file's own message.
    static func io<T>(_ body: () throws -> T) throws(StateError) -> T {
        do { return try body() } catch let e as StateError { throw e } catch { throw .io(error.text) }
    }
}

extension Error {
    /// The error's own words, for messages.
    var text: String { String(describing: self) }
}
