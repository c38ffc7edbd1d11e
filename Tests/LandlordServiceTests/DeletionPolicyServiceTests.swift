import Foundation
import LandlordCore
import LandlordTestSupport
import MockProvider
import ProviderAPI
import Testing

/// The service's `DELETE /v1/tenants/ID` goes through the same engine and wiring as `landlord
/// destroy`, so it honours `deletion:` too: the retained user pool stays, the tenant record is
/// exported to platform.yaml's `exports:` directory before it is deleted.
@Suite struct DeletionPolicyServiceTests {
    @Test func deleteThroughTheServiceRetainsAndSnapshots() async throws {
        let f = try ServiceFixture(events: "exports: {directory: tenant-exports}\n")
        let bp = f.dir.appendingPathComponent("blueprints/web.yaml")
        var text = try String(contentsOf: bp, encoding: .utf8)
        text = text.replacingOccurrences(
            of: "    properties: {name: \"${tenant.id}-users\"}\n", with: "    properties: {name: \"${tenant.id}-users\"}\n    deletion: retain\n")
        text = text.replacingOccurrences(
            of: "  record:\n    type: aws.dynamodb_item\n", with: "  record:\n    type: aws.dynamodb_item\n    deletion: snapshot\n")
        try text.write(to: bp, atomically: true, encoding: .utf8)
        try await f.start()
        _ = try await f.create("del1")
        try await f.wait("del1", for: "active")
        _ = try await f.call("DELETE", "/v1/tenants/del1")
        try await f.wait("del1", for: "deleted")
        await f.stop()

        let cloud = try MockCloud(path: f.dir.appendingPathComponent(".landlord/mock-cloud.json").path).snapshot()
        #expect(cloud.contains { $0.type == "aws.cognito_user_pool" && $0.attributes["name"]?.stringValue == "del1-users" })
        #expect(!cloud.contains { $0.type == "aws.dynamodb_item" && $0.id.contains("tenant#del1") })
        let saved = try FileManager.default.contentsOfDirectory(atPath: f.dir.appendingPathComponent("tenant-exports/del1").path)
        #expect(saved.count == 1 && saved.first?.hasPrefix("record-") == true)
    }
}
