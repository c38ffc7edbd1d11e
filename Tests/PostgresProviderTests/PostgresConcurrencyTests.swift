import Foundation
import LandlordCore
import ProviderAPI
import Testing

/// Parallel GRANTs on one object of one server fail with "tuple concurrently updated" (the
/// PostgreSQL Terraform provider's issues #178 and #223). Here 50 tenants, applied 20 provider
/// calls at a time, each grant their role on one shared schema and make their own schema and
/// roles: every change must land.
@Suite(.enabled(if: PG.available, PG.disabledReason)) struct PostgresConcurrencyTests {
    static let blueprint = """
        apiVersion: landlord/v1
        kind: Blueprint
        name: db
        parameters:
          prefix: {type: string}
          shared: {type: string}
        resources:
          owner: {type: postgres.role, properties: {name: "${prefix}_owner"}}
          app: {type: postgres.role, properties: {name: "${prefix}_app", login: true, memberOf: ["${owner.name}"]}}
          schema: {type: postgres.schema, properties: {name: "${prefix}", owner: "${owner.name}"}}
          grant:
            type: postgres.grant
            properties: {role: "${app.name}", schema: "${schema.name}", privileges: [USAGE], tablePrivileges: [SELECT], defaultPrivileges: true}
          sharedGrant:
            type: postgres.grant
            properties: {role: "${app.name}", schema: "${shared}", privileges: [USAGE], tablePrivileges: [SELECT]}
        """

    @Test func fiftyTenantsAtParallelismTwentyNeverCollide() async throws {
        let fleet = try PGFleet(provider: PG.provider(), blueprint: Self.blueprint)
        defer { fleet.remove() }
        let run = PG.unique("c")
        let shared = run + "_shared"
        try await PG.psql("CREATE SCHEMA \(shared); CREATE TABLE \(shared).t (id int)")
        let tenants = (0..<50).map { "\(run)-\($0)" }
        for (i, t) in tenants.enumerated() { try fleet.tenant(t, "prefix: \(run)_\(i), shared: \(shared)") }

        let result = try await fleet.apply(parallelism: 20)
        let errors = result.diagnostics.errors.map(\.description)
        #expect(!result.failed, "\(errors.prefix(5))")
        #expect(!errors.contains { $0.contains("concurrently") })
        #expect(try await PG.psql("SELECT count(*) FROM pg_namespace WHERE nspname LIKE '\(run)\\_%' AND nspname <> '\(shared)'") == "50")
        #expect(
            try await PG.psql(
                "SELECT count(*) FROM pg_roles WHERE rolname LIKE '\(run)\\_%\\_app' AND has_table_privilege(oid, '\(shared).t', 'SELECT')")
                == "50")
        #expect(try await fleet.changes() == [])

        // And back: 50 tenants destroyed at once, every REVOKE and DROP landing.
        let destroyed = try await fleet.apply(PlanOptions(destroy: Set(tenants)), parallelism: 20)
        #expect(!destroyed.failed, "\(destroyed.diagnostics.errors.map(\.description).prefix(5))")
        #expect(try await PG.psql("SELECT count(*) FROM pg_roles WHERE rolname LIKE '\(run)\\_%'") == "0")
        #expect(try await PG.psql("SELECT count(*) FROM pg_namespace WHERE nspname LIKE '\(run)\\_%'") == "1")
        try await PG.psql("DROP SCHEMA \(shared) CASCADE")
    }
}
