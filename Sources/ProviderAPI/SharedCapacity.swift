/// Shared capacity, declared by resource schemas so that the engine allocates it without
/// knowing any provider's types.
///
/// Two things are allocated across tenants:
/// - a **placement**: the tenant is put on one member of a pool the platform lists (for AWS,
///   one listener of `inputs.listeners` in platform.yaml), chosen so that the capacity its
///   resources consume (`ResourceSchema.consumes`) fits within that member's limits, and kept
///   there from then on;
/// - a **number from a pool**: an integer unique per scope (for AWS, a rule priority, unique
///   per listener), the lowest free one in the attribute's range or in the band a spec asks for.
///
/// A spec asks for either by writing `auto` for the attribute (a number also accepts
/// `{auto: true, band: [lo, hi]}`); a literal value is used as it is. Allocations are recorded
/// in the platform state, stable across plans, and released when the resources are deleted.
/// A tenant sits on one member (the scope of all its numbers), and a type has at most one
/// numbered attribute.

/// A pool of platform-listed members that tenants are placed on, as a placement declares it,
/// with how platform.yaml lists a member (`inputs.NAME: [{ID_KEY: ..., FIELD: ..., maxCAPACITY: N}]`).
public struct PoolDeclaration: Sendable, Hashable {
    /// The pool's key under `inputs` in platform.yaml, e.g. `listeners`.
    public var name: String
    /// One member, for messages: `listener`.
    public var member: String
    /// How to make room when the pool is full, for the error that says so (e.g. where to
    /// raise a limit). The engine adds that a member can be added to `inputs.NAME`.
    public var whenFull: String
    /// The key of a member's id (`id`; a listener's is its `arn`), and what the id is.
    public var idKey: String
    public var idMeaning: String
    /// Fields every member must give, with what each is (`dnsName`: the load balancer's DNS name).
    public var requiredFields: [String: String]
    /// Each capacity's limit when a member gives no `maxCAPACITY` (absent: no limit).
    public var defaultLimits: [String: Int]
    /// True when a member may give only its id, the required fields and `maxCAPACITY` for the
    /// capacities of `defaultLimits`; otherwise any other scalar key is a field.
    public var closed: Bool
    /// Said with an invalid `maxCAPACITY` (what the limits usually are).
    public var limitsHint: String

    public init(
        name: String, member: String, whenFull: String = "", idKey: String = "id", idMeaning: String = "the member's id",
        requiredFields: [String: String] = [:], defaultLimits: [String: Int] = [:], closed: Bool = false, limitsHint: String = ""
    ) {
        self.name = name
        self.member = member
        self.whenFull = whenFull
        self.idKey = idKey
        self.idMeaning = idMeaning
        self.requiredFields = requiredFields
        self.defaultLimits = defaultLimits
        self.closed = closed
        self.limitsHint = limitsHint
    }

    /// `maxCAPACITY`, the key a member gives its limit for `capacity` with.
    public static func limitKey(_ capacity: String) -> String { "max" + capacity.prefix(1).uppercased() + capacity.dropFirst() }
}

/// An attribute the engine fills in when the spec writes `auto`.
public struct AllocatedAttribute: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// The id of the pool member the tenant is placed on. `fills` maps further attributes
        /// of the resource to fields of that member (e.g. `listenerDnsName` <- `dnsName`); they
        /// are set whenever the attribute names a member of the pool, `auto` or not.
        case placement(pool: PoolDeclaration, fills: [String: String] = [:])
        /// The lowest free integer in `range` (or in the spec's band), unique across tenants
        /// per value of the attribute `scopedBy` (which may itself be a placement).
        case numberFromPool(range: ClosedRange<Int>, scopedBy: String)
    }

    /// The attribute's name in the schema.
    public var attribute: String
    public var kind: Kind

    public init(_ attribute: String, _ kind: Kind) {
        self.attribute = attribute
        self.kind = kind
    }
}

/// Capacity one resource of a type uses on the member of `pool` its tenant is placed on, e.g.
/// one `rules` slot of a listener's load balancer. A member's limit for it is `limits[capacity]`
/// (`maxCAPACITY`, or the pool's default: for AWS's listeners, `maxRules` and `maxTargetGroups`, 100).
public struct PoolUsage: Sendable, Hashable {
    /// The pool's name (`PoolDeclaration.name`).
    public var pool: String
    /// What is counted, e.g. `rules`. Every tenant's allocation records it, by this name.
    public var capacity: String
    /// How much one resource uses.
    public var amount: Int
    /// One unit, for messages: `rule`, `target group`.
    public var unit: String

    public init(pool: String, capacity: String, amount: Int = 1, unit: String) {
        self.pool = pool
        self.capacity = capacity
        self.amount = amount
        self.unit = unit
    }
}

/// A limit on how many resources of one type an account holds, whoever's tenant they belong
/// to, declared by the type's schema (`ResourceSchema.quotas`) so that the engine checks it
/// at plan time without knowing the type: SES, for one, allows a single contact list per
/// account, so a blueprint that gives every tenant its own list works for the first tenant
/// and fails for the second.
///
/// The engine counts the type's resources across every tenant's recorded state, minus what
/// the plan deletes, plus what it creates; when that exceeds `limit` and the plan creates
/// some of them, the plan fails with an error at the blueprint resource of each one beyond
/// the limit, and the error's detail is `remedy`. A fleet is one platform and one provider
/// configuration, so one account and region: `scope` says which of the two the limit applies
/// to, for the message. Where the provider is a `QuotaReadingProvider`, resources of the type
/// that no state records (made outside Landlord) count as well.
public struct AccountQuota: Sendable, Hashable {
    /// What the limit is per.
    public enum Scope: String, Sendable, Hashable {
        /// Per account, across regions.
        case account
        /// Per account and region.
        case region

        /// `account` or `account and region`, for messages.
        public var phrase: String { self == .account ? "account" : "account and region" }
    }

    /// What is limited, plural, for messages: `contact lists`.
    public var name: String
    /// How many resources of the type one scope may hold.
    public var limit: Int
    public var scope: Scope
    /// What to do instead, a sentence or two for the error's detail (e.g. keep one shared
    /// resource as a platform input and give each tenant a smaller resource inside it).
    public var remedy: String

    public init(name: String, limit: Int, scope: Scope = .account, remedy: String) {
        self.name = name
        self.limit = limit
        self.scope = scope
        self.remedy = remedy
    }
}
