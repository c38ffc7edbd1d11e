import Foundation
import ProviderAPI

/// What a run holding tenant locks is doing: `apply`, `destroy`, ... A named value rather
/// than an enum because lock documents written by other (newer) versions may name others.
public struct RunOperation: RawRepresentable, Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }
    public var description: String { rawValue }

    /// `landlord apply`.
    public static let apply: RunOperation = "apply"
    /// `landlord destroy`.
    public static let destroy: RunOperation = "destroy"
}

/// Who holds (or asks for) a tenant lock.
public struct LockHolder: Sendable, Hashable {
    /// Unique per process run.
    public var id: String
    public var host: String
    public var pid: Int32
    public var startedAt: Date
    /// `apply`, `destroy`, ...
    public var operation: RunOperation

    public init(operation: RunOperation) {
        id = UUID().uuidString.lowercased()
        host = ProcessInfo.processInfo.hostName
        pid = ProcessInfo.processInfo.processIdentifier
        startedAt = Date()
        self.operation = operation
    }

    public init(id: String, host: String, pid: Int32, startedAt: Date, operation: RunOperation) {
        self.id = id
        self.host = host
        self.pid = pid
        self.startedAt = startedAt
        self.operation = operation
    }

    /// `apply by ci-runner-3 (pid 4242) since 2026-11-22T18:00:00Z`.
    public var summary: String { "\(operation) by \(host) (pid \(pid)) since \(StateDates.string(startedAt))" }
}

/// A lock as recorded: its holder and when its lease ends.
public struct LockInfo: Sendable, Hashable {
    public var holder: LockHolder
    public var expiresAt: Date

    /// The version written; locks written before versions carried none are version 1.
    public static let formatVersion = 1

    /// The lock as a JSON document (`encoded()`'s bytes, parsed).
    public var json: Value {
        .map([
            "format_version": .int(Self.formatVersion),
            "holder": .map([
                "id": .string(holder.id), "host": .string(holder.host), "pid": .int(Int(holder.pid)),
                "startedAt": .string(StateDates.string(holder.startedAt)), "operation": .string(holder.operation.rawValue),
            ]),
            "expiresAt": .string(StateDates.string(expiresAt)),
        ])
    }

    /// A lock held by `holder` until `expiresAt`.
    public init(holder: LockHolder, expiresAt: Date) {
        self.holder = holder
        self.expiresAt = expiresAt
    }

    /// The lock as stored (JSON), for backends that keep locks as documents.
    public func encoded() -> [UInt8] { JSON.serialize(json) }

    /// Reads a lock written by `encoded()`. Nil when the bytes are not a lock document (torn
    /// by a crash while written, or damaged): such a lock holds nothing. A lock of a newer
    /// landlord is an error naming `what` (it may be live, and is not this landlord's to
    /// judge).
    public static func decode(_ bytes: [UInt8], what: String) throws(StateError) -> LockInfo? {
        guard let v = try? JSON.parse(bytes) else { return nil }
        return try decode(value: v, what: what)
    }

    /// Reads a lock from an already parsed document (as a run's lock file holds it).
    public static func decode(value v: Value, what: String) throws(StateError) -> LockInfo? {
        guard let f = try? DocumentFields(v) else { return nil }
        do {
            _ = try DocumentVersion.check(f, reads: 1...formatVersion, absent: 1, document: "lock")
        } catch {
            throw .io("\(what): \(error.message)")
        }
        guard let h = try? f.object("holder"), let id = try? h.string("id"), let expires = try? f.date("expiresAt") else { return nil }
        let pid = (try? h.optionalInt("pid")) ?? nil
        let started = (try? h.date("startedAt")) ?? Date(timeIntervalSince1970: 0)
        let operation = (try? h.optionalString("operation")) ?? nil
        let host = (try? h.optionalString("host")) ?? nil
        return LockInfo(
            holder: LockHolder(
                id: id, host: host ?? "?", pid: Int32(clamping: pid ?? 0), startedAt: started, operation: RunOperation(rawValue: operation ?? "?")),
            expiresAt: expires)
    }
}

/// Why a state operation failed; each says what to do next.
public enum StateError: Error, Sendable, CustomStringConvertible {
    /// Another holder has the tenant's lock and its lease is live.
    case locked(tenant: String, LockInfo)
    /// A state document does not parse.
    case damaged(file: String, backup: String?, message: String)
    /// A write lost a compare-and-swap race more times than it retries.
    case conflict(String)
    /// The backend could not be read or written.
    case io(String)

    public var description: String {
        switch self {
        case .locked(let t, let info):
            return "tenant '\(t)' is locked: \(info.holder.summary), lease until \(StateDates.string(info.expiresAt)). "
                + "Wait for it to finish, retry with --lock-timeout, or if that run is dead: landlord unlock --tenant \(t) --force"
        case .damaged(let file, let backup, let message):
            var s = "state file \(file) is damaged: \(message). Nothing was changed."
            if let backup {
                s += " The last good copy is \(backup): inspect both and restore it with `cp \(backup) \(file)` if it is right."
            } else {
                s += " No backup exists; restore it from version control or your backups."
            }
            return s
        case .conflict(let m): return "state changed under this run: \(m). Plan again."
        case .io(let m): return m
        }
    }
}

