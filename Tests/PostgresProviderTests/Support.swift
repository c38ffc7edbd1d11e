import Foundation
import LandlordCore
import LandlordLocalState
import LandlordTestSupport
import MockProvider
import PostgresProvider
import ProviderAPI
import Testing

/// The PostgreSQL server `scripts/postgres.sh start` runs on 127.0.0.1:LANDLORD_PG_PORT
/// (superuser `landlord`, password `landlord`, database `app`). Tests that need it are skipped,
/// never passed, when LANDLORD_PG_PORT is unset.
enum PG {
    static let port: String? = ProcessInfo.processInfo.environment["LANDLORD_PG_PORT"].flatMap { $0.isEmpty ? nil : $0 }
    static var available: Bool { port != nil }
    static let disabledReason: Comment = "needs PostgreSQL 15: run `LANDLORD_PG_PORT=5433 scripts/postgres.sh start` and export LANDLORD_PG_PORT=5433"
    static var url: String { "postgres://landlord@127.0.0.1:\(port ?? "5433")/app" }

    static func provider() -> PostgresProvider { PostgresProvider(url: url, password: "landlord") }

    /// Runs SQL through psql, as an operator changing things by hand would; the rows, one a line.
    @discardableResult
    static func psql(_ sql: String, user: String = "landlord", password: String = "landlord", database: String = "app") async throws -> String {
        let run = try await Spawned.run(
            URL(fileURLWithPath: "/usr/bin/psql"),
            ["-h", "127.0.0.1", "-p", port ?? "5433", "-U", user, "-d", database, "-AtX", "-v", "ON_ERROR_STOP=1", "-c", sql],
            env: ["PGPASSWORD": password, "PGCONNECT_TIMEOUT": "10"])
        guard run.code == 0 else { throw Failure("psql failed (\(run.code)): \(run.stderr)") }
        return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A name no other test uses, so tests share one server side by side.
    static func unique(_ prefix: String) -> String { prefix + UUID().uuidString.prefix(8).lowercased() }
}

struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// A fleet in a temporary directory, planned and applied through the engine with one provider
/// serving `postgres.*` (the real one or the mock).
struct PGFleet {
    let dir: URL
    let registry: ProviderRegistry

    init(provider: any Provider, blueprint: String) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("landlord-pg-\(UUID().uuidString)")
        var registry = ProviderRegistry()
        registry.register(provider, prefix: "postgres")
        self.registry = registry
        try write("platform.yaml", "apiVersion: landlord/v1\nkind: Platform\nname: pgtest\nstate: {backend: local}\n")
        try write("blueprints/db.yaml", blueprint)
    }

    func write(_ relative: String, _ text: String) throws {
        let url = dir.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    /// Writes `tenants/ID.yaml` with these parameters (a YAML flow map's contents).
    func tenant(_ id: String, _ parameters: String) throws {
        try write("tenants/\(id).yaml", "apiVersion: landlord/v1\nkind: Tenant\nid: \(id)\nblueprint: db\nparameters: {\(parameters)}\n")
    }

    func workspace() throws -> Workspace {
        let (fleet, diags) = SpecLoader(schemas: registry.schemas).load(directory: dir)
        guard let fleet, !diags.hasErrors else { throw Failure("spec errors: \(diags.errors.map(\.description))") }
        return Workspace(fleet: fleet, store: LocalStateStore(directory: dir.appendingPathComponent(".landlord").path), providers: registry)
    }

    func plan(_ options: PlanOptions = PlanOptions()) async throws -> Plan {
        let planAndDiags = try await workspace().plan(options)
        let plan = planAndDiags.plan
        let diags = planAndDiags.diagnostics
        guard let plan else { throw Failure("plan failed: \(diags.errors.map(\.description))") }
        return plan
    }

    /// The planned changes as `NAME ACTION`, sorted.
    func changes(_ options: PlanOptions = PlanOptions()) async throws -> [String] {
        try await plan(options).tenants.flatMap { t in t.changes.map { "\($0.name) \($0.action.rawValue)" } }.sorted()
    }

    @discardableResult
    func apply(_ options: PlanOptions = PlanOptions(), parallelism: Int = 10, adopt: Bool = false) async throws -> ApplyResult {
        let ws = try workspace()
        let plan = try await plan(options)
        var o = ApplyOptions(parallelism: parallelism, holder: LockHolder(operation: "test"), platform: ws.fleet.platform.name)
        o.adopt = adopt
        return await ws.apply(plan, options: o)
    }

    /// Applies and requires success.
    func applyOK(_ options: PlanOptions = PlanOptions(), parallelism: Int = 10, adopt: Bool = false) async throws {
        let r = try await apply(options, parallelism: parallelism, adopt: adopt)
        if r.failed { throw Failure("apply failed: \(r.diagnostics.errors.map(\.description))") }
    }

    /// A recorded attribute (input or output) of a tenant's resource, revealed.
    func recorded(_ tenant: String, _ name: String, _ attribute: String) async throws -> Value? {
        let states = try await workspace().loadStates().tenants
        return states[tenant]?.resources[name]?.attributes[attribute]?.revealed
    }

    /// Forgets every state file: the state was lost.
    func loseState() throws { try FileManager.default.removeItem(at: dir.appendingPathComponent(".landlord")) }

    func remove() { try? FileManager.default.removeItem(at: dir) }
}

/// A tenant's database: an owner role, a reader group role, an application role in the group, a
/// schema the owner owns, the application role's grant on it. Names hold a quote, a double quote and a space, so any
/// unquoted SQL fails.
let databaseBlueprint = """
    apiVersion: landlord/v1
    kind: Blueprint
    name: db
    parameters:
      schemaName: {type: string}
      ownerName: {type: string}
      appName: {type: string}
      connectionLimit: {type: int, default: 5}
      login: {type: bool, default: true}
      privileges: {type: list, default: [USAGE, CREATE]}
      tablePrivileges: {type: list, default: [SELECT, INSERT]}
      deletion: {type: string, default: restrict}
    resources:
      owner:
        type: postgres.role
        properties: {name: "${ownerName}", login: "${login}", connectionLimit: "${connectionLimit}"}
      reader:
        type: postgres.role
        properties: {name: "${tenant.id}_reader"}
      app:
        type: postgres.role
        properties: {name: "${appName}", login: true, memberOf: ["${reader.name}"]}
      schema:
        type: postgres.schema
        properties: {name: "${schemaName}", owner: "${owner.name}", deletion: "${deletion}"}
      grant:
        type: postgres.grant
        properties:
          role: "${app.name}"
          schema: "${schema.name}"
          privileges: "${privileges}"
          tablePrivileges: "${tablePrivileges}"
          defaultPrivileges: true
    """
