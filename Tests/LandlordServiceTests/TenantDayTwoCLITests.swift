import Foundation
import LandlordTestSupport
import ProviderAPI
import Testing

/// `landlord tenant update|suspend|resume` (no service), through the binary: the same lifecycle
/// calls as the API's PATCH and POST .../suspend|resume.
@Suite struct TenantDayTwoCLITests {
    @Test func updateSuspendAndResumeFromTheCLI() async throws {
        let f = try TenantSuspensionTests.fleet()
        let landlord = Spawned.landlordBinary(repoRoot: repoRoot)
        func run(_ args: [String]) async throws -> ProcessRun { try await Spawned.run(landlord, ["-C", f.dir.path] + args, env: f.env) }
        let made = try await run([
            "tenant", "create", "--id", "cli-up", "--blueprint", "web", "--param", "subdomain=cli-up", "--param", "backendImage=img:1",
        ])
        #expect(made.code == 0, "\(made.all)")

        let bad = try await run(["tenant", "update", "cli-up", "--set", "replicas=two"])
        #expect(bad.code == 1)
        #expect(bad.stderr.contains("parameters.replicas"), "\(bad.all)")
        let up = try await run(["tenant", "update", "cli-up", "--set", "replicas=3", "--json"])
        #expect(up.code == 0, "\(up.all)")
        #expect(try f.read("tenants/cli-up.yaml").contains("\"replicas\": 3"))
        #expect(up.stdout.contains("\"replicas\" : 3") || up.stdout.contains("\"replicas\": 3"), "\(up.stdout)")

        let sus = try await run(["tenant", "suspend", "cli-up"])
        #expect(sus.code == 0 && sus.stdout.contains("tenant cli-up: suspended"), "\(sus.all)")
        #expect(try f.read("tenants/cli-up.yaml").hasSuffix("suspended: true\n"))
        let plan = try await run(["plan", "--detailed-exitcode"])
        #expect(plan.code == 0, "a suspended tenant plans clean: \(plan.all)")
        let res = try await run(["tenant", "resume", "cli-up"])
        #expect(res.code == 0 && res.stdout.contains("tenant cli-up: active"), "\(res.all)")
        #expect(try !f.read("tenants/cli-up.yaml").contains("suspended"))
    }
}
