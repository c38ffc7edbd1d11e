import AWSClient
import Foundation
import LandlordCore
import ProviderAPI

/// State in an S3 bucket (`state: {backend: s3, bucket, prefix, region}` in platform.yaml):
///
///     PREFIX/tenants/ID.json        one document per tenant
///     PREFIX/platform.json          platform allocations (listener placement, rule priorities)
///     PREFIX/locks/ID.lock          tenant lock: holder and lease expiry
///     PREFIX/snapshot.bin           a copy of the tenant documents by ETag (``S3Snapshot``)
///
/// Reading many tenants lists the tenant objects (one request per 1,000) and takes each
/// document whose ETag the listing confirms from the snapshot, one GET for the whole fleet;
/// the rest are read one by one (see ``S3Snapshot`` for why this cannot serve a stale tenant).
/// A run that wrote documents publishes a new snapshot when it is done (``publish()``).
///
/// Every write is a compare-and-swap: a document is replaced only with `If-Match` on the ETag
/// this store last read or wrote for it, and created only with `If-None-Match: *`. A write that
/// loses a race reloads the object; when another run wrote it, the write is refused
/// (`StateError.conflict`), never overwritten. Locks are objects created with `If-None-Match: *`;
/// an expired one is taken over with `If-Match` on its ETag, so two takers cannot both win.
/// Platform changes are a compare-and-swap loop on `platform.json`, never a fleet-wide lock.
///
/// The local backend's `.backup` copy is S3 versioning here: with versioning on the bucket,
/// every earlier version of every document is kept and can be restored.
///
/// A lease is judged by the holder's clock (`expiresAt`), so hosts sharing a bucket need
/// roughly synchronised clocks; a remote holder's process cannot be checked, so only an
/// expired lease is taken over.
// @unchecked: the mutable properties, `etags`, `written`, `dirty`, `generation`, `listing`,
// `writes` and `lastBoundaries`, are read and written only under `etagLock`.
public final class S3StateStore: StateStore, @unchecked Sendable {
    /// The bucket holding the state.
    public let bucket: String
    /// The key prefix without a trailing slash ("" for the bucket root).
    public let prefix: String
    /// The client, or why none could be configured (reported at first use, so commands that
    /// never touch state, like `validate`, work without credentials).
    let clientResult: Result<AWSClient, StateError>
    var client: AWSClient { get throws(StateError) { try clientResult.get() } }
    /// Tenant documents read at once by `loadTenants`.
    let readConcurrency: Int
    /// Keys asked for in one ListObjectsV2 page (S3 gives at most 1,000; tests ask for fewer).
    let listingPage: Int
    /// Attempts of a compare-and-swap before giving up with `StateError.conflict`.
    let maxAttempts = 8
    private let etagLock = NSLock()
    /// The ETag last read or written, by key; the condition of the next write of that key.
    private var etags: [String: String] = [:]
    /// The tenant documents this store wrote, as written (for the next snapshot).
    private var written: [String: S3Snapshot.Entry] = [:]
    /// Counts `wrote` calls, so a publish knows whether writes came in while it ran.
    private var generation = 0
    /// The last listing of the tenant objects, when it was answered, and the count of writes
    /// (`put`, `delete`) finished when it was asked for (see `listTenantETags`).
    private var listing: (etags: [String: String], at: ContinuousClock.Instant, writes: Int)?
    /// Writes (`put`, `delete`) this store finished, successful or not.
    private var writes = 0
    /// Where the last listing would be cut into ranges listed side by side (`S3Listing.swift`).
    private var lastBoundaries: [String] = []
    var listingBoundaries: [String] { etagLock.withLock { lastBoundaries } }
    /// How long a listing is reused when this store wrote nothing since it was asked for.
    static let listingReuse: Duration = .seconds(10)
    /// What `wrote` recorded since the last published snapshot, whether anything changed since
    /// then, and the count of writes so far.
    var writtenSinceSnapshot: (entries: [String: S3Snapshot.Entry], dirty: Bool, generation: Int) {
        etagLock.withLock { (written, dirty, generation) }
    }
    /// A snapshot holding `published` is out: those documents are no longer kept here, and the
    /// store is clean unless something was written after write number `generation`.
    func snapshotPublished(_ published: [String: S3Snapshot.Entry], generation seen: Int) {
        etagLock.withLock {
            for (id, e) in published where written[id]?.etag == e.etag { written[id] = nil }
            if generation == seen { dirty = false }
        }
    }
    /// A tenant document was written or deleted since the last snapshot this store published.
    private var dirty = false
    /// Fewest tenants `loadTenants` reads through the listing and the snapshot; fewer are read
    /// one GET each, which is cheaper than a listing of the whole fleet.
    let snapshotThreshold: Int
    /// Runs between reading and writing the platform document (tests provoke lost races here).
    let beforePlatformWrite: (@Sendable () async -> Void)?

