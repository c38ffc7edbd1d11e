import Foundation
import LandlordCore
import MockProvider
import PostgresSchema
import ProviderAPI
import Testing

/// The mock's `postgres.*` types keep PostgreSQL's rules, so `--mock` dry-runs a blueprint with
/// a database in it and fails where the server would.
@Suite struct MockPostgresTests {
    let fleet: PGFleet
    let mock: MockProvider
    let tenant = "acme"

    init() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("landlord-mockpg-\(UUID().uuidString)")
        mock = MockProvider(cloudPath: dir.appendingPathComponent("cloud.json").path)
        fleet = try PGFleet(provider: mock, blueprint: databaseBlueprint)
        try fleet.tenant(tenant, "schemaName: acme, ownerName: acme_owner, appName: acme_app")
    }

    func resources(_ type: String) throws -> [MockResource] { try mock.cloud.snapshot().filter { $0.type == type } }

    /// Changes one simulated resource, as someone working on the server by hand would.
    func change(_ type: String, _ id: String, _ body: @escaping (inout MockResource) -> Void) throws {
        try mock.cloud.transact { tx in
            guard var r = tx.get(type: type, id: id) else { return }
            body(&r)
            tx.put(r)
        }
    }

    @Test func createNoChangeUpdateDriftReplaceDestroy() async throws {
        defer { fleet.remove() }
        try await fleet.applyOK()
        #expect(try resources(PostgresResourceTypes.schemaType).map { $0.attributes["owner"] } == [.string("acme_owner")])
        let password = try #require(try await fleet.recorded(tenant, "app", "password")?.stringValue)
        #expect(password.count == 32 && password.allSatisfy { $0.isLetter || $0.isNumber })
        #expect(try await fleet.changes() == [])

        try fleet.tenant(tenant, "schemaName: acme, ownerName: acme_owner, appName: acme_app, connectionLimit: 2, privileges: [USAGE]")
        #expect(try await fleet.changes() == ["grant update", "owner update"])
        try await fleet.applyOK()
        #expect(try await fleet.recorded(tenant, "app", "password")?.stringValue == password, "an update keeps the password")

        try change(PostgresResourceTypes.role, "acme_owner") { $0.attributes["connectionLimit"] = .int(40) }
        let drift = try await fleet.plan().tenants.flatMap(\.changes)
        #expect(drift.map { "\($0.name) \($0.action.rawValue)" } == ["owner update"])
        #expect(drift.first?.reasons.contains { $0.contains("drift: connectionLimit") } == true)
        try await fleet.applyOK()

        try fleet.tenant(tenant, "schemaName: acme2, ownerName: acme_owner, appName: acme_app, connectionLimit: 2, privileges: [USAGE]")
        // A schema holds data: replacing it is refused without --allow-protected-deletes.
        await #expect(throws: Failure.self) { try await fleet.changes() }
        #expect(try await fleet.changes(PlanOptions(allowProtectedDeletes: true)) == ["grant replace", "schema replace"])
        try await fleet.applyOK(PlanOptions(allowProtectedDeletes: true))
        #expect(try resources(PostgresResourceTypes.schemaType).map(\.id) == ["acme2"])

        try await fleet.applyOK(PlanOptions(destroy: [tenant]))
        #expect(try mock.cloud.snapshot().filter { $0.type.hasPrefix("postgres.") }.isEmpty)
    }

    @Test func namesAreUniquePerServer() async throws {
        defer { fleet.remove() }
        try fleet.tenant("globex", "schemaName: acme, ownerName: globex_owner, appName: globex_app")
        // Two tenants claiming one schema name: the plan refuses it (uniqueKeys), naming both.
        let refused = await #expect(throws: Failure.self) { try await fleet.plan() }
        #expect(refused?.description.contains("globex/schema and acme/schema claim the same unique key of postgres.schema") == true)
        // A schema no state knows of (made outside Landlord, or its state lost) is refused by
        // the server, as the mock simulates.
        try await fleet.applyOK(PlanOptions(tenants: ["acme"]))
        try fleet.loseState()
        let r = try await fleet.apply(PlanOptions(tenants: ["globex"]))
        #expect(r.failed)
        #expect(r.diagnostics.errors.contains { $0.summary.contains("schema 'acme' already exists on the server") })
        #expect(try resources(PostgresResourceTypes.schemaType).count == 1)
        #expect(try resources(PostgresResourceTypes.schemaType).first?.attributes["owner"] != nil)
    }

    @Test func aSchemaHoldingTablesIsKeptUnlessCascade() async throws {
        defer { fleet.remove() }
        try await fleet.applyOK()
        try change(PostgresResourceTypes.schemaType, "acme") { $0.tags[MockProvider.postgresTablesTag] = "3" }
        let refused = try await fleet.apply(PlanOptions(destroy: [tenant]))
        #expect(refused.failed)
        #expect(refused.diagnostics.errors.contains { $0.summary.contains("still holds tables") && $0.detail.contains("deletion: cascade") })
        #expect(try resources(PostgresResourceTypes.schemaType).count == 1)
        try fleet.tenant(tenant, "schemaName: acme, ownerName: acme_owner, appName: acme_app, deletion: cascade")
        try await fleet.applyOK()
        try await fleet.applyOK(PlanOptions(destroy: [tenant]))
        #expect(try mock.cloud.snapshot().filter { $0.type.hasPrefix("postgres.") }.isEmpty)
    }

    @Test func droppingARoleReassignsWhatItOwnsAndDropsItsGrants() async throws {
        let identity = ResourceIdentity(address: "x/role", tenant: "x", platform: "p")
        func call(_ op: ApplyOperation, _ type: String, _ inputs: [String: Value], prior: ResourceObject? = nil) async -> ApplyResponse {
            await mock.apply(
                ApplyRequest(operation: op, type: type, identity: identity, prior: prior, inputs: inputs, clientToken: UUID().uuidString))
        }
        defer { fleet.remove() }
        let role = try #require(await call(.create, PostgresResourceTypes.role, ["name": "owner", "memberOf": []]).resource)
        _ = await call(.create, PostgresResourceTypes.role, ["name": "member", "memberOf": ["owner"]])
        _ = await call(.create, PostgresResourceTypes.schemaType, ["name": "s", "owner": "owner"])
        _ = await call(.create, PostgresResourceTypes.grant, ["role": "owner", "schema": "s", "privileges": ["USAGE"]])
        #expect(await call(.delete, PostgresResourceTypes.role, [:], prior: role).diagnostics.isEmpty)
        #expect(try resources(PostgresResourceTypes.schemaType).first?.attributes["owner"] == .string("postgres"))
        #expect(try resources(PostgresResourceTypes.grant).isEmpty)
        #expect(try resources(PostgresResourceTypes.role).first?.attributes["memberOf"] == .list([]))
    }

    @Test func badNamesAndPrivilegesAreRefusedWithTheServersWords() async throws {
        defer { fleet.remove() }
        let identity = ResourceIdentity(address: "x/r", tenant: "x", platform: "p")
        let cases: [(String, [String: Value], String)] = [
            (PostgresResourceTypes.schemaType, ["name": "pg_x"], "starts with pg_"),
            (PostgresResourceTypes.role, ["name": .string(String(repeating: "r", count: 64))], "PostgreSQL allows 63"),
            (PostgresResourceTypes.schemaType, ["name": "s", "deletion": "always"], "deletion must be restrict or cascade"),
            (PostgresResourceTypes.grant, ["role": "r", "schema": "s", "privileges": ["DROP"]], "unknown privilege 'DROP'"),
            (PostgresResourceTypes.role, ["name": "r", "memberOf": ["r"]], "cannot be a member of itself"),
        ]
        for (type, inputs, words) in cases {
            let r = await mock.apply(ApplyRequest(operation: .create, type: type, identity: identity, prior: nil, inputs: inputs, clientToken: "t"))
            #expect(r.resource == nil)
            #expect(r.diagnostics.first?.summary.contains(words) == true, "\(type) \(inputs): \(r.diagnostics)")
        }
        #expect(try mock.cloud.snapshot().isEmpty)
    }

    @Test func lostStateIsAdoptedNotDuplicated() async throws {
        defer { fleet.remove() }
        try await fleet.applyOK()
        let before = try mock.cloud.snapshot().map(\.id).sorted()
        try fleet.loseState()
        try await fleet.applyOK()
        #expect(try mock.cloud.snapshot().map(\.id).sorted() == before)
        #expect(try await fleet.changes() == [])
    }
}
