/// The type an attribute holds; scalars in specs are read as this type.
public enum AttributeType: String, Sendable, Hashable, Codable {
    case string, int, bool, double, list, map, any
}

/// What a provider says about one attribute of a resource type.
public struct AttributeSchema: Sendable, Hashable {
    public var type: AttributeType
    /// The spec must set it.
    public var required: Bool
    /// Set by the provider during apply (an id, an ARN); the spec may not set it unless `optional`.
    public var computed: Bool
    /// The spec may set it although it is computed (the provider fills it in otherwise).
    public var optional: Bool
    /// A change to it cannot be made in place: the resource is replaced.
    public var forceNew: Bool
    /// Never shown in clear in plans, renderings or logs.
    public var sensitive: Bool
    /// One line for `--help`-style listings and error messages.
    public var description: String

    public init(
        _ type: AttributeType, required: Bool = false, computed: Bool = false, optional: Bool = false,
        forceNew: Bool = false, sensitive: Bool = false, description: String = ""
    ) {
        self.type = type
        self.required = required
        self.computed = computed
        self.optional = optional
        self.forceNew = forceNew
        self.sensitive = sensitive
        self.description = description
    }

    /// True when a spec may set this attribute.
    public var settable: Bool { !computed || optional }
}

/// What a provider says about one resource type.
public struct ResourceSchema: Sendable, Hashable {
    public var type: String
    public var attributes: [String: AttributeSchema]
    /// Readiness conditions `wait: {until: ...}` accepts for this type (e.g. `stable`).
    public var waitConditions: Set<String>
    /// The resource can carry the `landlord:*` tags used to adopt it after a crash.
    public var taggable: Bool
    /// Holds data that is lost when it is deleted (user pools, records); deletes are called out.
    public var dataBearing: Bool
    /// Attributes that together name the resource uniquely in its scope (a target group's
    /// name, a record's zone+name+type). A replacement that keeps them must delete the old
    /// resource first; one that changes them (or a type with none) creates the new one first.
    public var uniqueKeys: [String]
    /// Attributes an existing resource made outside Landlord is found by (`landlord adopt`):
    /// its unique keys unless the type declares others (a Cognito pool's name, which AWS does
    /// not keep unique: two pools of one name are then an ambiguity the user resolves). Empty:
    /// the type cannot be looked up, only adopted by id (from Terraform state).
    public var naturalKey: [String]
    /// Attributes the engine allocates when the spec writes `auto` (SharedCapacity.swift):
    /// a placement on a platform pool, a number unique per scope.
    public var allocation: [AllocatedAttribute]
    /// Capacity each resource of this type uses on the pool member its tenant is placed on.
    public var consumes: [PoolUsage]
    /// Account-wide limits on how many resources of this type may exist (SharedCapacity.swift),
    /// checked by the engine at plan time across the whole fleet.
    public var quotas: [AccountQuota]
    /// Which changes of this type share one provider call (`BatchingProvider.applyBatch`);
    /// nil: each change is its own call.
    public var batching: BatchRule?
    /// The file extension of what `ExportingProvider.export` gives for this type (`sql`,
    /// `json`); nil: the type cannot be exported, so `deletion: snapshot` is refused.
    public var exportFormat: String?

    public init(
        type: String, attributes: [String: AttributeSchema], waitConditions: Set<String> = [],
        taggable: Bool = true, dataBearing: Bool = false, uniqueKeys: [String] = [],
        allocation: [AllocatedAttribute] = [], consumes: [PoolUsage] = [], quotas: [AccountQuota] = [], batching: BatchRule? = nil,
        exportFormat: String? = nil,
        naturalKey: [String]? = nil
    ) {
        self.exportFormat = exportFormat
        self.naturalKey = naturalKey ?? uniqueKeys
        self.quotas = quotas
        self.batching = batching
        self.uniqueKeys = uniqueKeys
        self.allocation = allocation
        self.consumes = consumes
        self.type = type
        self.attributes = attributes
        self.waitConditions = waitConditions
        self.taggable = taggable
        self.dataBearing = dataBearing
    }
}

/// How changes of a type go to their provider together, as one `BatchingProvider.applyBatch`
/// call: creates, updates and deletes whose `keyAttributes` have equal values (Route53 records
/// of one hosted zone: `BatchRule(keyAttributes: ["zoneId"], maxSize: 1000)`), at most `maxSize`
/// a call. The engine holds ready changes back until a batch is full or nothing else can run.
public struct BatchRule: Sendable, Hashable {
    /// Attributes whose values (the inputs of a create or update, the recorded attributes of a
    /// delete) say which changes share a call. A change whose values are not all known runs alone.
    public var keyAttributes: [String]
    /// The most changes one call takes.
    public var maxSize: Int

    public init(keyAttributes: [String], maxSize: Int) {
        self.keyAttributes = keyAttributes
        self.maxSize = maxSize
    }
}

/// Every resource type one provider serves.
public struct ProviderSchema: Sendable {
    public var resources: [String: ResourceSchema]
    public init(resources: [ResourceSchema]) {
        self.resources = Dictionary(resources.map { ($0.type, $0) }, uniquingKeysWith: { a, _ in a })
    }
}
