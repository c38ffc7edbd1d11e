import Foundation
import LandlordCore
import ProviderAPI
import Testing

/// Each `postgres.*` type against a real PostgreSQL 15 through the engine: create, no-change
/// plan, update in place, replacement, drift made with psql, adoption after lost state,
/// destroy. Every check of the server goes through psql, not through the provider.
@Suite(.enabled(if: PG.available, PG.disabledReason)) struct PostgresLifecycleTests {
    let fleet: PGFleet
    let tenant = PG.unique("t")
    let owner: String
    let app: String
    let schema: String
    var reader: String { tenant + "_reader" }

    init() throws {
        fleet = try PGFleet(provider: PG.provider(), blueprint: databaseBlueprint)
        owner = tenant + "_owner"
        app = tenant + " app's \"role\""
        schema = tenant + " data"
        try write()
    }

    func write(_ extra: String = "") throws {
        try fleet.tenant(tenant, "schemaName: '\(schema)', ownerName: \(owner), appName: '\(app.replacingOccurrences(of: "'", with: "''"))'\(extra)")
    }

    /// `name` as a SQL literal for psql.
    func lit(_ name: String) -> String { "'" + name.replacingOccurrences(of: "'", with: "''") + "'" }

    @Test func createNoChangeUpdateReplaceDestroy() async throws {
        defer { fleet.remove() }
        #expect(try await fleet.changes() == ["app create", "grant create", "owner create", "reader create", "schema create"])
        try await fleet.applyOK()

        // What the server holds, seen by psql.
        #expect(try await PG.psql("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = \(lit(schema))") == owner)
        #expect(try await PG.psql("SELECT rolcanlogin, rolconnlimit FROM pg_roles WHERE rolname = \(lit(owner))") == "t|5")
        #expect(try await PG.psql("SELECT pg_has_role(\(lit(app)), \(lit(reader)), 'MEMBER')") == "t")
        #expect(
            try await PG.psql(
                "SELECT has_schema_privilege(\(lit(app)), \(lit(schema)), 'USAGE'), has_schema_privilege(\(lit(app)), \(lit(schema)), 'CREATE')")
                == "t|t")
        let comment = try await PG.psql("SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = \(lit(schema))")
        #expect(comment.contains("\"landlord:address\":\"\(tenant)/schema\""))
        // The generated password: 32 characters, kept in state, and it logs in.
        let password = try #require(try await fleet.recorded(tenant, "app", "password")?.stringValue)
        #expect(password.count == 32)
        #expect(try await PG.psql("SELECT current_user", user: app, password: password) == app)

        // Nothing changed: a refreshing plan has nothing to do.
        #expect(try await fleet.changes() == [])

        // Tables the owner makes later get the grant's table privileges (default privileges).
        try await PG.psql("SET ROLE \(owner); CREATE TABLE \"\(schema.replacingOccurrences(of: "\"", with: "\"\""))\".items (id int)")
        let table = "\"\(schema.replacingOccurrences(of: "\"", with: "\"\""))\".items"
        #expect(try await PG.psql("SELECT has_table_privilege(\(lit(app)), \(lit(table)), 'SELECT')") == "t")
        #expect(try await PG.psql("SELECT has_table_privilege(\(lit(app)), \(lit(table)), 'DELETE')") == "f")
        #expect(try await fleet.changes() == [], "a new table with the default privileges is no drift")

        // Update in place: ALTER ROLE, GRANT/REVOKE; the password stays.
        try write(", connectionLimit: 9, login: false, privileges: [USAGE], tablePrivileges: [SELECT, DELETE]")
        #expect(try await fleet.changes() == ["grant update", "owner update"])
        try await fleet.applyOK()
        #expect(try await PG.psql("SELECT rolcanlogin, rolconnlimit FROM pg_roles WHERE rolname = \(lit(owner))") == "f|9")
        #expect(try await PG.psql("SELECT has_schema_privilege(\(lit(app)), \(lit(schema)), 'CREATE')") == "f")
        #expect(try await PG.psql("SELECT has_table_privilege(\(lit(app)), \(lit(table)), 'DELETE')") == "t")
        #expect(try await PG.psql("SELECT has_table_privilege(\(lit(app)), \(lit(table)), 'INSERT')") == "f")
        #expect(try await fleet.recorded(tenant, "app", "password")?.stringValue == password)
        #expect(try await fleet.changes() == [])

        // Replacement: a new schema name cannot be made in place. Its table goes with the
        // old schema only because `deletion: cascade` was recorded on it first.
        try write(", connectionLimit: 9, login: false, privileges: [USAGE], tablePrivileges: [SELECT, DELETE], deletion: cascade")
        #expect(try await fleet.changes() == ["schema update"])
        try await fleet.applyOK()
        let renamed = schema + "2"
        try fleet.tenant(
            tenant,
            """
            schemaName: '\(renamed)', ownerName: \(owner), appName: \
            '\(app.replacingOccurrences(of: "'", with: "''"))', connectionLimit: 9, login: false, privileges: \
            [USAGE], tablePrivileges: [SELECT, DELETE], deletion: cascade
            """
        )
        // A schema holds data: replacing it is refused without --allow-protected-deletes.
        await #expect(throws: Failure.self) { try await fleet.changes() }
        #expect(try await fleet.changes(PlanOptions(allowProtectedDeletes: true)) == ["grant replace", "schema replace"])
        try await fleet.applyOK(PlanOptions(allowProtectedDeletes: true))
        #expect(try await PG.psql("SELECT nspname FROM pg_namespace WHERE nspname IN (\(lit(schema)), \(lit(renamed)))") == renamed)
        #expect(try await PG.psql("SELECT has_schema_privilege(\(lit(app)), \(lit(renamed)), 'USAGE')") == "t")
        #expect(try await fleet.changes() == [])

        // Destroy: each role is dropped after REASSIGN OWNED and DROP OWNED in every database
        // where it owns something or holds a privilege; nothing of the tenant is left.
        let otherDB = tenant + "_db"
        try await PG.psql("CREATE DATABASE \(otherDB)")
        try await PG.psql("GRANT CREATE ON SCHEMA public TO \(owner); SET ROLE \(owner); CREATE TABLE public.\(tenant)_owned (id int)")
        try await PG.psql("GRANT CREATE ON SCHEMA public TO \(owner); SET ROLE \(owner); CREATE TABLE public.elsewhere (id int)", database: otherDB)
        try await fleet.applyOK(PlanOptions(destroy: [tenant]))
        #expect(try await PG.psql("SELECT count(*) FROM pg_roles WHERE rolname IN (\(lit(owner)), \(lit(app)), \(lit(reader)))") == "0")
        #expect(try await PG.psql("SELECT count(*) FROM pg_namespace WHERE nspname LIKE \(lit(tenant + "%"))") == "0")
        #expect(try await PG.psql("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = \(lit(tenant + "_owned"))") == "landlord")
        #expect(try await PG.psql("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'elsewhere'", database: otherDB) == "landlord")
        try await PG.psql("DROP TABLE public.\(tenant)_owned")
        try await PG.psql("DROP DATABASE \(otherDB)")
    }

    @Test func driftMadeWithPsqlIsFoundAndUndone() async throws {
        defer { fleet.remove() }
        try await fleet.applyOK()
        try await PG.psql(
            """
            ALTER ROLE \(owner) CONNECTION LIMIT 77;
            REVOKE CREATE ON SCHEMA "\(schema)" FROM "\(app.replacingOccurrences(of: "\"", with: "\"\""))";
            REVOKE \(reader) FROM "\(app.replacingOccurrences(of: "\"", with: "\"\""))";
            ALTER SCHEMA "\(schema)" OWNER TO landlord
            """)
        let plan = try await fleet.plan()
        let changes = plan.tenants.flatMap(\.changes)
        #expect(changes.map { "\($0.name) \($0.action.rawValue)" }.sorted() == ["app update", "grant update", "owner update", "schema update"])
        #expect(changes.first { $0.name == "owner" }?.reasons.contains { $0.contains("drift: connectionLimit changed outside Landlord") } == true)
        #expect(changes.first { $0.name == "schema" }?.reasons.contains { $0.contains("owner") } == true)
        try await fleet.applyOK()
        #expect(try await PG.psql("SELECT rolconnlimit FROM pg_roles WHERE rolname = \(lit(owner))") == "5")
        #expect(try await PG.psql("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = \(lit(schema))") == owner)
        #expect(
            try await PG.psql(
                "SELECT has_schema_privilege(\(lit(app)), \(lit(schema)), 'CREATE'), pg_has_role(\(lit(app)), \(lit(reader)), 'MEMBER')") == "t|t")
        #expect(try await fleet.changes() == [])

        // Dropped outside Landlord: planned again as a create.
        try await PG.psql("DROP SCHEMA \"\(schema)\"")
        #expect(try await fleet.changes() == ["grant create", "schema create"])
        try await fleet.applyOK()
        try await fleet.applyOK(PlanOptions(destroy: [tenant]))
    }

    @Test func aRenamedRoleIsReplacedWithItsGrant() async throws {
        defer { fleet.remove() }
        try await fleet.applyOK()
        let oldPassword = try #require(try await fleet.recorded(tenant, "app", "password")?.stringValue)
        let renamed = tenant + "_app2"
        try fleet.tenant(tenant, "schemaName: '\(schema)', ownerName: \(owner), appName: \(renamed)")
        #expect(try await fleet.changes() == ["app replace", "grant replace"])
        try await fleet.applyOK()
        #expect(try await PG.psql("SELECT count(*) FROM pg_roles WHERE rolname = \(lit(app))") == "0", "the old role is dropped")
        #expect(
            try await PG.psql(
                "SELECT pg_has_role(\(lit(renamed)), \(lit(reader)), 'MEMBER'), has_schema_privilege(\(lit(renamed)), \(lit(schema)), 'USAGE')")
                == "t|t")
        let password = try #require(try await fleet.recorded(tenant, "app", "password")?.stringValue)
        #expect(password != oldPassword && password.count == 32, "a new role gets a password of its own")
        #expect(try await PG.psql("SELECT current_user", user: renamed, password: password) == renamed)
        #expect(try await fleet.changes() == [])
        try await fleet.applyOK(PlanOptions(destroy: [tenant]))
        #expect(try await PG.psql("SELECT count(*) FROM pg_roles WHERE rolname LIKE \(lit(tenant + "%"))") == "0")
    }

    @Test func lostStateIsAdoptedNotDuplicated() async throws {
        defer { fleet.remove() }
        try await fleet.applyOK()
        let oid = try await PG.psql("SELECT oid FROM pg_namespace WHERE nspname = \(lit(schema))")
        try fleet.loseState()
        // A plain apply finds each schema and role by the address in its comment (the create
        // fails on the name, the engine looks the tags up) and adopts it.
        try await fleet.applyOK()
        #expect(try await PG.psql("SELECT oid FROM pg_namespace WHERE nspname = \(lit(schema))") == oid, "the same schema, not a new one")
        #expect(try await fleet.changes() == [])
        // Nobody knew the lost password: a new one is set, recorded, and logs in.
        let password = try #require(try await fleet.recorded(tenant, "app", "password")?.stringValue)
        #expect(try await PG.psql("SELECT current_user", user: app, password: password) == app)

        // `apply --adopt` looks up before creating.
        try fleet.loseState()
        try await fleet.applyOK(adopt: true)
        #expect(try await PG.psql("SELECT oid FROM pg_namespace WHERE nspname = \(lit(schema))") == oid)
        #expect(try await fleet.changes() == [])
        try await fleet.applyOK(PlanOptions(destroy: [tenant]))
        #expect(try await PG.psql("SELECT count(*) FROM pg_roles WHERE rolname IN (\(lit(owner)), \(lit(app)), \(lit(reader)))") == "0")
    }

    @Test func aSchemaHoldingTablesIsKeptUnlessCascade() async throws {
        defer { fleet.remove() }
        try await fleet.applyOK()
        try await PG.psql("CREATE TABLE \"\(schema)\".orders (id int); INSERT INTO \"\(schema)\".orders VALUES (1)")
        let refused = try await fleet.apply(PlanOptions(destroy: [tenant]))
        #expect(refused.failed)
        #expect(
            refused.diagnostics.errors.contains {
                $0.summary.contains("still holds tables") && $0.detail.contains("set `deletion: cascade` on \(tenant)/schema")
            })
        #expect(try await PG.psql("SELECT count(*) FROM \"\(schema)\".orders") == "1", "the data is still there")
        #expect(try await PG.psql("SELECT count(*) FROM pg_roles WHERE rolname = \(lit(owner))") == "1", "its owner too")
        try write(", deletion: cascade")
        try await fleet.applyOK()
        try await fleet.applyOK(PlanOptions(destroy: [tenant]))
        #expect(try await PG.psql("SELECT count(*) FROM pg_namespace WHERE nspname = \(lit(schema))") == "0")
        #expect(try await PG.psql("SELECT count(*) FROM pg_roles WHERE rolname IN (\(lit(owner)), \(lit(app)), \(lit(reader)))") == "0")
    }

    @Test func aSchemaOrRoleThatIsNotLandlordsIsNeverAdopted() async throws {
        defer { fleet.remove() }
        try await PG.psql("CREATE SCHEMA \"\(schema)\"")
        let r = try await fleet.apply()
        #expect(r.failed)
        #expect(r.diagnostics.errors.contains { $0.summary.contains("schema '\(schema)' already exists") && $0.detail.contains("not Landlord's") })
        try await PG.psql("DROP SCHEMA \"\(schema)\"")
        try await fleet.applyOK()
        try await fleet.applyOK(PlanOptions(destroy: [tenant]))
    }

    @Test func badInputsAreRefusedBeforeAnySQL() async throws {
        defer { fleet.remove() }
        try fleet.tenant(tenant, "schemaName: pg_mine, ownerName: \(owner), appName: \(tenant)_app, privileges: [USAGE, DROP]")
        let r = try await fleet.apply()
        #expect(r.failed)
        let errors = r.diagnostics.errors.map(\.description).joined(separator: "\n")
        #expect(errors.contains("starts with pg_"), "\(errors)")
        try await fleet.applyOK(PlanOptions(destroy: [tenant]))
        #expect(try await PG.psql("SELECT count(*) FROM pg_roles WHERE rolname LIKE \(lit(tenant + "%"))") == "0")
    }
}
