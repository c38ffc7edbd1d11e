/// One resource to find in a provider by its natural key (the type's
/// ``ResourceSchema/naturalKey`` attributes and their values), for `landlord adopt`.
public struct KeyLookup: Sendable, Hashable {
    public var type: String
    /// Who will own it once adopted.
    public var identity: ResourceIdentity
    /// The natural key's attributes with the values the spec gives them (all known).
    public var key: [String: Value]
    /// Every attribute the spec gives a known value (the key's among them): a provider that
    /// reads back only what the spec sets (a user's attributes) reads these.
    public var inputs: [String: Value]
    /// Attributes the spec leaves to the engine to place on a platform pool (a rule's
    /// `listener: auto`), each with the pool's members: the resource is searched for on every
    /// one of them and keeps the one it is found on. Such an attribute (and the number
    /// allocated within it, a rule's priority) is not in `inputs`.
    public var placements: [String: [String]]
    public init(
        type: String, identity: ResourceIdentity, key: [String: Value], inputs: [String: Value] = [:], placements: [String: [String]] = [:]
    ) {
        self.type = type
        self.identity = identity
        self.key = key
        self.inputs = inputs.merging(key) { _, k in k }
        self.placements = placements
    }
}

/// A resource whose natural key matches a lookup, with the `landlord:address` tag it carries
/// (nil: untagged, as a sign-up Lambda left it).
public struct KeyMatch: Sendable, Hashable {
    /// The resource in Landlord's attribute shape, as `read` returns it.
    public var resource: ResourceObject
    /// Its `landlord:address` tag, when it has one.
    public var owner: String?
    public init(resource: ResourceObject, owner: String? = nil) {
        self.resource = resource
        self.owner = owner
    }
}

/// Every match of every lookup, one list per lookup in order (empty: nothing has the key;
/// more than one: the key is ambiguous). Resources tagged for another address are returned
/// with their owner, so the engine can refuse them by name; they are never adopted.
public struct KeyLookupResponse: Sendable {
    public var matches: [[KeyMatch]]
    public var diagnostics: [ProviderDiagnostic]
    /// Requests sent for the lookups (listings and batch reads), for the adoption report.
    public var calls: Int
    public init(matches: [[KeyMatch]], diagnostics: [ProviderDiagnostic] = [], calls: Int = 0) {
        self.matches = matches
        self.diagnostics = diagnostics
        self.calls = calls
    }
}

/// A provider that can take over resources it did not create: it finds them by natural key
/// (by listing, a few calls a type rather than one a resource) and writes the `landlord:*`
/// tags onto them. `landlord adopt` uses it; a provider without it cannot adopt by key.
public protocol AdoptingProvider: Provider {
    /// Finds the resources each lookup's natural key names, by listing where the API lists.
    /// A type it cannot look up is an error diagnostic naming the type.
    func lookUp(_ lookups: [KeyLookup]) async -> KeyLookupResponse
    /// Writes the identity's tags onto an adopted resource of a taggable type, leaving the rest
    /// of it as it is. Refuses (an error) a resource tagged for another address.
    func tag(_ resource: ResourceObject, identity: ResourceIdentity) async -> [ProviderDiagnostic]
}