    /// Seals sensitive values in tenant documents; nil keeps them in clear.
    public let cipher: StateCipher?

    /// A store in `bucket` under `prefix`, talking to S3 through `client`.
    public convenience init(
        client: AWSClient, bucket: String, prefix: String = "", readConcurrency: Int = 16, cipher: StateCipher? = nil,
        beforePlatformWrite: (@Sendable () async -> Void)? = nil, snapshotThreshold: Int = 32, listingPage: Int = 1000
    ) {
        self.init(
            clientResult: .success(client), bucket: bucket, prefix: prefix, readConcurrency: readConcurrency, cipher: cipher,
            beforePlatformWrite: beforePlatformWrite, snapshotThreshold: snapshotThreshold, listingPage: listingPage)
    }

    init(
        clientResult: Result<AWSClient, StateError>, bucket: String, prefix: String, readConcurrency: Int = 16, cipher: StateCipher? = nil,
        beforePlatformWrite: (@Sendable () async -> Void)? = nil, snapshotThreshold: Int = 32, listingPage: Int = 1000
    ) {
        self.listingPage = min(1000, max(1, listingPage))
        self.snapshotThreshold = max(1, snapshotThreshold)
        self.cipher = cipher
        self.clientResult = clientResult
        self.bucket = bucket
        var p = prefix
        while p.hasSuffix("/") { p.removeLast() }
        while p.hasPrefix("/") { p.removeFirst() }
        self.prefix = p
        self.readConcurrency = max(1, readConcurrency)
        self.beforePlatformWrite = beforePlatformWrite
    }

    /// The store platform.yaml's `state:` describes. The region is `state.region`, else
    /// `fallbackRegion` (the aws provider's), else the environment's; credentials and endpoint
    /// overrides (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`) come from the environment. Missing
    /// credentials or region are reported by the first state operation.
    public convenience init(config: StateBackendConfig, fallbackRegion: String? = nil, environment: [String: String], cipher: StateCipher? = nil)
        throws
    {
        guard let bucket = config.bucket, !bucket.isEmpty else {
            throw StateError.io("the s3 state backend needs a bucket: add `bucket: NAME` under `state:` in platform.yaml")
        }
        let client: Result<AWSClient, StateError>
        do {
            client = .success(
                AWSClient(configuration: try AWSConfiguration.resolve(region: config.region ?? fallbackRegion, environment: environment)))
        } catch {
            let why = (error as? AWSError)?.message ?? "\(error)"
            client = .failure(.io("cannot reach the s3 state backend (bucket \(bucket)): \(why)"))
        }
        self.init(clientResult: client, bucket: bucket, prefix: config.prefix ?? "", cipher: cipher)
    }

    public var location: String { "s3://\(bucket)" + (prefix.isEmpty ? "" : "/\(prefix)") }

    // MARK: Keys

    var base: String { prefix.isEmpty ? "" : prefix + "/" }
    var tenantsPrefix: String { base + "tenants/" }
    func tenantKey(_ id: String) -> String { tenantsPrefix + id + ".json" }
    var platformKey: String { base + "platform.json" }
    func lockKey(_ tenant: String) -> String { base + "locks/" + tenant + ".lock" }
    var snapshotKey: String { base + "snapshot.bin" }
    func uri(_ key: String) -> String { "s3://\(bucket)/\(key)" }

    func etag(_ key: String) -> String? { etagLock.withLock { etags[key] } }
    func remember(_ key: String, _ etag: String?) { etagLock.withLock { etags[key] = etag } }

    /// Records a tenant document this store wrote (nil: deleted), for the next snapshot.
    func wrote(_ tenant: String, _ etag: String?, _ body: Data?) {
        etagLock.withLock {
            written[tenant] = etag.flatMap { e in body.map { S3Snapshot.Entry(etag: e, body: $0) } }
            dirty = true
            generation += 1
        }
    }

    // MARK: Tenants

    public func listTenants() async throws -> [String] {
        try await listTenantETags().keys.sorted()
    }

    /// Each document's ETag from one listing of the tenant objects (S3 computes it from the
    /// bytes, so it changes whenever they do); a tenant whose listing gave none is absent and
    /// so never skipped.
    public func stamps(_ ids: [String]) async throws -> [String: StateStamp]? {
        let listed = try await listTenantETags()
        var out: [String: StateStamp] = [:]
        for id in ids { if let e = listed[id], !e.isEmpty { out[id] = StateStamp(token: e) } }
        return out
    }

