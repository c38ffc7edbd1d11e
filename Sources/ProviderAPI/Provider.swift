/// Tags every taggable resource carries, so a resource created by a crashed apply can be found
/// and adopted, and nothing Landlord made is ever anonymous.
public enum LandlordTag {
    /// `TENANT/NAME`.
    public static let address = "landlord:address"
    /// The tenant id.
    public static let tenant = "landlord:tenant"
    /// The platform name.
    public static let platform = "landlord:platform"
}

/// Who a resource belongs to; providers turn it into tags.
public struct ResourceIdentity: Sendable, Hashable, Codable {
    /// `TENANT/NAME`.
    public var address: String
    public var tenant: String
    public var platform: String
    public init(address: String, tenant: String, platform: String) {
        self.address = address
        self.tenant = tenant
        self.platform = platform
    }

    /// The `landlord:*` tags for this identity.
    public var tags: [String: String] {
        [LandlordTag.address: address, LandlordTag.tenant: tenant, LandlordTag.platform: platform]
    }
}

/// A resource as a provider knows it: its id and every attribute (inputs and computed).
public struct ResourceObject: Sendable, Hashable {
    public var type: String
    public var id: String
    public var attributes: [String: Value]
    public init(type: String, id: String, attributes: [String: Value]) {
        self.type = type
        self.id = id
        self.attributes = attributes
    }
}

/// Asks for the current attributes of resources already recorded in state (refresh, drift).
public struct ReadRequest: Sendable {
    public var resources: [ResourceObject]
    public init(resources: [ResourceObject]) { self.resources = resources }
}

/// One entry per requested resource, in order: nil where the resource no longer exists.
public struct ReadResponse: Sendable {
    public var resources: [ResourceObject?]
    public var diagnostics: [ProviderDiagnostic]
    public init(resources: [ResourceObject?], diagnostics: [ProviderDiagnostic] = []) {
        self.resources = resources
        self.diagnostics = diagnostics
    }
}

/// The kind of change `apply` carries out for one resource.
public enum ApplyOperation: String, Sendable, Hashable, Codable {
    case create, update, delete
}

/// One change to carry out. `inputs` are fully known (the engine resolved every deferred value).
public struct ApplyRequest: Sendable {
    public var operation: ApplyOperation
    public var type: String
    public var identity: ResourceIdentity
    /// The resource as recorded before (nil for create).
    public var prior: ResourceObject?
    /// The attributes the spec sets (for create and update).
    public var inputs: [String: Value]
    /// A token unique to this create, recorded as the intent before the call, so a create
    /// retried after a crash can be recognised.
    public var clientToken: String
    public init(
        operation: ApplyOperation, type: String, identity: ResourceIdentity, prior: ResourceObject?,
        inputs: [String: Value], clientToken: String
    ) {
        self.operation = operation
        self.type = type
        self.identity = identity
        self.prior = prior
        self.inputs = inputs
        self.clientToken = clientToken
    }
}

/// The result of one change: the resource as it now is (nil after delete).
public struct ApplyResponse: Sendable {
    public var resource: ResourceObject?
    public var diagnostics: [ProviderDiagnostic]
    public init(resource: ResourceObject?, diagnostics: [ProviderDiagnostic] = []) {
        self.resource = resource
        self.diagnostics = diagnostics
    }
}

/// Finds resources a provider holds for an address (by its `landlord:address` tag or client
/// token), or by id: how a resource created but not recorded is adopted, and how `import` works.
public struct ImportRequest: Sendable {
    public var type: String
    public var identity: ResourceIdentity
    /// Adopt this exact resource (import); when nil, look it up by the identity's tags.
    public var id: String?
    /// The inputs the create would have sent (some types are found by name rather than tags).
    public var inputs: [String: Value]
    public init(type: String, identity: ResourceIdentity, id: String? = nil, inputs: [String: Value] = [:]) {
        self.type = type
        self.identity = identity
        self.id = id
        self.inputs = inputs
    }
}

/// Every resource found for the request (normally zero or one; more means duplicates).
public struct ImportResponse: Sendable {
    public var resources: [ResourceObject]
    public var diagnostics: [ProviderDiagnostic]
    public init(resources: [ResourceObject], diagnostics: [ProviderDiagnostic] = []) {
        self.resources = resources
        self.diagnostics = diagnostics
    }
}

/// Holds a resource's dependents until it is ready.
public struct WaitRequest: Sendable {
    public var resource: ResourceObject
    /// The condition named in the spec, e.g. `stable`.
    public var condition: String
    /// Seconds before the wait fails.
    public var timeout: Double
    public init(resource: ResourceObject, condition: String, timeout: Double) {
        self.resource = resource
        self.condition = condition
        self.timeout = timeout
    }
}

/// The resource once ready, or diagnostics saying why it never got there.
public struct WaitResponse: Sendable {
    public var resource: ResourceObject?
    public var diagnostics: [ProviderDiagnostic]
    public init(resource: ResourceObject?, diagnostics: [ProviderDiagnostic] = []) {
        self.resource = resource
        self.diagnostics = diagnostics
    }
}

/// A plugin that carries out changes to one family of resource types (`aws.*`).
///
/// The engine owns planning (it diffs inputs against state using `schema`); a provider reads,
/// applies, adopts and waits. Every response carries diagnostics instead of throwing, so one
/// failed resource never hides the others.
public protocol Provider: Sendable {
    /// The type prefix this provider serves, e.g. `aws`.
    var name: String { get }
    /// Resource types, attributes and their properties.
    var schema: ProviderSchema { get }
    /// Current attributes of recorded resources (refresh and drift).
    func read(_ request: ReadRequest) async -> ReadResponse
    /// Creates, updates or deletes one resource.
    func apply(_ request: ApplyRequest) async -> ApplyResponse
    /// Finds resources by id or by their landlord tags.
    func importResources(_ request: ImportRequest) async -> ImportResponse
    /// Blocks until a resource meets a readiness condition or the timeout passes.
    func wait(_ request: WaitRequest) async -> WaitResponse
}

extension Provider {
    /// Types with no readiness condition are ready as soon as they are applied.
    public func wait(_ request: WaitRequest) async -> WaitResponse {
        WaitResponse(resource: request.resource)
    }
}
