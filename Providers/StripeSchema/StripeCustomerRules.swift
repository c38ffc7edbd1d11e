import ProviderAPI

/// What Stripe accepts for a customer, checked the same way by the Stripe provider (before a
/// request goes out, so the message names the attribute) and by the mock provider (which must
/// refuse what Stripe refuses). Limits from Stripe's API reference: metadata holds at most 50
/// keys, keys at most 40 characters without square brackets, values at most 500 characters;
/// a customer's name at most 256 characters and email at most 512.
public enum StripeCustomerRules {
    /// Metadata keys Stripe allows on one object.
    public static let maxMetadataKeys = 50
    /// Metadata keys left for the spec once Landlord's three `landlord:*` keys are set.
    public static let maxUserMetadataKeys = maxMetadataKeys - 3
    /// Longest metadata key.
    public static let maxKeyLength = 40
    /// Longest metadata value.
    public static let maxValueLength = 500
    /// Longest name.
    public static let maxName = 256
    /// Longest email.
    public static let maxEmail = 512
    /// The prefix of Landlord's own metadata keys (`landlord:address`, ...), which a spec may not set.
    public static let reservedPrefix = "landlord:"

    /// The metadata a customer carries: the spec's keys (values as text) plus the identity's
    /// `landlord:*` keys.
    public static func metadata(_ inputs: [String: Value], identity: ResourceIdentity) -> [String: String] {
        var out = userMetadata(inputs)
        for (k, v) in identity.tags { out[k] = v }
        return out
    }

    /// The spec's metadata as Stripe stores it: every value as text; an empty value is no key
    /// (Stripe deletes a key set to the empty string).
    public static func userMetadata(_ inputs: [String: Value]) -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in inputs["metadata"]?.revealed.mapValue ?? [:] {
            let text = v.revealed.interpolationText
            if !text.isEmpty { out[k] = text }
        }
        return out
    }

    /// Problems with the inputs of a create or update, each naming the attribute and what to
    /// do instead; empty when Stripe would accept them.
    public static func problems(_ inputs: [String: Value], identity: ResourceIdentity) -> [ProviderDiagnostic] {
        var out: [ProviderDiagnostic] = []
        for (attr, limit) in [("name", maxName), ("email", maxEmail)] {
            if let text = inputs[attr]?.revealed.stringValue, text.count > limit {
                out.append(
                    .error(
                        "\(attr) is \(text.count) characters; Stripe allows at most \(limit)", detail: "shorten `\(attr)` in the blueprint",
                        attribute: attr, code: "parameter_invalid_string_too_long"))
            }
        }
        if let email = inputs["email"]?.revealed.stringValue, !email.isEmpty, !email.contains("@") {
            out.append(
                .error(
                    "email '\(email)' is not an email address", detail: "set `email` to an address such as billing@example.com, or leave it out",
                    attribute: "email", code: "email_invalid"))
        }
        let raw = inputs["metadata"]?.revealed
        if let raw, raw != .null, raw.mapValue == nil {
            out.append(
                .error(
                    "metadata must be a map of strings", detail: "write `metadata: {plan: gold}`", attribute: "metadata",
                    code: "parameter_invalid"))
            return out
        }
        let user = raw?.mapValue ?? [:]
        for (k, v) in user.sorted(by: { $0.key < $1.key }) {
            if k.hasPrefix(reservedPrefix) {
                out.append(
                    .error(
                        "metadata key '\(k)' is Landlord's own", detail: "keys starting with `\(reservedPrefix)` are set by Landlord; rename it",
                        attribute: "metadata", code: "parameter_invalid"))
            }
            if k.isEmpty || k.count > maxKeyLength || k.contains("[") || k.contains("]") {
                out.append(
                    .error(
                        "metadata key '\(k)' is not a Stripe metadata key",
                        detail: "keys are 1 to \(maxKeyLength) characters without square brackets; rename it", attribute: "metadata",
                        code: "parameter_invalid"))
            }
            switch v.revealed {
            case .list, .map:
                out.append(
                    .error(
                        "metadata '\(k)' is not a string", detail: "Stripe metadata values are strings; write it as text",
                        attribute: "metadata", code: "parameter_invalid"))
            default:
                let text = v.revealed.interpolationText
                if text.count > maxValueLength {
                    out.append(
                        .error(
                            "metadata '\(k)' is \(text.count) characters; Stripe allows at most \(maxValueLength)",
                            detail: "shorten the value", attribute: "metadata", code: "parameter_invalid"))
                }
            }
        }
        let total = metadata(inputs, identity: identity).count
        if total > maxMetadataKeys {
            out.append(
                .error(
                    """
                    metadata has \(total - identity.tags.count) keys; Stripe allows \(maxMetadataKeys) in all and \
                    Landlord uses \(identity.tags.count)
                    """,
                    detail: "keep at most \(maxUserMetadataKeys) keys in `metadata`", attribute: "metadata", code: "parameter_invalid"))
        }
        return out
    }
}
