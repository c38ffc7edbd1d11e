import Foundation
import LandlordCore
import LandlordService
import LandlordTestSupport
import ProviderAPI
import Testing

/// `landlord serve` runs the blueprints' health checks for the tenants it provisions: one that
/// fails them is `failed`, and with `rollout: {onFailure: rollback}` its resources are removed.
@Suite(.serialized) struct HealthCheckTests {
    @Test func aNewTenantFailingItsHealthChecksIsFailedAndRolledBack() async throws {
        let f = try ServiceFixture(events: "rollout: {onFailure: rollback}\n")
        // The tenants' health endpoint: 500 for a backend image tagged "bad", read from the simulated cloud.
        let portFile = f.dir.appendingPathComponent("health.port").path
        let server = try Spawned(
            URL(fileURLWithPath: "/usr/bin/env"),
            ["python3", repoRoot.appendingPathComponent("examples/rollouts/health.py").path, f.dir.path, "0", portFile])
        defer { kill(server.pid, SIGKILL) }
        #expect(await eventually(within: 20) { FileManager.default.fileExists(atPath: portFile) })
        let port = try String(contentsOfFile: portFile, encoding: .utf8)
        var web = try f.read("blueprints/web.yaml")
        web += "health:\n  - http: {url: \"http://127.0.0.1:\(port)/health/${tenant.id}\", timeout: 2s, interval: 0.25s}\n"
        try f.write("blueprints/web.yaml", web)
        try await f.start()
        let good = try await f.create("healthy1")
        #expect(good.status == 202, "\(good.text)")
        try await f.wait("healthy1", for: "active")
        let bad = try await f.call(
            "POST", "/v1/tenants",
            json: #"{"id": "broken1", "blueprint": "web", "parameters": {"subdomain": "sub-broken1", "backendImage": "img:bad"}}"#)
        #expect(bad.status == 202, "\(bad.text)")
        let failed = try await f.wait("broken1", for: "failed")
        let message = failed["error"]?["message"]?.stringValue ?? ""
        #expect(message.contains("failed its health checks; its resources were rolled back"), "\(message)")
        #expect(message.contains("/health/broken1 -> 500"), "\(message)")
        await f.stop()
        // Nothing of it is left in the cloud; the healthy tenant is untouched.
        let cloud =
            try String(contentsOf: f.dir.appendingPathComponent(".landlord/mock-cloud.json"), encoding: .utf8)
            + ((try? String(contentsOf: f.dir.appendingPathComponent(".landlord/mock-cloud.json.journal"), encoding: .utf8)) ?? "")
        let runtime = try await ServiceRuntime.load(root: f.dir, environment: f.env)
        #expect(try await runtime.store.loadTenant("broken1")?.resources.isEmpty == true)
        #expect(try await runtime.store.loadTenant("healthy1")?.resources.count == 14)
        #expect(cloud.contains("healthy1"))
    }
}
