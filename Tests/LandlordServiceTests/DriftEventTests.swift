import Foundation
import LandlordCore
import LandlordLifecycle
import LandlordTestSupport
import MockProvider
import ProviderAPI
import Testing

/// `landlord plan --refresh --shard K/N --emit-drift-events` through the binary: a change made
/// by hand in the simulated cloud gives its tenant one `landlord.tenant.drifted` event at the
/// platform's webhook, naming the resource and attribute; a tenant without drift gets none.
@Suite(.serialized) struct DriftEventTests {
    @Test func aRefreshingPlanSendsOneDriftedEventPerDriftedTenant() async throws {
        let receiver = EventOrderTests.Receiver()
        receiver.failing.withLock { $0 = false }
        let server = try await receiver.served()
        defer { server.stop() }
        let fleet = try CLIFleet("landlord-drift-events", platformExtra: server.webhookEvents())
        defer { fleet.remove() }
        let env = ["LANDLORD_STATE_FSYNC": "0", "LANDLORD_MOCK_LATENCY_MS": "0"]
        let applied = try await fleet.run(["apply", "--auto-approve"], env: env)
        #expect(applied.code == 0, "\(applied.all)")
        let drifted = { (t: String) in receiver.types(of: t).filter { $0 == "landlord.tenant.drifted" }.count }

        let clean = try await fleet.run(["plan", "--shard", "1/1", "--emit-drift-events", "--detailed-exitcode"], env: env)
        #expect(clean.code == 0, "\(clean.all)")
        #expect(drifted("acme") == 0 && drifted("globex") == 0)

        // Someone changes acme's backend target group by hand.
        let runtime = try await ServiceRuntime.load(root: fleet.dir, environment: env)
        let tg = try #require(try await runtime.store.loadTenant("acme")?.resources["backend_tg"])
        try MockCloud(path: fleet.dir.appendingPathComponent(".landlord/mock-cloud.json").path).transact { tx in
            guard var now = tx.get(type: tg.type, id: tg.id) else { return }
            now.attributes["healthCheckPath"] = "/changed-by-hand"
            tx.put(now)
        }
        let found = try await fleet.run(
            ["plan", "--refresh=true", "--shard", "1/1", "--emit-drift-events", "--detailed-exitcode"], env: env)
        #expect(found.code == 2, "\(found.all)")
        #expect(found.stderr.contains("Drift: 1 tenant drifted"))
        #expect(drifted("acme") == 1)
        #expect(drifted("globex") == 0)
        let event = try #require(
            receiver.events.withLock { $0.first { $0["type"]?.stringValue == "landlord.tenant.drifted" } })
        let data = event["data"]?.mapValue ?? [:]
        #expect(data["tenantId"]?.stringValue == "acme" && data["status"]?.stringValue == "drifted")
        let drift = data["drift"]?.listValue?.first?.mapValue ?? [:]
        #expect(drift["address"]?.stringValue == "acme/backend_tg")
        #expect(drift["attributes"]?.listValue?.contains(.string("healthCheckPath")) == true)

        let refused = try await fleet.run(["plan", "--refresh=false", "--emit-drift-events"], env: env)
        #expect(refused.code != 0 && refused.code != 2)
        #expect(refused.stderr.contains("--emit-drift-events needs a refreshing plan"))
    }
}
