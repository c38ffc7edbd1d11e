import Foundation
import LandlordTestSupport
import Testing

/// The `landlord` binary with `provider: {postgres: {url, passwordEnv}}` in platform.yaml
/// registers the PostgreSQL provider (and `--mock` the simulated server instead).
@Suite(.enabled(if: PG.available, PG.disabledReason)) struct PostgresCLITests {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func platformYamlNamesTheServerAndThePasswordVariable() async throws {
        let tenant = PG.unique("cli")
        let fleet = try PGFleet(provider: PG.provider(), blueprint: databaseBlueprint)
        defer { fleet.remove() }
        try fleet.write(
            "platform.yaml",
            "apiVersion: landlord/v1\nkind: Platform\nname: cli\nprovider:\n  postgres: {url: \"\(PG.url)\", passwordEnv: CLI_PG_SECRET}\n")
        try fleet.tenant(tenant, "schemaName: \(tenant), ownerName: \(tenant)_owner, appName: \(tenant)_app")
        let binary = Spawned.landlordBinary(repoRoot: Self.repoRoot)
        func landlord(_ args: [String], password: String?) async throws -> ProcessRun {
            var env = ["NO_COLOR": "1", "PGPASSWORD": ""]
            if let password { env["CLI_PG_SECRET"] = password }
            return try await Spawned.run(binary, ["-C", fleet.dir.path] + args, env: env)
        }

        // `landlord providers` lists the built-in PostgreSQL provider and its types.
        let providers = try await landlord(["providers"], password: nil)
        #expect(providers.code == 0, "\(providers.all)")
        let row = try #require(providers.stdout.split(separator: "\n").first { $0.hasPrefix("postgres ") }, "\(providers.stdout)")
        #expect(row.hasSuffix("postgres.grant, postgres.role, postgres.schema"), "\(row)")

        // The mock first: nothing reaches the server.
        let dry = try await landlord(["plan", "--mock"], password: nil)
        #expect(dry.code == 0, "\(dry.all)")
        #expect(dry.stdout.contains("Plan: 5 to create"))

        let applied = try await landlord(["apply", "--auto-approve"], password: "landlord")
        #expect(applied.code == 0, "\(applied.all)")
        #expect(try await PG.psql("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = '\(tenant)'") == "\(tenant)_owner")
        let again = try await landlord(["plan", "--detailed-exitcode"], password: "landlord")
        #expect(again.code == 0, "\(again.all)")

        // Without the password the refresh fails and says where the password comes from.
        let noPassword = try await landlord(["plan"], password: nil)
        #expect(noPassword.code == 1)
        #expect(noPassword.stderr.contains("$CLI_PG_SECRET (provider.postgres.passwordEnv), which is not set"), "\(noPassword.stderr)")

        let destroyed = try await landlord(["destroy", "--tenant", tenant, "--auto-approve"], password: "landlord")
        #expect(destroyed.code == 0, "\(destroyed.all)")
        #expect(try await PG.psql("SELECT count(*) FROM pg_roles WHERE rolname LIKE '\(tenant)%'") == "0")
    }
}