/// Where state lives. One document per tenant plus one for the platform; tenant locks with
/// leases; platform allocations changed under a short lock or compare-and-swap.
public protocol StateStore: Sendable {
    /// Where, for messages (`.landlord/state`, `s3://bucket/prefix`).
    var location: String { get }
    /// Tenants with a state document.
    func listTenants() async throws -> [String]
    /// One tenant's document, or nil when it has none.
    func loadTenant(_ id: String) async throws -> TenantState?
    /// Many tenants' documents (read in parallel where the backend can).
    func loadTenants(_ ids: [String]) async throws -> [String: TenantState]
    /// Writes a tenant's document atomically (serial already advanced by the caller).
    func saveTenant(_ state: TenantState) async throws
    /// Removes a tenant's document (after its file was deleted and every resource is gone).
    func deleteTenant(_ id: String) async throws
    /// The platform document (a fresh one when none exists).
    func loadPlatform() async throws -> PlatformState
    /// Reads, changes and writes the platform document without losing a concurrent change.
    func updatePlatform<T: Sendable>(_ body: @Sendable (inout PlatformState) throws -> T) async throws -> T
    /// Takes a tenant's lock, waiting up to `timeout` seconds. Returns warnings (a dead holder's
    /// lock taken over).
    func acquireLock(tenant: String, holder: LockHolder, lease: TimeInterval, timeout: TimeInterval) async throws -> [Diagnostic]
    /// Extends a held lease.
    func renewLock(tenant: String, holder: LockHolder, lease: TimeInterval) async throws
    /// Releases a held lock.
    func releaseLock(tenant: String, holder: LockHolder) async throws
    /// The lock on a tenant, if any.
    func lockInfo(tenant: String) async throws -> LockInfo?
    /// Removes a lock whoever holds it.
    func breakLock(tenant: String) async throws
    /// Takes many tenants' locks: per tenant, warnings or the error that refused it.
    func acquireLocks(tenants: [String], holder: LockHolder, lease: TimeInterval, timeout: TimeInterval) async -> [String: Result<
        [Diagnostic], StateError
    >]
    /// Releases many tenants' locks (those `holder` still holds).
    func releaseLocks(tenants: [String], holder: LockHolder) async
    /// Extends the leases of many tenants' locks.
    func renewLocks(tenants: [String], holder: LockHolder, lease: TimeInterval) async
    /// Called when a run's documents are written and its locks released: a backend may publish
    /// what makes later reads cheaper (the S3 backend's snapshot). Never fails the run.
    func publish() async
    /// A stamp of each named tenant's document as it is now, read without reading the
    /// documents (a tenant without one is absent), or nil when the backend has no cheap way to
    /// tell; a plan cache then skips nothing. A document's stamp changes whenever the document
    /// is written with other bytes (see `StateStamp`).
    func stamps(_ ids: [String]) async throws -> [String: StateStamp]?
    /// What a refresh reads: the documents of `whole`, and only the recorded resources of
    /// `resources` (documents read whole before, whose other fields need not be checked again:
    /// `TenantState.recordedResources(_:cipher:what:)`). The default reads all of them whole,
    /// in one `loadTenants` (for S3, one listing and the snapshot).
    func loadForRefresh(whole: [String], resources: [String]) async throws -> RefreshDocuments
    /// The tenants of `keys` (plan keys by tenant) whose document is the one apply wrote when
    /// it found a plan of that key clean (`AppliedKey.holds`): their plan is known to have no
    /// changes without reading the rest. The default finds none (every document is read).
    func documentsApplied(from keys: [String: String]) async throws -> Set<String>
    /// Whether `documentsApplied` can answer (a plan otherwise reads as it always did).
    var readsAppliedKeys: Bool { get }
}

/// What ``StateStore/loadForRefresh(whole:resources:)`` read: whole documents, and the
/// recorded resources alone of the others.
public struct RefreshDocuments: Sendable {
    public var states: [String: TenantState]
    public var recorded: [String: [RecordedResource]]

    public init(states: [String: TenantState], recorded: [String: [RecordedResource]]) {
        self.states = states
        self.recorded = recorded
    }
}

/// What tells a tenant's state document apart from its earlier and later versions without
/// reading it: the local disk's (device, inode, size, mtime, ctime), which the atomic rename of
/// every write changes (the new document is a new file, and its ctime is the time of the
/// rename); S3's ETag from the listing (a digest of the bytes).
public struct StateStamp: Sendable, Hashable {
    /// The backend's token; equal tokens mean the same document.
    public var token: String
    /// When the document last changed, in nanoseconds since 1970, where the backend's token
    /// is made of file times (nil: the token is a digest of the bytes). A token of times can
    /// repeat for two versions written within the file system's clock tick, so a cache trusts
    /// it only when the document had not changed for a while before the cache read it
    /// (git's "racy" rule; `PlanCache.racyWindow`).
    public var changedAt: Int64?

