import Foundation
import LandlordCore
import LandlordLifecycle
import LandlordTestSupport
import MockProvider
import ProviderAPI
import Testing

/// `landlord destroy` through the binary honours `deletion:`: the quickstart's user pool with
/// `deletion: retain` stays in the simulated cloud and leaves state; its tenant record with
/// `deletion: snapshot` is exported to platform.yaml's `exports: {directory: ...}` (location and
/// SHA-256 in the tenant's state and in its `landlord.tenant.deleted` event) and then deleted.
@Suite struct DeletionPolicyCLITests {
    @Test func destroyRetainsAndSnapshotsAsTheBlueprintSays() async throws {
        let receiver = EventOrderTests.Receiver()
        receiver.failing.withLock { $0 = false }
        let server = try await receiver.served()
        defer { server.stop() }
        let fleet = try CLIFleet("landlord-deletion-cli", platformExtra: "exports: {directory: tenant-exports}\n" + server.webhookEvents())
        defer { fleet.remove() }
        let bp = fleet.dir.appendingPathComponent("blueprints/web.yaml")
        var text = try String(contentsOf: bp, encoding: .utf8)
        text = text.replacingOccurrences(
            of: "    properties: {name: \"${tenant.id}-users\"}\n", with: "    properties: {name: \"${tenant.id}-users\"}\n    deletion: retain\n")
        text = text.replacingOccurrences(
            of: "  record:\n    type: aws.dynamodb_item\n", with: "  record:\n    type: aws.dynamodb_item\n    deletion: snapshot\n")
        try text.write(to: bp, atomically: true, encoding: .utf8)
        let env = ["LANDLORD_STATE_FSYNC": "0", "LANDLORD_MOCK_LATENCY_MS": "0"]
        let applied = try await fleet.run(["apply", "--auto-approve"], env: env)
        #expect(applied.code == 0, "\(applied.all)")

        let destroyed = try await fleet.run(["destroy", "--tenant", "acme", "--auto-approve", "--no-color"], env: env)
        #expect(destroyed.code == 0, "\(destroyed.all)")
        #expect(destroyed.stdout.contains("# acme/users will be retained (deletion: retain)"))
        #expect(destroyed.stdout.contains("# acme/record will be exported, then destroyed (deletion: snapshot)"))

        let cloud = try MockCloud(path: fleet.dir.appendingPathComponent(".landlord/mock-cloud.json").path).snapshot()
        let pools = cloud.filter { $0.type == "aws.cognito_user_pool" }.compactMap { $0.attributes["name"]?.stringValue }
        #expect(pools.contains("acme-users"), "retained: still in the cloud")
        let records = cloud.filter { $0.type == "aws.dynamodb_item" }.map(\.id)
        #expect(!records.contains { $0.contains("tenant#acme") }, "snapshotted: deleted")
        #expect(cloud.filter { $0.tags["landlord:tenant"] == "acme" && $0.type != "aws.cognito_user_pool" }.isEmpty)

        let runtime = try await ServiceRuntime.load(root: fleet.dir, environment: env)
        let state = try #require(try await runtime.store.loadTenant("acme"))
        #expect(state.resources.isEmpty)
        let export = try #require(state.exports["record"])
        #expect(export.location.hasPrefix(fleet.dir.appendingPathComponent("tenant-exports/acme/record-").path))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: export.location))
        #expect(Digest.sha256Hex(bytes) == export.sha256)
        #expect(String(decoding: bytes, as: UTF8.self).contains("tenant#acme"))
        // The deleted event lists the export.
        let deleted = try #require(receiver.events.withLock { $0.first { $0["type"]?.stringValue == "landlord.tenant.deleted" } })
        let listed = deleted["data"]?.mapValue?["exports"]?.listValue?.first?.mapValue ?? [:]
        #expect(listed["resource"]?.stringValue == "record")
        #expect(listed["sha256"]?.stringValue == export.sha256 && listed["location"]?.stringValue == export.location)
    }
}
