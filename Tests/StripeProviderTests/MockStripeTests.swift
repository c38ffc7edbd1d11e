import Foundation
import MockProvider
import ProviderAPI
import StripeSchema
import Testing

/// `stripe.customer` in the simulated cloud: served under its own prefix, Stripe-shaped ids,
/// Stripe's limits refused as Stripe refuses them, adoption by the landlord tags.
@Suite struct MockStripeTests {
    func provider() -> (MockProvider, URL) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mock-stripe-\(UUID().uuidString)")
        return (MockProvider(cloudPath: dir.appendingPathComponent("cloud.json").path, settings: MockSettings()), dir)
    }

    let identity = ResourceIdentity(address: "acme/billing", tenant: "acme", platform: "demo")

    @Test func mockSchemaIsTheUnionOfEveryBuiltInSchema() {
        #expect(
            MockProvider.resourceSchema.resources[StripeResourceTypes.customer] == StripeResourceTypes.schema.resources[StripeResourceTypes.customer])
        #expect(MockProvider.resourceSchema.resources["aws.lb_target_group"] != nil)
    }

    @Test func customerLifecycleWithStripesConstraints() async throws {
        let (mock, dir) = provider()
        defer { try? FileManager.default.removeItem(at: dir) }
        let inputs: [String: Value] = ["name": "Acme", "metadata": .map(["plan": "gold", "legacy": "yes"])]
        let created = await mock.apply(
            ApplyRequest(operation: .create, type: StripeResourceTypes.customer, identity: identity, prior: nil, inputs: inputs, clientToken: "t"))
        #expect(created.diagnostics.isEmpty, "\(created.diagnostics)")
        let customer = try #require(created.resource)
        #expect(customer.id.hasPrefix("cus_") && customer.id.count == 18)
        #expect(customer.attributes["id"] == .string(customer.id))

        let updated = await mock.apply(
            ApplyRequest(
                operation: .update, type: StripeResourceTypes.customer, identity: identity, prior: customer,
                inputs: ["name": "Acme", "metadata": .map(["plan": "gold"])], clientToken: "u"))
        #expect(updated.resource?.attributes["metadata"] == .map(["plan": "gold"]))

        let refused = await mock.apply(
            ApplyRequest(
                operation: .update, type: StripeResourceTypes.customer, identity: identity, prior: customer,
                inputs: ["metadata": .map(["landlord:address": "spoofed"])], clientToken: "u2"))
        #expect(refused.diagnostics.hasErrors)
        #expect(refused.diagnostics.first?.attribute == "metadata")
        let tooMany = Value.map(Dictionary(uniqueKeysWithValues: (0..<48).map { ("k\($0)", Value.string("v")) }))
        let big = await mock.apply(
            ApplyRequest(
                operation: .create, type: StripeResourceTypes.customer, identity: identity, prior: nil, inputs: ["metadata": tooMany],
                clientToken: "t2"))
        #expect(big.diagnostics.first?.summary.contains("Stripe allows 50") == true)

        // Lost state: found by its landlord tags.
        let found = await mock.importResources(ImportRequest(type: StripeResourceTypes.customer, identity: identity))
        #expect(found.resources.map(\.id) == [customer.id])

        let deleted = await mock.apply(
            ApplyRequest(operation: .delete, type: StripeResourceTypes.customer, identity: identity, prior: customer, inputs: [:], clientToken: "d"))
        #expect(deleted.diagnostics.isEmpty)
        #expect(await mock.read(ReadRequest(resources: [customer])).resources == [nil])
    }
}
