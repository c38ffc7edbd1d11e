import ProviderAPI

/// The `stripe.*` resource types, shared by the Stripe provider and the mock provider so a
/// blueprint written for Stripe dry-runs unchanged. No I/O.
public enum StripeResourceTypes {
    /// A Stripe customer (`/v1/customers`): the tenant's billing account.
    public static let customer = "stripe.customer"

    /// Every `stripe.*` type with its attributes. A customer carries the `landlord:*` tags as
    /// metadata keys, so it is taggable (adopted after lost state by listing customers and
    /// matching them), and it holds billing history that a delete loses (data-bearing).
    public static let schema = ProviderSchema(resources: [
        ResourceSchema(
            type: customer,
            attributes: [
                "email": .init(.string, description: "the customer's billing email, at most \(StripeCustomerRules.maxEmail) characters"),
                "name": .init(.string, description: "full name or business name, at most \(StripeCustomerRules.maxName) characters"),
                "description": .init(.string, description: "an arbitrary string shown in the Stripe dashboard"),
                "metadata": .init(
                    .map,
                    description:
                        """
                        string keys and values stored on the customer (at most \(StripeCustomerRules.maxUserMetadataKeys) \
                        keys beside Landlord's own `landlord:*` keys)
                        """
                ),
                "id": AttributeSchema(.string, computed: true, description: "the customer id (cus_...)"),
            ], taggable: true, dataBearing: true,
            // Stripe lets two customers share an email; adoption finds one by it and calls two ambiguous.
            naturalKey: ["email"])
    ])
}
