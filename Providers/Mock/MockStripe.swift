import ProviderAPI
import StripeSchema

/// `stripe.customer` in the simulated cloud: Stripe-shaped ids (`cus_` and 14 characters) and
/// the limits Stripe enforces (`StripeCustomerRules`: metadata key count and sizes, reserved
/// `landlord:*` keys, name and email lengths), refused with Stripe's error codes.
extension MockProvider {
    /// A new customer id.
    func stripeCustomerID() -> String { "cus_" + randomAlnum(14, upper: true) }

    /// The first thing Stripe would refuse about a customer, nil when it would accept it.
    func stripeProblem(_ r: MockResource) -> ApplyResponse? {
        let identity = ResourceIdentity(
            address: r.tags[LandlordTag.address] ?? "", tenant: r.tags[LandlordTag.tenant] ?? "", platform: r.tags[LandlordTag.platform] ?? "")
        guard let problem = StripeCustomerRules.problems(r.attributes, identity: identity).first else { return nil }
        return ApplyResponse(resource: nil, diagnostics: [problem])
    }
}
