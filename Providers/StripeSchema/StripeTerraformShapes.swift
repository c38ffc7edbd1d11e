import ProviderAPI

/// `stripe.customer` as the community Stripe provider's (lukasaron/stripe) `stripe_customer`, for
/// `landlord plan --format terraform-json` (docs/review-tools.md has the table).
public enum StripeTerraformShapes {
    /// The community Stripe provider's source address.
    public static let provider = "registry.terraform.io/lukasaron/stripe"

    /// Every `stripe.*` type, by Landlord type.
    public static let shapes: [String: TerraformShape] = [
        StripeResourceTypes.customer: TerraformShape(
            type: "stripe_customer", providerName: provider,
            schema: StripeResourceTypes.schema.resources[StripeResourceTypes.customer])
    ]
}