    /// Every tenant with a document, with the document's ETag ("" when the listing gave none).
    ///
    /// A plan asks three times in a row (the tenants, their stamps, the documents), and a
    /// listing is one request per 1,000 tenants, so the last one is reused for
    /// `listingReuse` after its answer when this store has finished no write since it was asked
    /// for: reading with it is reading as of that listing, which any listing is (others may
    /// write right after it). Never after a write of this store: a lock taken, then the tenants
    /// re-read under it, always lists again; and a listing asked for before a write finished
    /// is not kept.
    func listTenantETags() async throws -> [String: String] {
        let (last, writesBefore) = etagLock.withLock { (listing, writes) }
        if let last, last.writes == writesBefore, ContinuousClock.now - last.at < Self.listingReuse { return last.etags }
        let objects = try await listTenantObjects()
        var out: [String: String] = [:]
        for o in objects {
            let name = o.key.dropFirst(tenantsPrefix.count)
            guard name.hasSuffix(".json"), !name.contains("/") else { continue }
            out[String(name.dropLast(5))] = o.etag ?? ""
        }
        let boundaries = Self.boundaries(objects.map(\.key), page: listingPage)
        etagLock.withLock {
            lastBoundaries = boundaries
            if writes == writesBefore { listing = (out, ContinuousClock.now, writesBefore) }
        }
        return out
    }

    /// A write finished (or failed): the next listing is asked for again.
    func forgetListing() {
        etagLock.withLock {
            writes += 1
            listing = nil
        }
    }

    public func loadTenant(_ id: String) async throws -> TenantState? {
        try await loadDocument(id) { body, key in try self.decodeTenant(body, key: key) }
    }

    /// One tenant's document read with `decode` (nil: it has none).
    func loadDocument<T>(_ id: String, _ decode: (Data, String) throws -> T) async throws -> T? {
        let key = tenantKey(id)
        guard let object = try await get(key) else {
            remember(key, nil)
            return nil
        }
        let value = try decode(object.body, key)
        remember(key, object.etag)  // only a good document may be replaced
        return value
    }

    /// Reads many tenants. From `snapshotThreshold` tenants on, the tenant objects are listed
    /// first: a tenant the listing does not hold has no document (no GET), and one whose ETag
    /// the snapshot holds too is taken from the snapshot (one GET for them all) when the
    /// tenants asked for are at least a quarter of those listed (fewer are cheaper to GET than
    /// the whole snapshot). The others are read one GET each, `readConcurrency` at a time.
    public func loadTenants(_ ids: [String]) async throws -> [String: TenantState] {
        try await loadDocuments(ids) { _, body, key in try self.decodeTenant(body, key: key) }
    }

    /// What a refresh reads, in one listing and the snapshot: the documents of `whole`, and the
    /// recorded resources of `resources`, each resource's one map built straight from the
    /// bytes (`TenantState.recordedResources`).
    public func loadForRefresh(whole: [String], resources: [String]) async throws -> RefreshDocuments {
        let only = Set(resources)
        let read = try await loadDocuments(whole + resources) { id, body, key -> RefreshRead in
            guard only.contains(id) else { return .whole(try self.decodeTenant(body, key: key)) }
            return .resources(try self.decoded(key) { try TenantState.recordedResources(Array(body), cipher: self.cipher, what: $0) })
        }
        var states: [String: TenantState] = [:]
        var recorded: [String: [RecordedResource]] = [:]
        for (id, r) in read {
            switch r {
            case .whole(let s): states[id] = s
            case .resources(let rs): recorded[id] = rs
            }
        }
        return RefreshDocuments(states: states, recorded: recorded)
    }

    /// A document as `loadForRefresh` read it.
    enum RefreshRead: Sendable {
        case whole(TenantState)
        case resources([RecordedResource])
    }

