import Foundation
import LandlordCore
import LandlordTestSupport
import ProviderAPI
import Testing

/// `deletion: snapshot` of a `postgres.schema` on a real PostgreSQL 15: the tenant's removal
/// dumps the schema with pg_dump before dropping it, and psql restores the dump into a fresh
/// database with the same rows.
@Suite(.enabled(if: PG.available, PG.disabledReason)) struct PostgresSnapshotTests {
    @Test func snapshotRestoresIntoAFreshDatabase() async throws {
        let name = PG.unique("snap")
        let fleet = try PGFleet(provider: PG.provider(), blueprint: policyBlueprint("snapshot"))
        defer { fleet.remove() }
        try fleet.write("platform.yaml", exportingPlatform)
        try fleet.tenant(name, "schemaName: \(name)")
        let exports = fleet.dir.appendingPathComponent("exports").path
        let ws = try fleet.withExports(PG.provider(), exports)
        let (_, created) = try await fleet.run(ws)
        #expect(!created.failed, "\(created.diagnostics.errors.map(\.description))")
        try await PG.psql(
            "CREATE TABLE \(name).items (id int PRIMARY KEY, label text); "
                + "INSERT INTO \(name).items VALUES (1, 'one'), (2, 'two''s'), (3, NULL)")
        let rows = try await PG.psql("SELECT id, coalesce(label, '<null>') FROM \(name).items ORDER BY id")

        try FileManager.default.removeItem(at: fleet.dir.appendingPathComponent("tenants/\(name).yaml"))
        let (_, removed) = try await fleet.run(try fleet.withExports(PG.provider(), exports))
        #expect(!removed.failed, "\(removed.diagnostics.errors.map(\.description))")
        #expect(try await PG.psql("SELECT count(*) FROM pg_namespace WHERE nspname = '\(name)'") == "0")
        let export = try #require(removed.tenants.first?.exports["schema"])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: export.location))
        #expect(Digest.sha256Hex(bytes) == export.sha256)

        // Restored by psql into a database that never held it.
        let fresh = PG.unique("restore")
        try await PG.psql("CREATE DATABASE \(fresh)")
        let run = try await Spawned.run(
            URL(fileURLWithPath: "/usr/bin/psql"),
            ["-h", "127.0.0.1", "-p", PG.port ?? "5433", "-U", "landlord", "-d", fresh, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", export.location],
            env: ["PGPASSWORD": "landlord", "PGCONNECT_TIMEOUT": "10"])
        #expect(run.code == 0, "\(run.stderr)")
        #expect(try await PG.psql("SELECT id, coalesce(label, '<null>') FROM \(name).items ORDER BY id", database: fresh) == rows)
        try await PG.psql("DROP DATABASE \(fresh)")
    }
}
