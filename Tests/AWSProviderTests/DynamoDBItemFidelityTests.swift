import AWSClient
import AWSProvider
import AWSSchema
import Foundation
import LandlordTestSupport
import MockProvider
import ProviderAPI
import Testing

/// `aws.dynamodb_item` on the mock and on moto from the same inputs: an `item` that repeats its
/// key attributes (as AWS's GetItem returns them) plans clean on both, by a single read and by
/// the BatchGetItem list read, and an item that repeats a key attribute with another value is
/// refused by both before anything is written.
extension MotoTests {
    @Suite struct DynamoDBItemFidelityTests {
        /// A mock provider on a fresh simulated cloud.
        static func mock() -> MockProvider {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dynamo-fidelity-\(UUID().uuidString)")
            try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            return MockProvider(cloudPath: dir.appendingPathComponent("cloud.json").path)
        }

        /// What `landlord plan` shows for `created` after `provider` reads it back.
        static func planned(_ provider: some Provider, _ created: ResourceObject, _ properties: [String: Value], tenant: Tenant) async throws
            -> String
        {
            let response = await provider.read(ReadRequest(resources: [created]))
            #expect(response.diagnostics.isEmpty, "\(response.diagnostics)")
            let fresh = response.resources.first ?? nil
            let (action, changed) = try EnginePlan.action(
                created.type, properties: properties, tenant: tenant.id, recorded: created, refreshed: .some(fresh))
            return action == .update ? "update " + changed.joined(separator: ",") : action.rawValue
        }

        @Test func itemRepeatingItsKeyPlansCleanOnMockAndMoto() async throws {
            let table = try await Fixtures(client: try Moto.client()).table(Moto.unique("tenants"))
            let t = Tenant()
            let pk: Value = .string("tenant#\(t.id)")
            let inputs: [String: Value] = ["table": .string(table), "key": ["pk": pk], "item": ["pk": pk, "status": "active", "seats": 5]]
            let aws = Moto.provider()
            let mock = Self.mock()

            let onMoto = try await aws.applyOK(t.create(AWSResourceTypes.dynamoItem, "record", inputs))
            let onMock = try #require(await mock.apply(t.create(AWSResourceTypes.dynamoItem, "record", inputs)).resource)
            #expect(try await Self.planned(aws, onMoto, inputs, tenant: t) == "noop")
            #expect(try await Self.planned(mock, onMock, inputs, tenant: t) == "noop")
            // The list read (BatchGetItem) answers as the single read does.
            let group = try #require(aws.readGroup(for: onMoto))
            let listed = await aws.readMany(group: group, resources: [onMoto])
            #expect(listed.diagnostics.isEmpty, "\(listed.diagnostics)")
            #expect(listed.resources.first??.attributes["item"] == inputs["item"])
            // Import by natural key keeps the asked shape; the same item without the repeated key
            // reads without it.
            let found = await aws.importResources(ImportRequest(type: AWSResourceTypes.dynamoItem, identity: t.identity("record"), inputs: inputs))
            #expect(found.resources.first?.attributes["item"] == inputs["item"])
            var plain = inputs
            plain["item"] = ["status": "active", "seats": 5]
            #expect(try await Self.planned(aws, ResourceObject(type: onMoto.type, id: onMoto.id, attributes: plain), plain, tenant: t) == "noop")

            // A change out of band is drift on both (the engine plans an update of `item`).
            _ = try await Moto.client().json(
                .dynamodb, operation: "PutItem",
                body: Data(#"{"TableName":"\#(table)","Item":{"pk":{"S":"tenant#\#(t.id)"},"status":{"S":"suspended"},"seats":{"N":"5"}}}"#.utf8))
            #expect(try await Self.planned(aws, onMoto, inputs, tenant: t) == "update item")
            _ = try await aws.applyOK(t.delete(onMoto, "record"))
        }

        @Test func itemRepeatingAKeyAttributeWithAnotherValueIsRefusedByBoth() async throws {
            let table = try await Fixtures(client: try Moto.client()).table(Moto.unique("tenants"))
            let t = Tenant()
            let inputs: [String: Value] = [
                "table": .string(table), "key": ["pk": .string("tenant#\(t.id)")], "item": ["pk": "tenant#other", "status": "active"],
            ]
            let onMoto = await Moto.provider().apply(t.create(AWSResourceTypes.dynamoItem, "record", inputs))
            let onMock = await Self.mock().apply(t.create(AWSResourceTypes.dynamoItem, "record", inputs))
            for response in [onMoto, onMock] {
                #expect(response.resource == nil)
                #expect(response.diagnostics.first?.code == "InvalidInput")
                #expect(response.diagnostics.first?.attribute == "item")
                #expect(response.diagnostics.first.map { "\($0.summary) \($0.detail)" }?.contains("remove 'pk' from 'item'") == true)
            }
            // Nothing was written.
            let read = await Moto.provider().importResources(
                ImportRequest(type: AWSResourceTypes.dynamoItem, identity: t.identity("record"), inputs: inputs))
            #expect(read.resources.isEmpty)
        }
    }
}