    /// A stamp of `token`, changed at `changedAt` (nil: a digest of the bytes).
    public init(token: String, changedAt: Int64? = nil) {
        self.token = token
        self.changedAt = changedAt
    }
}

/// A store that keeps a write-ahead journal for applies (the local disk's `LocalStateStore`,
/// in LandlordLocalState): each change is one
/// append to a log group-committed across tenants, and each tenant's document is written when
/// the tenant is done. Readers replay the journal of a run that died before they read.
/// Documents a run keeps beside the state that are not a tenant's or the platform's: rollout
/// records, rollback points and held tenants (``RolloutStore``). Keys are relative paths such
/// as `rollouts/current.json`, stored under the state's folder or prefix.
public protocol SideDocumentStore: Sendable {
    /// The document's bytes; nil when it does not exist.
    func readSideDocument(_ key: String) async throws -> [UInt8]?
    /// Writes the document whole (atomically: a reader sees the old bytes or the new).
    func writeSideDocument(_ key: String, _ bytes: [UInt8]) async throws
    /// Creates the document only where none exists (atomically): true when this call created
    /// it, false when one was already there (it is then left as it is).
    func createSideDocument(_ key: String, _ bytes: [UInt8]) async throws -> Bool
    /// Deletes the document; success when it is already gone.
    func deleteSideDocument(_ key: String) async throws
    /// Seals the sensitive values of tenant documents kept as side documents (nil: none).
    var sideCipher: StateCipher? { get }
}

public protocol JournalingStateStore: StateStore {
    /// A new journal for one apply.
    func openJournal() throws -> any StateJournal
    /// Writes `states` as the tenants' documents (each durably, many at once) while the journal
    /// still holds their changes: for tenants done before the rest of the apply.
    func writeDocuments(_ states: [TenantState]) async throws
    /// Writes `states` as the tenants' documents, removes the documents of `deleted`, makes it
    /// all durable and removes the journal.
    func checkpoint(_ journal: any StateJournal, states: [TenantState], deleted: Set<String>) async throws
}

extension StateStore {
    /// Nothing to publish.
    public func publish() async {}

    /// No cheap stamps: nothing is skipped.
    public func stamps(_ ids: [String]) async throws -> [String: StateStamp]? { nil }

    /// No recorded keys are read: nothing is skipped.
    public func documentsApplied(from keys: [String: String]) async throws -> Set<String> { [] }

    /// No recorded keys are read.
    public var readsAppliedKeys: Bool { false }

    /// Every document read whole, in one call; the resources of `resources` taken from theirs.
    public func loadForRefresh(whole: [String], resources: [String]) async throws -> RefreshDocuments {
        let all = try await loadTenants((whole + resources).sorted())
        let ids = resources.filter { all[$0] != nil }
        let recorded = ParallelMap.map(ids) { all[$0]?.recordedResources ?? [] }
        var states = all
        for id in ids { states[id] = nil }
        return RefreshDocuments(states: states, recorded: Dictionary(uniqueKeysWithValues: zip(ids, recorded)))
    }

    /// Takes the locks of many tenants, up to 16 at a time: per tenant, the warnings of
    /// `acquireLock` or the error that refused it. Stores that can do better override it.
    public func acquireLocks(tenants: [String], holder: LockHolder, lease: TimeInterval, timeout: TimeInterval) async -> [String: Result<
        [Diagnostic], StateError
    >] {
        await forEachTenant(tenants) { t in
            do { return .success(try await self.acquireLock(tenant: t, holder: holder, lease: lease, timeout: timeout)) } catch {
                return .failure(error as? StateError ?? .io(error.text))
            }
        }
    }

    /// Releases the locks of many tenants (those `holder` still holds).
    public func releaseLocks(tenants: [String], holder: LockHolder) async {
        _ = await forEachTenant(tenants) { t in try? await self.releaseLock(tenant: t, holder: holder) }
    }

    /// Extends the leases of many tenants' locks.
    public func renewLocks(tenants: [String], holder: LockHolder, lease: TimeInterval) async {
        _ = await forEachTenant(tenants) { t in try? await self.renewLock(tenant: t, holder: holder, lease: lease) }
    }

    private func forEachTenant<R: Sendable>(_ tenants: [String], _ body: @escaping @Sendable (String) async -> R) async -> [String: R] {
        await withTaskGroup(of: Keyed<String, R>.self) { group in
            var out: [String: R] = [:]
            var next = 0
            while next < min(16, tenants.count) {
                let t = tenants[next]
                group.addTask { Keyed(t, await body(t)) }
                next += 1
            }
            while let answer = await group.next() {
                out[answer.key] = answer.value
                if next < tenants.count {
                    let t = tenants[next]
                    group.addTask { Keyed(t, await body(t)) }
                    next += 1
                }
            }
            return out
        }
    }

    public func loadTenants(_ ids: [String]) async throws -> [String: TenantState] {
        var out: [String: TenantState] = [:]
        for id in ids { if let s = try await loadTenant(id) { out[id] = s } }
        return out
    }
}

extension Error {
    /// The error's own words, for messages.
    var text: String { String(describing: self) }
}
