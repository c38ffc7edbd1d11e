import Foundation
import LandlordCore
import PostgresProvider
import PostgresSchema
import ProviderAPI
import Testing

/// `landlord adopt` against a real PostgreSQL: roles, a schema and a grant made by hand (no
/// comments) are found by name, tagged through their comments, recorded, and then plan clean;
/// a role whose comment names another address is never adopted.
@Suite(.enabled(if: PG.available, PG.disabledReason))
struct PostgresAdoptionTests {
    static let blueprint = """
        apiVersion: landlord/v1
        kind: Blueprint
        name: db
        parameters:
          schemaName: {type: string}
          ownerName: {type: string}
          appName: {type: string}
        resources:
          owner:
            type: postgres.role
            properties: {name: "${ownerName}", login: true}
          app:
            type: postgres.role
            properties: {name: "${appName}", login: true}
          schema:
            type: postgres.schema
            properties: {name: "${schemaName}", owner: "${owner.name}"}
          grant:
            type: postgres.grant
            properties: {role: "${app.name}", schema: "${schema.name}", privileges: [USAGE]}
        """

    func handMade(_ fleet: PGFleet, _ tenant: String) async throws -> (schema: String, owner: String, app: String) {
        let (schema, owner, app) = (PG.unique("sch_"), PG.unique("own_"), PG.unique("app_"))
        try await PG.psql(
            "CREATE ROLE \"\(owner)\" LOGIN; CREATE ROLE \"\(app)\" LOGIN; CREATE SCHEMA \"\(schema)\" AUTHORIZATION \"\(owner)\"; "
                + "GRANT USAGE ON SCHEMA \"\(schema)\" TO \"\(app)\";")
        try fleet.tenant(tenant, "schemaName: \(schema), ownerName: \(owner), appName: \(app)")
        return (schema, owner, app)
    }

    @Test func handMadeRolesSchemaAndGrantAreAdoptedAndTagged() async throws {
        let fleet = try PGFleet(provider: PG.provider(), blueprint: Self.blueprint)
        defer { fleet.remove() }
        let made = try await handMade(fleet, "acme")
        let ws = try fleet.workspace()
        let outcome = await ws.adopt(AdoptOptions())
        #expect(!outcome.diagnostics.hasErrors, "\(outcome.diagnostics.errors.map(\.description))")
        let plan = try #require(outcome.plan)
        let adoptions = plan.tenants.first?.adoptions ?? []
        #expect(adoptions.map(\.name) == ["owner", "app", "schema", "grant"])
        #expect(adoptions.filter(\.tag).map(\.name) == ["owner", "app", "schema"])
        let result = await ws.apply(plan, options: ApplyOptions(holder: LockHolder(operation: "test"), platform: ws.fleet.platform.name))
        #expect(!result.failed, "\(result.diagnostics.errors.map(\.description))")
        #expect(try await fleet.changes().isEmpty)
        let comment = try await PG.psql("SELECT obj_description('\"\(made.schema)\"'::regnamespace, 'pg_namespace')")
        #expect(comment.contains("\"landlord:address\":\"acme/schema\""))
    }

    @Test func aRoleCommentedForAnotherAddressIsNeverAdopted() async throws {
        let fleet = try PGFleet(provider: PG.provider(), blueprint: Self.blueprint)
        defer { fleet.remove() }
        let made = try await handMade(fleet, "acme")
        let other = PostgresComment.text(ResourceIdentity(address: "globex/owner", tenant: "globex", platform: "pgtest"))
        try await PG.psql("COMMENT ON ROLE \"\(made.owner)\" IS '\(other)'")
        let outcome = await (try fleet.workspace()).adopt(AdoptOptions())
        #expect(
            outcome.diagnostics.errors.contains {
                $0.description.contains("acme/owner (postgres.role)") && $0.description.contains("is tagged for globex/owner")
            })
        #expect(outcome.plan?.tenants.isEmpty == true)
        #expect(try await fleet.workspace().loadStates().tenants.isEmpty)
    }
}
