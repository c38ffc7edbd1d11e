import AWSClient
import Foundation
import LandlordCore
import LandlordS3State
import LandlordTestSupport
import Testing

/// The S3 state store against moto: documents, compare-and-swap, platform updates, locks.
@Suite(.enabled(if: Moto.available, Moto.disabledReason), .motoExclusive)
struct S3StoreTests {
    @Test func tenantAndPlatformDocumentsRoundTrip() async throws {
        let bucket = try await Moto.bucket()
        let store = try Moto.store(bucket)
        #expect(store.location == "s3://\(bucket)/fleet")
        #expect(try await store.listTenants().isEmpty)
        #expect(try await store.loadTenant("acme") == nil)

        let acme = tenantState("acme")
        let globex = tenantState("globex")
        try await store.saveTenant(acme)
        try await store.saveTenant(globex)
        var next = acme
        next.serial = 2
        next.resources["backend_task"]?.inputs["image"] = .string("backend:2")
        try await store.saveTenant(next)

        let other = try Moto.store(bucket)  // another process
        #expect(try await other.listTenants() == ["acme", "globex"])
        #expect(try await other.loadTenant("acme") == next)
        #expect(try await other.loadTenants(["acme", "globex", "initech"]) == ["acme": next, "globex": globex])

        let priority = try await store.updatePlatform { p -> Int in
            p.allocations["acme"] = TenantAllocation(member: "arn:listener/1", numbers: ["backend_rule": 1], usage: ["rules": 2, "targetGroups": 2])
            return 1
        }
        #expect(priority == 1)
        let platform = try await other.loadPlatform()
        #expect(platform.serial == 1)
        #expect(platform.allocations["acme"]?.numbers == ["backend_rule": 1])

        // The keys are where the README says.
        let keys = try await Moto.client().s3ListObjectsV2(bucket: bucket).map(\.key).sorted()
        #expect(keys == ["fleet/platform.json", "fleet/tenants/acme.json", "fleet/tenants/globex.json"])

        try await other.deleteTenant("globex")
        #expect(try await store.listTenants() == ["acme"])
        #expect(try await store.loadTenant("globex") == nil)
    }

    @Test func aWriteBasedOnAStaleETagIsRefusedAndOverwritesNothing() async throws {
        let bucket = try await Moto.bucket()
        let a = try Moto.store(bucket)
        let b = try Moto.store(bucket)
        let base = tenantState("acme")
        try await a.saveTenant(base)

        // b reads and writes serial 2; a still holds the ETag of serial 1.
        var theirs = try #require(try await b.loadTenant("acme"))
        theirs.serial = 2
        theirs.resources["backend_task"]?.inputs["image"] = .string("theirs")
        try await b.saveTenant(theirs)

        var ours = base
        ours.serial = 2
        ours.resources["backend_task"]?.inputs["image"] = .string("ours")
        await #expect {
            try await a.saveTenant(ours)
        } throws: { error in
            guard case StateError.conflict(let m) = error else { return false }
            return m.contains("another run wrote the state of tenant 'acme'") && m.contains("not overwritten")
        }
        #expect(try await Moto.store(bucket).loadTenant("acme") == theirs)

        // Creating a tenant another run has just created is refused too (a different lineage).
        let fresh = tenantState("acme")
        await #expect(throws: StateError.self) { try await Moto.store(bucket).saveTenant(fresh) }
        #expect(try await Moto.store(bucket).loadTenant("acme") == theirs)

