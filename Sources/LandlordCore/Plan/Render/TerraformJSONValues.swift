import ProviderAPI

/// Values as Terraform's JSON plan format writes them: the known part, and beside it the masks
/// saying which parts are unknown (`after_unknown`) and which sensitive (`*_sensitive`,
/// `sensitive_values`), following Terraform's `omitUnknowns`, `unknownAsBool` and
/// `SensitiveAsBool`. Unlike Terraform, a sensitive value is left out of the known part, as an
/// unknown one is: Landlord never writes a secret.
enum TerraformJSONValues {
    /// The value with its unknown and sensitive parts left out: an object drops such keys, a list
    /// holds `null` in their place; nil when the whole value is unknown or sensitive.
    static func known(_ v: Value) -> Value? {
        switch v {
        case .unknown, .deferred, .sensitive: return nil
        case .list(let l): return .list(l.map { known($0) ?? .null })
        case .map(let m): return .map(m.compactMapValues(known))
        default: return v
        }
    }

    /// `true` where the value is unknown, `false` for a known primitive or null, a list of masks
    /// for a list, and for an object the masks of its keys that are not `false`.
    static func unknownMask(_ v: Value) -> Value {
        switch v {
        case .unknown, .deferred: return .bool(true)
        case .sensitive(let inner): return .bool(!inner.isKnown)
        case .list(let l): return .list(l.map(unknownMask))
        case .map(let m): return .map(m.compactMapValues { nonFalse(unknownMask($0)) })
        default: return .bool(false)
        }
    }

    /// `true` where the value is sensitive, shaped as ``unknownMask(_:)``.
    static func sensitiveMask(_ v: Value) -> Value {
        switch v {
        case .sensitive: return .bool(true)
        case .list(let l): return .list(l.map(sensitiveMask))
        case .map(let m): return .map(m.compactMapValues { nonFalse(sensitiveMask($0)) })
        default: return .bool(false)
        }
    }

    /// A change's `after_unknown`: `{}` when the whole value is known (as Terraform writes it),
    /// the mask otherwise; `{}` for a delete.
    static func afterUnknown(_ after: [String: Value]?) -> Value {
        guard let after else { return .map([:]) }
        let whole = Value.map(after)
        return whole.isKnown ? .map([:]) : unknownMask(whole)
    }

    /// A change's `before_sensitive` or `after_sensitive`: `false` for an absent value.
    static func sensitiveOrFalse(_ v: [String: Value]?) -> Value { v.map { sensitiveMask(.map($0)) } ?? .bool(false) }

    private static func nonFalse(_ v: Value) -> Value? { v == .bool(false) ? nil : v }
}
