import AWSClient
import AWSProvider
import FleetWiring
import Foundation
import LandlordCore
import LandlordLocalState
import LandlordTestSupport
import ProviderAPI
import Testing

/// `deletion: retain` and `snapshot` on `aws.dynamodb_item` through the engine against moto,
/// with `exports: {s3: ...}`: the retained item stays in its table and leaves state; the
/// snapshotted one is written to the bucket as DynamoDB JSON (location and SHA-256 recorded)
/// before it is deleted.
extension MotoTests {
    @Suite struct DeletionPolicyMotoTests {
        @Test func retainKeepsTheItemAndSnapshotExportsToS3BeforeDeleting() async throws {
            let client = try Moto.client()
            let table = try await Fixtures(client: client).table(Moto.unique("records"))
            let bucket = Moto.unique("exports")
            try await client.s3CreateBucket(bucket)
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("policy-moto-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: dir) }
            let files = [
                "platform.yaml":
                    "apiVersion: landlord/v1\nkind: Platform\nname: p\nprovider: {aws: {region: us-east-1}}\n"
                    + "exports: {s3: {bucket: \(bucket), prefix: landlord/}}\n",
                "blueprints/bp.yaml": """
                apiVersion: landlord/v1
                kind: Blueprint
                name: bp
                resources:
                  kept:
                    type: aws.dynamodb_item
                    properties: {table: \(table), key: {pk: "kept#${tenant.id}"}, item: {plan: gold}}
                    deletion: retain
                  record:
                    type: aws.dynamodb_item
                    properties: {table: \(table), key: {pk: "rec#${tenant.id}"}, item: {seats: 5, name: "it's"}}
                    deletion: snapshot
                """,
                "tenants/acme.yaml": "apiVersion: landlord/v1\nkind: Tenant\nid: acme\nblueprint: bp\n",
            ]
            for (path, text) in files {
                let url = dir.appendingPathComponent(path)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try text.write(to: url, atomically: true, encoding: .utf8)
            }
            let (loaded, diags) = SpecLoader(schemas: AWSProvider.resourceSchema.resources).load(directory: dir)
            let fleet = try #require(loaded, "\(diags.errors.map(\.description))")
            var registry = ProviderRegistry([Moto.provider()])
            registry.exports = FleetWiring.exportStore(fleet, root: dir, environment: Moto.environment)
            let ws = Workspace(fleet: fleet, store: LocalStateStore(directory: dir.appendingPathComponent(".landlord").path), providers: registry)
            let options = ApplyOptions(holder: LockHolder(operation: "test"), platform: "p")

            let created = await ws.plan(PlanOptions()).plan
            #expect(await ws.apply(try #require(created), options: options).failed == false)
            let destroy = await ws.plan(PlanOptions(destroy: ["acme"])).plan
            let plan = try #require(destroy)
            #expect(plan.summary.retain == 1 && plan.summary.delete == 1)
            let result = await ws.apply(plan, options: options)
            #expect(!result.failed, "\(result.diagnostics.errors.map(\.description))")

            func item(_ pk: String) async throws -> Value? {
                let body = #"{"TableName":"\#(table)","Key":{"pk":{"S":"\#(pk)"}},"ConsistentRead":true}"#
                let out = try JSON.parse(Array(try await client.json(.dynamodb, operation: "GetItem", body: Data(body.utf8))))
                return out.mapValue?["Item"]
            }
            #expect(try await item("kept#acme") != nil, "retained: still in the table")
            #expect(try await item("rec#acme") == nil, "snapshotted: deleted after its export")
            let states = try await ws.loadStates().tenants
            #expect(states["acme"]?.resources.isEmpty == true)
            let export = try #require(result.tenants.first?.exports["record"])
            #expect(export.location.hasPrefix("s3://\(bucket)/landlord/acme/record-") && export.location.hasSuffix(".json"))
            let key = String(export.location.dropFirst("s3://\(bucket)/".count))
            let object = try #require(try await client.s3GetObject(bucket: bucket, key: key))
            #expect(Digest.sha256Hex(object.body) == export.sha256)
            let doc = try JSON.parse(Array(object.body)).mapValue ?? [:]
            #expect(doc["TableName"]?.stringValue == table)
            #expect(doc["Item"]?.mapValue?["name"] == ["S": "it's"])
            #expect(doc["Item"]?.mapValue?["seats"] == ["N": "5"])
            #expect(states["acme"]?.exports["record"] == export)
        }
    }
}
