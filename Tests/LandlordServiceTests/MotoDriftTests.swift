import AWSClient
import Foundation
import LandlordCore
import LandlordTestSupport
import ProviderAPI
import Testing

@testable import LandlordLifecycle

/// Scheduled drift detection (issue 27) with the AWS provider against moto: an item of a
/// tenant changed in DynamoDB outside Landlord is found by one check (run directly, as the
/// schedule would), shown in the tenant's and the fleet's drift, announced, and put back with
/// `reconcile: auto`; the check's provider calls stay within `callsPerSecond`.
@Suite(.serialized, .enabled(if: Moto.available, Moto.disabledReason)) struct MotoDriftTests {
    @Test func driftInMotoIsFoundAndPutBack() async throws {
        let client = try Moto.client()
        let table = "drift-\(UUID().uuidString.prefix(8).lowercased())"
        let create = """
            {"TableName":"\(table)","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],
             "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}
            """
        _ = try await client.json(.dynamodb, operation: "CreateTable", body: Data(create.utf8))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("moto-drift-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = [
            "platform.yaml":
                "apiVersion: landlord/v1\nkind: Platform\nname: p\nprovider: {aws: {region: us-east-1}}\nstate: {backend: local}\n"
                + "events: {webhooks: [{url: \"http://127.0.0.1:9/events\"}]}\ndrift: {every: 1h, callsPerSecond: 5}\n",
            "blueprints/bp.yaml": """
            apiVersion: landlord/v1
            kind: Blueprint
            name: bp
            reconcile: auto
            resources:
              record:
                type: aws.dynamodb_item
                properties: {table: \(table), key: {pk: "rec#${tenant.id}"}, item: {seats: 5}}
            """,
        ]
        for (path, text) in files {
            let url = dir.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("tenants"), withIntermediateDirectories: true)
        var env = Moto.environment
        env["LANDLORD_STATE_FSYNC"] = "0"
        let runtime = try await ServiceRuntime.load(root: dir, environment: env)
        let service = try TenantService(runtime: runtime, environment: env, lockTimeout: 5, log: { _ in })
        _ = await service.create(TenantRequest(id: "acme", blueprint: "bp"))
        await service.settle()
        #expect(await service.record("acme")?.status == .active)

        func seats() async throws -> Value? {
            let body = #"{"TableName":"\#(table)","Key":{"pk":{"S":"rec#acme"}},"ConsistentRead":true}"#
            let out = try JSON.parse(Array(try await client.json(.dynamodb, operation: "GetItem", body: Data(body.utf8))))
            return out["Item"]?["seats"]
        }
        #expect(try await seats() == ["N": "5"])
        let schedule = try #require(runtime.fleet.platform.drift)
        await service.checkDrift(schedule)
        #expect(await service.drift.isEmpty)

        // Someone changes the item by hand.
        let put = #"{"TableName":"\#(table)","Item":{"pk":{"S":"rec#acme"},"seats":{"N":"50"}}}"#
        _ = try await client.json(.dynamodb, operation: "PutItem", body: Data(put.utf8))
        await service.checkDrift(schedule)
        let finding = try #require(await service.drift["acme"])
        #expect(finding.resources.listValue?.first?["address"]?.stringValue == "acme/record", "\(JSON.string(finding.resources))")
        #expect(finding.reconcile == "queued")
        guard case .success(let summary) = await service.driftSummary() else {
            Issue.record("no drift summary")
            return
        }
        #expect(summary["tenants"]?.listValue?.first?["id"]?.stringValue == "acme")
        let peak = summary["lastCheck"]?["peakCallsPerSecond"]?.intValue ?? 99
        #expect(peak <= 5, "\(JSON.string(summary))")
        let calls = summary["lastCheck"]?["calls"]?.intValue ?? 0
        print("scheduled drift against moto: one check made \(calls) provider call(s), at most \(peak) in one second (budget 5)")
        let outbox = dir.appendingPathComponent(".landlord/service/outbox")
        let names = FileManager.default.enumerator(atPath: outbox.path)?.compactMap { $0 as? String } ?? []
        let types = names.filter { $0.hasSuffix(".json") }.compactMap { name in
            (try? JSON.parse(Array(try Data(contentsOf: outbox.appendingPathComponent(name)))))?["type"]?.stringValue
        }
        #expect(types.contains("landlord.tenant.drifted"), "\(types)")

        // reconcile: auto queued the apply; it puts the item back.
        await service.settle()
        #expect(await service.record("acme")?.status == .active)
        #expect(try await seats() == ["N": "5"])
        await service.checkDrift(schedule)
        #expect(await service.drift.isEmpty)
    }
}