        // And the store's precondition is S3's: moto answers a stale If-Match like AWS, with 412.
        let client = try Moto.client()
        let etag = try #require(try await client.s3PutObject(bucket: bucket, key: "probe", body: Data("1".utf8), condition: .ifNoneMatch))
        try await client.s3PutObject(bucket: bucket, key: "probe", body: Data("2".utf8), condition: .ifMatch(etag))
        await #expect {
            try await client.s3PutObject(bucket: bucket, key: "probe", body: Data("3".utf8), condition: .ifMatch(etag))
        } throws: { ($0 as? AWSError)?.status == 412 }
    }

    @Test func platformUpdatesFromTwoRunsNeverLoseAnAllocation() async throws {
        let bucket = try await Moto.bucket()
        let a = try Moto.store(bucket)
        let b = try Moto.store(bucket)
        func allocate(_ store: S3StateStore, _ tenant: String) async throws {
            try await store.updatePlatform { p in
                let taken = Set(p.allocations.values.flatMap(\.numbers.values))
                var q = 1
                while taken.contains(q) { q += 1 }
                p.allocations[tenant] = TenantAllocation(member: "arn:listener/1", numbers: ["rule": q], usage: ["rules": 1, "targetGroups": 1])
            }
        }
        async let first: Void = { for i in 0..<6 { try await allocate(a, "a\(i)") } }()
        async let second: Void = { for i in 0..<6 { try await allocate(b, "b\(i)") } }()
        _ = try await (first, second)

        let platform = try await Moto.store(bucket).loadPlatform()
        #expect(platform.allocations.count == 12)
        #expect(platform.serial == 12)
        let priorities = platform.allocations.values.compactMap { $0.numbers["rule"] }
        #expect(Set(priorities).count == 12, "a priority was handed out twice: \(priorities.sorted())")
    }

    @Test func aPlatformWriteThatLosesTheRaceRereadsAndKeepsTheOtherRunsChange() async throws {
        let bucket = try await Moto.bucket()
        let other = try Moto.store(bucket)
        let interfered = Flag()
        // Between this run's read and its write, another run allocates priority 1.
        let store = try Moto.store(bucket) {
            guard await interfered.setOnce() else { return }
            try? await other.updatePlatform { $0.allocations["globex"] = TenantAllocation(member: "l", numbers: ["rule": 1]) }
        }
        let runs = Counter()
        let chosen = try await store.updatePlatform { p -> Int in
            runs.increment()
            let taken = Set(p.allocations.values.flatMap(\.numbers.values))
            var q = 1
            while taken.contains(q) { q += 1 }
            p.allocations["acme"] = TenantAllocation(member: "l", numbers: ["rule": q])
            return q
        }
        #expect(runs.value == 2, "the change was not re-applied to the re-read document")
        #expect(chosen == 2)
        let platform = try await Moto.store(bucket).loadPlatform()
        #expect(platform.allocations["globex"]?.numbers["rule"] == 1)
        #expect(platform.allocations["acme"]?.numbers["rule"] == 2)
    }

    @Test func aLiveLockRefusesASecondHolderNamingTheFirst() async throws {
        let bucket = try await Moto.bucket()
        let a = try Moto.store(bucket)
        let b = try Moto.store(bucket)
        let first = LockHolder(id: "run-1", host: "ci-runner-7", pid: 4242, startedAt: Date(), operation: "apply")
        let second = LockHolder(id: "run-2", host: "ci-runner-9", pid: 77, startedAt: Date(), operation: "apply")
        #expect(try await a.acquireLock(tenant: "acme", holder: first, lease: 600, timeout: 0).isEmpty)
        // Re-acquiring one's own lock is fine; another tenant is independent.
        #expect(try await a.acquireLock(tenant: "acme", holder: first, lease: 600, timeout: 0).isEmpty)
        #expect(try await b.acquireLock(tenant: "globex", holder: second, lease: 600, timeout: 0).isEmpty)

        await #expect {
            _ = try await b.acquireLock(tenant: "acme", holder: second, lease: 600, timeout: 0)
        } throws: { error in
            guard case StateError.locked(let tenant, let info) = error else { return false }
            let text = "\(error)"
            return tenant == "acme" && info.holder.id == "run-1" && text.contains("ci-runner-7") && text.contains("pid 4242")
                && text.contains("landlord unlock --tenant acme")
        }
        // The loser can neither renew nor release it.
        await #expect(throws: StateError.self) { try await b.renewLock(tenant: "acme", holder: second, lease: 600) }
        try await b.releaseLock(tenant: "acme", holder: second)
        #expect(try await b.lockInfo(tenant: "acme")?.holder.id == "run-1")

        try await a.renewLock(tenant: "acme", holder: first, lease: 600)
        try await a.releaseLock(tenant: "acme", holder: first)
        #expect(try await b.lockInfo(tenant: "acme") == nil)
        #expect(try await b.acquireLock(tenant: "acme", holder: second, lease: 600, timeout: 0).isEmpty)
        try await a.breakLock(tenant: "acme")
        #expect(try await b.lockInfo(tenant: "acme") == nil)
    }

    @Test func anExpiredLeaseIsTakenOverWithAWarning() async throws {
        let bucket = try await Moto.bucket()
        let a = try Moto.store(bucket)
        let b = try Moto.store(bucket)
        let dead = LockHolder(id: "dead-run", host: "ci-runner-7", pid: 4242, startedAt: Date(), operation: "apply")
        _ = try await a.acquireLock(tenant: "acme", holder: dead, lease: -1, timeout: 0)
        let me = LockHolder(operation: "apply")
        let warnings = try await b.acquireLock(tenant: "acme", holder: me, lease: 600, timeout: 0)
        #expect(warnings.count == 1)
        #expect(warnings.first?.summary.contains("took over the lock of tenant 'acme' held by apply by ci-runner-7 (pid 4242)") == true)
        #expect(warnings.first?.summary.contains("lease expired") == true)
        #expect(try await a.lockInfo(tenant: "acme")?.holder.id == me.id)
        // The dead run, were it to wake up, has lost it.
        await #expect(throws: StateError.self) { try await a.renewLock(tenant: "acme", holder: dead, lease: 600) }
    }

    @Test func lockTimeoutWaitsForALeaseToRunOut() async throws {
        let bucket = try await Moto.bucket()
        let a = try Moto.store(bucket)
        let b = try Moto.store(bucket)
        let first = LockHolder(id: "short", host: "h", pid: 1, startedAt: Date(), operation: "apply")
        // The lease ends 1.5 s after the first acquire began, however long moto took to answer
        // it (measuring from after it returned failed with 0.84 s on a loaded machine).
        let started = Date()
        _ = try await a.acquireLock(tenant: "acme", holder: first, lease: 1.5, timeout: 0)
        let warnings = try await b.acquireLock(tenant: "acme", holder: LockHolder(operation: "apply"), lease: 600, timeout: 10)
        #expect(Date().timeIntervalSince(started) >= 1.49, "the lock was taken over before its lease ran out")
        #expect(warnings.first?.summary.contains("took over") == true)
    }

    @Test func aDamagedDocumentIsReportedWithHowToRestoreAndNotOverwritten() async throws {
        let bucket = try await Moto.bucket()
        try await Moto.client().s3PutObject(bucket: bucket, key: "fleet/tenants/acme.json", body: Data("{not json".utf8))
        let store = try Moto.store(bucket)
        await #expect {
            _ = try await store.loadTenant("acme")
        } throws: { "\($0)".contains("is damaged") && "\($0)".contains("list-object-versions") }
        await #expect(throws: StateError.self) { try await store.saveTenant(tenantState("acme")) }
        let body = try await Moto.client().s3GetObject(bucket: bucket, key: "fleet/tenants/acme.json")?.body
        #expect(body == Data("{not json".utf8))
    }

    @Test func aMissingBucketSaysHowToCreateIt() async throws {
        let store = try Moto.store("landlord-no-such-bucket-\(UUID().uuidString.prefix(8).lowercased())")
        await #expect {
            _ = try await store.listTenants()
        } throws: { "\($0)".contains("does not exist") && "\($0)".contains("put-bucket-versioning") }
    }
}

/// A one-shot flag shared by tasks.
actor Flag {
    private var set = false
    /// True the first time only.
    func setOnce() -> Bool {
        defer { set = true }
        return !set
    }
}

/// A counter bumped from a synchronous closure.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func increment() { lock.withLock { n += 1 } }
    var value: Int { lock.withLock { n } }
}
