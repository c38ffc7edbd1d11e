import Crypto
import Foundation
import ProviderAPI
import Testing

@testable import LandlordCore

/// The spool an approved plan is written to before it is applied a segment at a time.
@Suite struct PlanSpoolTests {
    /// A tenant whose changes hold every kind of value a plan carries: a secret, a value known
    /// only after apply, a deferred template, an allocation and sequences.
    func tenant(_ id: String, secret: String = "hunter2-secret") -> TenantPlan {
        var t = TenantPlan(tenant: id, blueprint: "web", operation: .provision)
        t.lineage = "lin-\(id)"
        t.serial = 4
        t.inputDigest = "sha256:abc"
        t.unchanged = 2
        t.sequences = ["account": 100]
        t.allocation = TenantAllocation(member: "listener-1", usage: ["rules": 1])
        t.outputs = ["url": .string("https://\(id).example.com"), "token": .sensitive(.string(secret))]
        t.outputChanges = [OutputChange(name: "url", action: .create, before: nil, after: .string("https://\(id).example.com"))]
        var db = ResourceChange(address: "\(id)/db", tenant: id, name: "db", type: "mock_database", action: .replace)
        db.reasons = ["requires replacement: engine"]
        db.before = ["engine": .string("pg14"), "password": .sensitive(.string("old-" + secret))]
        db.after = [
            "engine": .string("pg16"), "password": .sensitive(.string(secret)), "arn": .unknown,
            "host": .deferred([.literal("db-"), .reference(resource: "net", path: ["id"])]), "port": .int(5432), "ratio": .double(0.5),
            "tags": .map(["team": .string("a")]), "zones": .list([.string("a"), .string("b")]), "public": .bool(false), "note": .null,
        ]
        db.changed = ["engine"]
        db.forcedBy = ["engine"]
        db.computed = ["arn"]
        db.dependencies = ["net"]
        db.priorDependencies = ["net"]
        db.wait = WaitSpec(until: "available", timeout: 300)
        db.protect = true
        db.dataBearing = true
        db.priorID = "db-123"
        db.createBeforeDestroy = true
        t.changes = [db, ResourceChange(address: "\(id)/net", tenant: id, name: "net", type: "mock_network", action: .create)]
        return t
    }

    @Test func everyTenantWithChangesComesBackExactlyAsPlannedAndOnlyWhenRead() throws {
        let tenants = ["a", "b", "c"].map { tenant($0) } + [TenantPlan(tenant: "quiet", blueprint: "web", operation: .provision)]
        var plan = Plan(toolVersion: "9.9.9", platform: "prod", tenants: tenants, unchangedTenants: 7)
        plan.foreignPriorities = ["listener-1": [5, 9]]
        plan.appliedTenants = ["a"]
        let spool = try PlanSpool(plan)
        // A tenant without changes is not spooled; the header keeps the rest of the plan.
        #expect(spool.tenants.map(\.tenant) == ["a", "b", "c"])
        #expect(spool.tenants.map(\.changes) == [2, 2, 2])
        #expect(spool.pending.map(\.tenant) == ["b", "c"])
        #expect(spool.header.tenants.isEmpty)
        #expect(spool.header.unchangedTenants == 7 && spool.header.platform == "prod" && spool.header.toolVersion == "9.9.9")
        #expect(spool.header.foreignPriorities == ["listener-1": [5, 9]] && spool.header.appliedTenants == ["a"])
        #expect(spool.tenantsRead == 0)
        #expect(try spool.read(["c"]) == [tenants[2]])
        #expect(spool.tenantsRead == 1)
        #expect(try spool.read(["a", "b"]) == [tenants[0], tenants[1]])
        #expect(spool.tenantsRead == 3)
        #expect(throws: SpoolError.self) { try spool.read(["quiet"]) }
    }

    @Test func aSpooledRecordHoldsNoSecretInClearAndOpensOnlyWithItsOwnKey() throws {
        let secret = "do-not-write-me-\(UUID().uuidString)"
        let cipher = StateCipher(key: SymmetricKey(size: .bits256))
        let record = PlanSpool.encode(tenant("a", secret: secret), cipher)
        #expect(!record.isEmpty)
        #expect(String(decoding: record, as: UTF8.self).range(of: secret) == nil)
        #expect(try PlanSpool.decode(record, cipher) == tenant("a", secret: secret))
        #expect(throws: (any Error).self) { try PlanSpool.decode(record, StateCipher(key: SymmetricKey(size: .bits256))) }
    }

    @Test func theSpoolFileIsGoneFromItsDirectoryAsSoonAsItIsMade() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let spool = try PlanSpool(Plan(toolVersion: "1", platform: "p", tenants: [tenant("a")], unchangedTenants: 0), directory: dir.path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
        #expect(try spool.read(["a"]) == [tenant("a")])
    }

    @Test func aSpoolInADirectoryThatCannotBeWrittenSaysWhatToDo() {
        #expect {
            _ = try PlanSpool(Plan(toolVersion: "1", platform: "p", tenants: [tenant("a")], unchangedTenants: 0), directory: "/nonexistent/dir")
        } throws: { error in
            "\(error)".contains("TMPDIR")
        }
    }
}
