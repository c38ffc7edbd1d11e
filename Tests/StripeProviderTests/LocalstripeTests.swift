import Foundation
import ProviderAPI
import StripeProvider
import Testing

/// The Stripe provider against localstripe: create, read back unchanged, update in place with
/// a metadata key removed, drift made out of band, adoption by listing after lost state, delete.
@Suite(.enabled(if: Localstripe.available, Localstripe.disabledReason))
struct LocalstripeTests {
    @Test func customerLifecycleDriftAndAdoption() async throws {
        let provider = Localstripe.provider()
        let identity = ResourceIdentity(address: "acme/billing", tenant: "acme", platform: Localstripe.uniquePlatform())
        let inputs: [String: Value] = [
            "email": "billing@acme.example.com", "name": "Acme & Sons", "description": "tenant acme",
            "metadata": .map(["plan": "gold", "legacy": "yes", "seats": .int(5)]),
        ]
        let created = await provider.apply(
            ApplyRequest(operation: .create, type: "stripe.customer", identity: identity, prior: nil, inputs: inputs, clientToken: UUID().uuidString))
        #expect(created.diagnostics.isEmpty, "\(created.diagnostics)")
        let customer = try #require(created.resource)
        #expect(customer.id.hasPrefix("cus_"))
        #expect(customer.attributes["id"] == .string(customer.id))

        // On the server: the fields, the spec's metadata and Landlord's keys.
        let raw = try await Localstripe.call("GET", "/v1/customers/\(customer.id)")
        #expect(raw.json["name"] == "Acme & Sons")
        let meta = raw.json["metadata"]?.mapValue ?? [:]
        #expect(meta["plan"] == "gold" && meta["seats"] == "5")
        #expect(meta["landlord:address"] == "acme/billing" && meta["landlord:tenant"] == "acme")
        #expect(meta["landlord:platform"] == .string(identity.platform))

        // Read back: every input as written (an int stays an int), so a plan sees no change.
        let read = try #require(await provider.read(ReadRequest(resources: [customer])).resources.first ?? nil)
        for (k, v) in inputs { #expect(read.attributes[k] == v, "\(k) reads back as \(String(describing: read.attributes[k]))") }

        // Update in place: a new name, the description dropped, the `legacy` key removed.
        var newInputs = inputs
        newInputs["name"] = "Acme Holdings"
        newInputs["description"] = nil
        newInputs["metadata"] = .map(["plan": "platinum", "seats": .int(5)])
        let updated = await provider.apply(
            ApplyRequest(operation: .update, type: "stripe.customer", identity: identity, prior: read, inputs: newInputs, clientToken: "u1"))
        #expect(updated.diagnostics.isEmpty, "\(updated.diagnostics)")
        #expect(updated.resource?.id == customer.id)
        let afterUpdate = try #require(await provider.read(ReadRequest(resources: [customer])).resources.first ?? nil)
        #expect(afterUpdate.attributes["name"] == "Acme Holdings")
        #expect(afterUpdate.attributes["metadata"] == .map(["plan": "platinum", "seats": .int(5)]))
        let rawAfter = try await Localstripe.call("GET", "/v1/customers/\(customer.id)")
        let legacy = rawAfter.json["metadata"]?.mapValue?["legacy"]?.stringValue ?? ""
        #expect(legacy.isEmpty, "the removed key is gone (localstripe keeps it as \"\")")
        let description = rawAfter.json["description"]?.stringValue ?? ""
        #expect(description.isEmpty, "the dropped description is unset")

        // Drift: changed out of band, read shows what Stripe now holds.
        let oob = try await Localstripe.call("POST", "/v1/customers/\(customer.id)", form: [("name", "Renamed by hand"), ("metadata[plan]", "free")])
        #expect(oob.status == 200)
        let drifted = try #require(await provider.read(ReadRequest(resources: [updated.resource!])).resources.first ?? nil)
        #expect(drifted.attributes["name"] == "Renamed by hand")
        #expect(drifted.attributes["metadata"]?.mapValue?["plan"] == "free")

        // Lost state: the customer is found by listing and matching its landlord metadata; the
        // same address on another platform is not.
        let elsewhere = ResourceIdentity(address: "acme/billing", tenant: "acme", platform: Localstripe.uniquePlatform())
        let foreign = await provider.apply(
            ApplyRequest(operation: .create, type: "stripe.customer", identity: elsewhere, prior: nil, inputs: ["name": "other"], clientToken: "f1"))
        #expect(foreign.diagnostics.isEmpty)
        let found = await provider.importResources(ImportRequest(type: "stripe.customer", identity: identity, inputs: newInputs))
        #expect(found.diagnostics.isEmpty)
        #expect(found.resources.map(\.id) == [customer.id])
        let byID = await provider.importResources(ImportRequest(type: "stripe.customer", identity: identity, id: customer.id))
        #expect(byID.resources.map(\.id) == [customer.id])

        // Destroy: gone for read and for adoption; a second delete is still a success.
        for _ in 0..<2 {
            let deleted = await provider.apply(
                ApplyRequest(operation: .delete, type: "stripe.customer", identity: identity, prior: customer, inputs: [:], clientToken: "d"))
            #expect(deleted.diagnostics.isEmpty, "\(deleted.diagnostics)")
        }
        let afterDelete = await provider.read(ReadRequest(resources: [customer]))
        #expect(afterDelete.diagnostics.isEmpty && afterDelete.resources == [nil])
        #expect(await provider.importResources(ImportRequest(type: "stripe.customer", identity: identity)).resources.isEmpty)
        _ = await provider.apply(
            ApplyRequest(operation: .delete, type: "stripe.customer", identity: elsewhere, prior: foreign.resource, inputs: [:], clientToken: "d"))
    }

    @Test func adoptionPagesPastTheFirstHundredCustomers() async throws {
        let provider = Localstripe.provider()
        let platform = Localstripe.uniquePlatform()
        let target = ResourceIdentity(address: "late/billing", tenant: "late", platform: platform)
        // More than one page of other customers first, then the one to find.
        for i in 0..<101 {
            let id = ResourceIdentity(address: "t\(i)/billing", tenant: "t\(i)", platform: platform)
            let r = await provider.apply(
                ApplyRequest(operation: .create, type: "stripe.customer", identity: id, prior: nil, inputs: [:], clientToken: "c\(i)"))
            #expect(r.diagnostics.isEmpty)
        }
        let made = await provider.apply(
            ApplyRequest(operation: .create, type: "stripe.customer", identity: target, prior: nil, inputs: ["name": "late"], clientToken: "late"))
        let id = try #require(made.resource?.id)
        let found = await provider.importResources(ImportRequest(type: "stripe.customer", identity: target))
        #expect(found.resources.map(\.id) == [id])
    }

    @Test func invalidKeyIsRefusedWithTheVariableNamedAndNeverShown() async throws {
        let provider = StripeProvider(settings: ["apiBase": .string(Localstripe.url!), "apiKeyEnv": "MY_KEY"], environment: ["MY_KEY": "not-a-key"])
        let r = await provider.apply(
            ApplyRequest(
                operation: .create, type: "stripe.customer", identity: ResourceIdentity(address: "a/b", tenant: "a", platform: "p"), prior: nil,
                inputs: [:], clientToken: "x"))
        let d = try #require(r.diagnostics.first)
        #expect(d.detail.contains("MY_KEY"))
        #expect(!"\(d.summary) \(d.detail)".contains("not-a-key"))
    }
}
