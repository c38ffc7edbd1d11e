import Foundation
import LandlordTestSupport
import ProviderAPI
import Testing

/// `landlord tenant ...` (no service) and `landlord-server` on one fleet: what the CLI created
/// the service serves after it starts, and the CLI refuses while the service holds the lock.
@Suite struct TenantCLITests {
    @Test func cliTenantsAreTheServiceTenantsAndTheCLIWaitsForNoService() async throws {
        let f = try ServiceFixture()
        let landlord = Spawned.landlordBinary(repoRoot: repoRoot)
        let made = try await Spawned.run(
            landlord,
            [
                "-C", f.dir.path, "tenant", "create", "--id", "cli-one", "--blueprint", "web", "--param", "subdomain=cli-one", "--param",
                "backendImage=img:1",
            ],
            env: f.env)
        #expect(made.code == 0, "\(made.all)")
        let gated = try await Spawned.run(
            landlord,
            [
                "-C", f.dir.path, "tenant", "create", "--id", "cli-two", "--blueprint", "gated", "--param", "subdomain=cli-two", "--param",
                "backendImage=img:1",
            ],
            env: f.env)
        #expect(gated.code == 0, "\(gated.all)")

        let server = try await CrashTests.start(f)
        let one = try await f.call("GET", "/v1/tenants/cli-one")
        #expect(one.status == 200)
        #expect(one.body["status"]?.stringValue == "active", "\(one.text)")
        #expect(one.body["resources"] == .int(14))
        #expect(one.body["outputs"]?["url"]?.stringValue != nil, "\(one.text)")
        let two = try await f.call("GET", "/v1/tenants/cli-two")
        #expect(two.body["status"]?.stringValue == "pending_approval", "\(two.text)")

        // While the service runs, the CLI refuses and says where to go instead.
        let refused = try await Spawned.run(landlord, ["-C", f.dir.path, "tenant", "approve", "cli-two"], env: f.env)
        #expect(refused.code == 1)
        #expect(refused.stderr.contains("landlord serve") && refused.stderr.contains("service lock"), "\(refused.all)")
        #expect(try await f.call("GET", "/v1/tenants/cli-two").body["status"]?.stringValue == "pending_approval")

        // The service approves what the CLI created.
        #expect(try await f.call("POST", "/v1/tenants/cli-two/approve").status == 202)
        try await f.wait("cli-two", for: "active")
        kill(server.pid, SIGTERM)
        _ = await server.finish()

        // Stopped: the CLI takes over again and sees the service's work.
        let shown = try await Spawned.run(landlord, ["-C", f.dir.path, "tenant", "show", "cli-two", "--json"], env: f.env)
        #expect(shown.code == 0, "\(shown.all)")
        #expect(shown.stdout.contains("\"status\" : \"active\"") || shown.stdout.contains("\"status\": \"active\""), "\(shown.stdout)")
    }

    /// `--event-wait`: 0 returns with the event still in the outbox (a warning says so); a
    /// longer wait returns once the events are delivered (the receiver refuses the first
    /// delivery, so one retry is needed).
    @Test func eventWaitDecidesWhetherTheCommandWaitsForDelivery() async throws {
        let receiver = WebhookTests.Receiver()
        let server = try await receiver.served()
        defer { server.stop() }
        let f = try ServiceFixture(events: server.webhookEvents(secretEnv: "HOOK_SECRET"), env: ["HOOK_SECRET": "s3cret"])
        let landlord = Spawned.landlordBinary(repoRoot: repoRoot)
        let quick = try await Spawned.run(
            landlord,
            [
                "-C", f.dir.path, "tenant", "create", "--id", "evw", "--blueprint", "gated", "--param", "subdomain=evw", "--param",
                "backendImage=img:1",
                "--event-wait", "0",
            ],
            env: f.env)
        #expect(quick.code == 0, "\(quick.all)")
        #expect(quick.stderr.contains("not yet delivered"), "\(quick.all)")
        #expect(receiver.deliveries.withLock { $0.count } == 0)
        let waited = try await Spawned.run(
            landlord, ["-C", f.dir.path, "tenant", "reject", "evw", "--reason", "test", "--event-wait", "30"], env: f.env)
        #expect(waited.code == 0, "\(waited.all)")
        #expect(!waited.stderr.contains("not yet delivered"), "\(waited.all)")
        let types = receiver.deliveries.withLock { $0 }.compactMap { try? JSON.parse($0.body).mapValue?["type"]?.stringValue }
        #expect(types == ["landlord.tenant.pending_approval", "landlord.tenant.rejected"], "\(types)")
    }
}