    /// Reads many tenants' documents with `decode` (given the tenant, the bytes and the object's
    /// key), as `loadTenants` describes. Documents taken from the snapshot are decoded a share
    /// per core.
    func loadDocuments<T: Sendable>(_ ids: [String], _ decode: @escaping @Sendable (String, Data, String) throws -> T) async throws
        -> [String: T]
    {
        guard ids.count >= snapshotThreshold else { return try await getDocuments(ids, decode) }
        let listed = try await listTenantETags()
        var out: [String: T] = [:]
        var rest: [String] = []
        for id in ids where listed[id] == nil { remember(tenantKey(id), nil) }
        let present = ids.filter { listed[$0] != nil }
        if present.count >= snapshotThreshold && present.count * 4 >= listed.count, let snapshot = await readSnapshot() {
            // Only bytes the listing confirms are the object's current ones; a document that
            // does not decode from the snapshot is read (and reported) from its object.
            let decoded = ParallelMap.map(present) { id -> Keyed<String, T>? in
                guard let e = snapshot.entries[id], S3Snapshot.sameETag(e.etag, listed[id]), let value = try? decode(id, e.body, self.tenantKey(id))
                else { return nil }
                return Keyed(e.etag, value)
            }
            for (id, d) in zip(present, decoded) {
                if let d {
                    out[id] = d.value
                    remember(tenantKey(id), d.key)
                } else {
                    rest.append(id)
                }
            }
        } else {
            rest = present
        }
        out.merge(try await getDocuments(rest, decode)) { a, _ in a }
        return out
    }

    /// Reads tenants one GET each, `readConcurrency` at a time.
    func getDocuments<T: Sendable>(_ ids: [String], _ decode: @escaping @Sendable (String, Data, String) throws -> T) async throws -> [String: T] {
        var out: [String: T] = [:]
        out.reserveCapacity(ids.count)
        try await withThrowingTaskGroup(of: Keyed<String, T?>.self) { group in
            var next = ids.makeIterator()
            func start(_ id: String) { group.addTask { Keyed(id, try await self.loadDocument(id) { try decode(id, $0, $1) }) } }
            for _ in 0..<readConcurrency {
                guard let id = next.next() else { break }
                start(id)
            }
            while let answer = try await group.next() {
                if let value = answer.value { out[answer.key] = value }
                if let id = next.next() { start(id) }
            }
        }
        return out
    }

    /// The snapshot, or nil when there is none or it cannot be read or decoded (the tenants
    /// are then read one by one: it is only a cache).
    func readSnapshot() async -> S3Snapshot? {
        guard let object = try? await get(snapshotKey) else { return nil }
        return S3Snapshot.decode(object.body)
    }

    public func saveTenant(_ state: TenantState) async throws {
        let key = tenantKey(state.tenant)
        let body = Data(state.encoded(cipher: cipher))
        var condition: S3WriteCondition = etag(key).map { .ifMatch($0) } ?? .ifNoneMatch
        for _ in 0..<maxAttempts {
            switch try await put(key, body, condition) {
            case .written(let etag):
                remember(key, etag)
                wrote(state.tenant, etag, body)
                return
            case .lostRace:
                // Someone else wrote (or deleted) this document since we last saw it.
                guard let current = try await get(key) else {
                    if case .ifMatch = condition {
                        throw StateError.conflict(
                            "the state of tenant '\(state.tenant)' at \(uri(key)) was deleted by another run; nothing was overwritten")
                    }
                    condition = .ifNoneMatch
                    continue
                }
                let stored = try decodeTenant(current.body, key: key)
                if stored.lineage != state.lineage || stored.serial >= state.serial {
                    throw StateError.conflict(
                        "another run wrote the state of tenant '\(state.tenant)' at \(uri(key)) "
                            + "(now serial \(stored.serial), lineage \(stored.lineage); "
                            + "this run has serial \(state.serial)); it was not overwritten. Check `landlord status` and who else applies this tenant"
                    )
                }
                guard let etag = current.etag else {
                    throw StateError.io("S3 returned no ETag for \(uri(key)); compare-and-swap needs one. Check the endpoint is S3-compatible")
                }
                condition = .ifMatch(etag)
            }
        }
        throw StateError.conflict("the state of tenant '\(state.tenant)' at \(uri(key)) kept changing under this run (\(maxAttempts) attempts)")
    }

    public func deleteTenant(_ id: String) async throws {
        let key = tenantKey(id)
        try await delete(key, ifMatch: etag(key), what: "the state of tenant '\(id)'")
        remember(key, nil)
        wrote(id, nil, nil)
    }

    func decodeTenant(_ body: Data, key: String) throws -> TenantState {
        try decoded(key) { try TenantState.decode(Array(body), cipher: cipher, what: $0) }
    }

    /// What `decode` reads from the object at `key` (given what to call it in messages). A key
    /// problem is thrown as it is (the document is fine, the key is not); any other failure
    /// means a damaged document.
    func decoded<T>(_ key: String, _ decode: (String) throws -> T) throws -> T {
        do {
            return try decode("s3://\(bucket)/\(key)")
        } catch let e as StateError {
            throw e
        } catch {
            throw damaged(key, "\(error)")
        }
    }

    // MARK: Platform

