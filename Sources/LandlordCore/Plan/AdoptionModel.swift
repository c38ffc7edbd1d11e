import ProviderAPI

/// A resource that exists but is in neither state nor tagged for Landlord, to be taken over by
/// `landlord adopt`: recorded in state at apply, tagged if its type takes tags, and then brought
/// to the spec by the tenant's ordinary changes.
public struct Adoption: Sendable, Hashable {
    /// `TENANT/NAME`.
    public var address: String
    public var tenant: String
    public var name: String
    public var type: String
    /// The provider's id of the existing resource (an ARN, a pool id).
    public var id: String
    /// How it was found: the natural key's attributes and values (from the cloud), sorted by
    /// attribute.
    public var foundBy: [String: Value]
    /// Where it was found: `cloud`, or the Terraform address it had
    /// (`module.tenant["acme"].aws_cognito_user_pool.users`).
    public var source: String
    /// The `landlord:*` tags are written onto it at apply (a taggable type not tagged yet).
    public var tag: Bool
    /// The spec's attributes as the resource holds them now: recorded as its inputs, so that
    /// the tenant's changes are exactly what makes it match the spec.
    public var inputs: [String: Value]
    /// Everything else it reported (ids, ARNs).
    public var outputs: [String: Value]
    public var dependencies: [String]
    public var protect: Bool

    public init(
        tenant: String, name: String, type: String, id: String, foundBy: [String: Value], source: String, tag: Bool,
        inputs: [String: Value], outputs: [String: Value], dependencies: [String] = [], protect: Bool = false
    ) {
        self.address = tenant + "/" + name
        self.tenant = tenant
        self.name = name
        self.type = type
        self.id = id
        self.foundBy = foundBy
        self.source = source
        self.tag = tag
        self.inputs = inputs
        self.outputs = outputs
        self.dependencies = dependencies
        self.protect = protect
    }

    /// What it is recorded as in state.
    public var record: ResourceState {
        ResourceState(type: type, id: id, inputs: inputs, outputs: outputs, dependencies: dependencies, protect: protect)
    }

    /// `name "acme-users"`, `zoneId "Z1", name "a.example.com", type "CNAME"`, or the Terraform address.
    public var keyText: String {
        if source != Adoption.cloud { return "Terraform address \(source)" }
        return foundBy.keys.sorted().map { "\($0) \(DisplayValue.text(foundBy[$0]!))" }.joined(separator: ", ")
    }

    /// The `source` of a resource found in the cloud by its natural key.
    public static let cloud = "cloud"
}

extension PlanFile {
    /// One adoption in a saved plan (its values' secrets as the plan writes them).
    static func adoptionJSON(_ a: Adoption, secrets: (Value) -> Value = hashSecrets) -> Value {
        .map([
            "address": .string(a.address), "tenant": .string(a.tenant), "name": .string(a.name), "type": .string(a.type),
            "id": .string(a.id), "found_by": secrets(.map(a.foundBy)), "source": .string(a.source), "tag": .bool(a.tag),
            "inputs": secrets(.map(a.inputs)), "outputs": secrets(.map(a.outputs)), "dependencies": strings(a.dependencies),
            "protect": .bool(a.protect),
        ])
    }

    /// Reads `adoptionJSON`'s object.
    static func adoption(_ f: DocumentFields) throws(StateFormatError) -> Adoption {
        Adoption(
            tenant: try f.string("tenant"), name: try f.string("name"), type: try f.string("type"), id: try f.string("id"),
            foundBy: try f.map("found_by"), source: try f.string("source"), tag: try f.bool("tag"), inputs: try f.map("inputs"),
            outputs: try f.map("outputs"), dependencies: try f.strings("dependencies"), protect: try f.bool("protect"))
    }
}
