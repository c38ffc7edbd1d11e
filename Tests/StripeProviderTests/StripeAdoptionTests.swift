import Foundation
import ProviderAPI
import StripeProvider
import Testing

/// `landlord adopt` of Stripe customers against localstripe: found by email by listing, with
/// their owner; tagged with the `landlord:*` metadata, never over another address's.
@Suite(.enabled(if: Localstripe.available, Localstripe.disabledReason))
struct StripeAdoptionTests {
    func customer(_ email: String, metadata: [(String, String)] = []) async throws -> String {
        let made = try await Localstripe.call("POST", "/v1/customers", form: [("email", email)] + metadata)
        return try #require(made.json["id"]?.stringValue)
    }

    @Test func aCustomerIsFoundByEmailAndTagged() async throws {
        let email = "billing-\(UUID().uuidString.prefix(8).lowercased())@acme.example"
        let id = try await customer(email)
        let p = Localstripe.provider()
        let identity = ResourceIdentity(address: "acme/billing", tenant: "acme", platform: Localstripe.uniquePlatform())
        let found = await p.lookUp([KeyLookup(type: "stripe.customer", identity: identity, key: ["email": .string(email)])])
        #expect(found.diagnostics.isEmpty, "\(found.diagnostics)")
        #expect(found.matches.first?.map(\.resource.id) == [id])
        #expect(found.matches.first?.first?.owner == nil)
        #expect(found.calls >= 1)
        #expect(await p.tag(found.matches[0][0].resource, identity: identity).isEmpty)
        let after = try await Localstripe.call("GET", "/v1/customers/\(id)")
        #expect(after.json["metadata"]?.mapValue?[LandlordTag.address] == "acme/billing")
        // Tagged now: a lookup for another address sees the owner, and tag refuses it.
        let other = ResourceIdentity(address: "globex/billing", tenant: "globex", platform: identity.platform)
        let again = await p.lookUp([KeyLookup(type: "stripe.customer", identity: other, key: ["email": .string(email)])])
        #expect(again.matches.first?.first?.owner == "acme/billing")
        let refused = await p.tag(found.matches[0][0].resource, identity: other)
        #expect(refused.first?.code == "OwnedElsewhere")
    }

    @Test func twoCustomersOfOneEmailAreBothReturned() async throws {
        let email = "twice-\(UUID().uuidString.prefix(8).lowercased())@acme.example"
        let a = try await customer(email)
        let b = try await customer(email)
        let identity = ResourceIdentity(address: "acme/billing", tenant: "acme", platform: Localstripe.uniquePlatform())
        let found = await Localstripe.provider().lookUp([KeyLookup(type: "stripe.customer", identity: identity, key: ["email": .string(email)])])
        #expect(Set(found.matches.first?.map(\.resource.id) ?? []) == [a, b], "the engine calls this ambiguous")
    }
}