    public func loadPlatform() async throws -> PlatformState {
        try await readPlatform().state
    }

    /// The platform document as read, with the ETag a conditional write of it needs (nil: none yet).
    struct PlatformRead: Sendable {
        var state: PlatformState
        var etag: String?
    }

    func readPlatform() async throws -> PlatformRead {
        guard let object = try await get(platformKey) else { return PlatformRead(state: PlatformState(), etag: nil) }
        do {
            return PlatformRead(state: try PlatformState.decode(Array(object.body)), etag: object.etag)
        } catch {
            throw damaged(platformKey, error.message)
        }
    }

    public func updatePlatform<T: Sendable>(_ body: @Sendable (inout PlatformState) throws -> T) async throws -> T {
        for attempt in 0..<maxAttempts {
            let read = try await readPlatform()
            var state = read.state
            let etag = read.etag
            let before = state
            let result = try body(&state)
            if state == before { return result }
            state.serial += 1
            await beforePlatformWrite?()
            switch try await put(platformKey, Data(state.encoded()), etag.map { .ifMatch($0) } ?? .ifNoneMatch) {
            case .written: return result
            case .lostRace:
                // Another run changed the allocations: re-read and re-apply the change to theirs.
                try? await Task.sleep(nanoseconds: UInt64.random(in: 20_000_000...100_000_000) << min(attempt, 4))
            }
        }
        throw StateError.conflict(
            """
            the platform state at \(uri(platformKey)) kept changing under this run (\(maxAttempts) attempts); \
            nothing of this run's allocations was lost or half-written
            """
        )
    }

    // MARK: Locks

    public func acquireLock(tenant: String, holder: LockHolder, lease: TimeInterval, timeout: TimeInterval) async throws -> [Diagnostic] {
        let key = lockKey(tenant)
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let mine = Data(LockInfo(holder: holder, expiresAt: Date().addingTimeInterval(lease)).encoded())
            let refusal: StateError
            if case .written = try await put(key, mine, .ifNoneMatch) { return [] }
            if let object = try await get(key), let etag = object.etag {
                let info = try LockInfo.decode(Array(object.body), what: "s3://\(bucket)/\(key)")
                if info?.holder.id == holder.id { return [] }
                if let info, info.expiresAt >= Date() {
                    refusal = .locked(tenant: tenant, info)
                } else if case .written = try await put(key, mine, .ifMatch(etag)) {
                    let who =
                        info.map { "held by \($0.holder.summary): its lease expired at \($0.expiresAt.formatted(.iso8601))" }
                        ?? "whose lock object was unreadable"
                    return [
                        .warning(
                            "took over the lock of tenant '\(tenant)' \(who)",
                            detail: "that run did not finish; this apply resolves whatever it left pending")
                    ]
                } else {
                    continue  // another run took it over first; look again
                }
            } else {
                continue  // released between our write and our read
            }
            if Date() >= deadline { throw refusal }
            try? await Task.sleep(nanoseconds: UInt64(min(1, max(0.05, deadline.timeIntervalSinceNow)) * 1e9))
        }
    }

    public func renewLock(tenant: String, holder: LockHolder, lease: TimeInterval) async throws {
        let key = lockKey(tenant)
        let lost = StateError.conflict("the lock of tenant '\(tenant)' was taken by another run")
        guard let object = try await get(key), let etag = object.etag,
            try LockInfo.decode(Array(object.body), what: "s3://\(bucket)/\(key)")?.holder.id == holder.id
        else { throw lost }
        let mine = Data(LockInfo(holder: holder, expiresAt: Date().addingTimeInterval(lease)).encoded())
        guard case .written = try await put(key, mine, .ifMatch(etag)) else { throw lost }
    }

    public func releaseLock(tenant: String, holder: LockHolder) async throws {
        let key = lockKey(tenant)
        guard let object = try await get(key), try LockInfo.decode(Array(object.body), what: "s3://\(bucket)/\(key)")?.holder.id == holder.id else {
            return
        }
        do { try await delete(key, ifMatch: object.etag, what: "the lock of tenant '\(tenant)'") } catch StateError.conflict {
            return  // taken over meanwhile: it is no longer ours to release
        }
    }

    public func lockInfo(tenant: String) async throws -> LockInfo? {
        let key = lockKey(tenant)
        guard let object = try await get(key) else { return nil }
        return try LockInfo.decode(Array(object.body), what: "s3://\(bucket)/\(key)")
    }

    public func breakLock(tenant: String) async throws {
        try await delete(lockKey(tenant), ifMatch: nil, what: "the lock of tenant '\(tenant)'")
    }
}
