import Foundation
import ProviderAPI

/// Which state backend `state: {backend: ...}` names.
public enum StateBackendKind: String, Sendable, Hashable, CaseIterable {
    /// Files under the fleet's `.landlord/` (LocalStateStore), the default.
    case local
    /// Documents in an S3 bucket (LandlordS3State).
    case s3
}

/// Where state is kept, from `state:` in platform.yaml.
public struct StateBackendConfig: Sendable, Hashable {
    public var backend: StateBackendKind
    public var bucket: String?
    public var prefix: String?
    public var region: String?
    /// Seconds a tenant lock's lease lasts before another run may take it over (renewed while
    /// the holder runs); `lockLeaseSeconds` in platform.yaml, default 120.
    public var lockLeaseSeconds: Double = 120
    /// `keyFile`: a file holding the state key (base64, 32 bytes), relative to the fleet
    /// directory; `LANDLORD_STATE_KEY` takes precedence.
    public var keyFile: String?
    /// `encryption: required`: no command runs without a state key, so no sensitive value is
    /// ever written in clear (default `optional`: a warning when there is no key).
    public var encryptionRequired = false
    /// `key: {...}` or `keys: [{...}, ...]`: the state keys, current first (``StateKeyring``).
    /// Empty: `LANDLORD_STATE_KEY`, else `keyFile`.
    public var keys: [StateKeySource] = []
    public var location: SourceLocation?
    public init(
        backend: StateBackendKind = .local, bucket: String? = nil, prefix: String? = nil, region: String? = nil, location: SourceLocation? = nil
    ) {
        self.backend = backend
        self.bucket = bucket
        self.prefix = prefix
        self.region = region
        self.location = location
    }
}

/// Where one state key comes from: an entry of `state: {keys: [...]}` (or `key:`).
public enum StateKeySource: Sendable, Hashable {
    /// `{env: NAME}`: the base64 32-byte key in an environment variable.
    case environment(String)
    /// `{file: PATH}`: the base64 32-byte key in a file, relative to the fleet.
    case file(String)
    /// `{kms: KEY_ID_OR_ARN}`: a data key wrapped by this AWS KMS key (envelope encryption),
    /// its wrapped copy kept beside the state.
    case kms(String)

    /// `env NAME`, `file PATH`, `kms KEY`: how messages name the key.
    public var label: String {
        switch self {
        case .environment(let n): return "env \(n)"
        case .file(let p): return "file \(p)"
        case .kms(let k): return "kms \(k)"
        }
    }
}

/// platform.yaml: shared inputs, provider settings and the state backend.
public struct PlatformSpec: Sendable {
    public var name: String
    /// `provider:` (or `providers:`) as written, e.g. `{aws: {region: us-east-1, use: mock}}`;
    /// plugin entries are also in `plugins`.
    public var providers: [String: Value]
    public var state: StateBackendConfig
    public var inputs: [String: Value]
    /// Every pool a schema places tenants on, by name, from `inputs.NAME` as the pool's
    /// declaration reads it (PlatformReader.readPool): for AWS, `listeners` (id: the ARN, field
    /// `dnsName`, limits `rules` and `targetGroups`).
    public var pools: [String: [PoolMember]] = [:]
    /// `env:`: the environment variables spec files may read, and whether each is sensitive.
    public var env: [String: Bool] = [:]
    /// The providers served by plugin processes (entries of `provider:` with a `command`).
    public var plugins: [String: PluginSpec] = [:]
    /// `api:`: how `landlord serve` authenticates callers.
    public var api = APISettings()
    /// `events:`: where tenant lifecycle events are delivered.
    public var events = EventSinks()
    /// `rollout:`: waves, failure budget, bake, alarms, what to do on failure, auto-approval.
    public var rollout = RolloutPolicy()
    /// `exports:`: where `deletion: snapshot` puts the data of deleted resources (nil: nowhere).
    public var exports: ExportPlace?
    /// `drift:`: `landlord serve`'s scheduled drift detection (nil: none).
    public var drift: DriftSchedule?
    public var file: String
    public var digest: String

    /// The settings of one provider (`provider.aws`), or an empty map.
    public func providerSettings(_ name: String) -> [String: Value] {
        providers[name]?.mapValue ?? [:]
    }
}

/// A blueprint parameter: `{type, default, enum, pattern, sensitive}`.
public struct ParameterSpec: Sendable {
    /// `string`, `int`, `number`, `bool`, `list` or `map`.
    public enum Kind: String, Sendable, CaseIterable { case string, int, number, bool, list, map }
    public var name: String
    public var kind: Kind
    public var defaultValue: Value?
    public var allowed: [String]?
    public var pattern: String?
    public var regex: PatternMatcher?
    public var sensitive: Bool
    public var location: SourceLocation
}

/// A compiled `pattern:`; compiled once per blueprint, used for every tenant.
// @unchecked: NSRegularExpression is immutable after init and documented thread-safe; it
// is only matched against, never changed.
public struct PatternMatcher: @unchecked Sendable {
    let regex: NSRegularExpression
    init?(_ pattern: String) {
        guard let r = try? NSRegularExpression(pattern: pattern) else { return nil }
        regex = r
    }
    /// True when the whole string matches.
    public func matches(_ s: String) -> Bool {
        let ns = s as NSString
        guard let m = regex.firstMatch(in: s, range: NSRange(location: 0, length: ns.length)) else { return false }
        return m.range.location == 0 && m.range.length == ns.length
    }
}

/// `wait: {until: stable, timeout: 10m}` on a resource.
public struct WaitSpec: Sendable, Hashable, Codable {
    public var until: String
    /// Seconds.
    public var timeout: Double
}

/// One resource of a blueprint, with its properties still holding references.
public struct ResourceTemplate: Sendable {
    public var name: String
    public var type: String
    public var properties: [String: ValueTemplate]
    public var propertyLocations: [String: SourceLocation]
    /// Resources this one must come after: every resource it references plus `dependsOn`.
    public var dependencies: [String]
    public var wait: WaitSpec?
    /// Deleting it needs an explicit flag.
    public var protect: Bool
    public var location: SourceLocation
    /// `when:`: the resource is part of a tenant only when this holds for it (tiers).
    public var when: WhenClause? = nil
    /// `deletion:`: what destroying it does (delete, retain, snapshot).
    public var deletion: DeletionPolicy = .delete
    /// `suspended:`: properties (literal values) that replace `properties:` while the tenant
    /// is suspended (`desiredCount: 0`).
    public var suspendedProperties: [String: ValueTemplate] = [:]
}

/// One of a blueprint's `outputs:`: a value computed at apply from the tenant's resources,
/// parameters and platform inputs, recorded in its state for callers (`landlord output`).
public struct OutputTemplate: Sendable {
    /// The output's name (`landlord output --tenant ID NAME`).
    public var name: String
    /// The value, with references still to fill in.
    public var value: ValueTemplate
    /// Only tenants for which this holds have the output.
    public var when: WhenClause?
    /// Declared `sensitive: true`, or refers to a sensitive parameter or attribute.
    public var sensitive: Bool
    /// Where its name is in the blueprint.
    public var location: SourceLocation
}

/// A blueprint: parameters and resources in dependency order.
public struct Blueprint: Sendable {
    public var name: String
    public var parameters: [String: ParameterSpec]
    public var parameterOrder: [String]
    /// Resources in a topological order (dependencies first).
    public var resources: [ResourceTemplate]
    public var resourceIndex: [String: Int]
    /// Sequences the blueprint numbers its tenants from (`sequences: {NAME: {start: N}}`), by
    /// name: each tenant gets the next number, once, never reused.
    public var sequences: [String: Int] = [:]
    /// `outputs:`, by name order.
    public var outputs: [OutputTemplate] = []
    /// `onboarding:`: whether tenants created through the service wait for approval.
    public var onboarding = OnboardingSpec()
    /// `updates:`: whether parameter changes through the service wait for approval.
    public var updates = UpdatesSpec()
    /// `reconcile:`: whether scheduled drift detection puts drift back.
    public var reconcile = ReconcileMode.report
    /// `health:`: checks run for each tenant after its changes are applied (rollouts).
    public var health: [HealthCheck] = []
    public var file: String
    public var digest: String

    /// True when some resource carries `when:` (tenants may differ in what they are made of).
    public var hasConditions: Bool { resources.contains { $0.when != nil } }
}

/// One tenant file, validated against its blueprint.
public struct TenantSpec: Sendable {
    public var id: String
    public var blueprint: String
    /// Every parameter, defaults filled in, typed; sensitive ones wrapped in `.sensitive`.
    public var parameters: [String: Value]
    public var file: String
    /// SHA-256 of the tenant file.
    public var digest: String
    public var location: SourceLocation
    /// `approval: pending`: the tenant was created (by `landlord tenant create` or the service)
    /// and awaits an operator's approval. Plans list it and never provision it.
    public var approvalPending: Bool = false
    /// `suspended: true`: the tenant is suspended (`${tenant.suspended}` is true for its
    /// blueprint, its resources' `suspended:` properties apply) and no plan deletes its
    /// data-bearing resources.
    public var suspended: Bool = false
}

/// Everything a run reads from disk: the platform, blueprints and tenants.
public struct Fleet: Sendable {
    /// The directory holding platform.yaml.
    public var root: URL
    public var platform: PlatformSpec
    public var blueprints: [String: Blueprint]
    /// Sorted by id, each id once.
    public var tenants: [TenantSpec]
    /// Where each id is in `tenants`: a hint that ``position(of:)`` checks, so a tenant can be
    /// inserted without moving the positions of those after it (the service does, once a
    /// create); a position that no longer holds its id is found again by a binary search.
    public var tenantIndex: [String: Int]

    /// A tenant by id.
    public func tenant(_ id: String) -> TenantSpec? { position(of: id).map { tenants[$0] } }

    /// Where tenant `id` is in `tenants` (nil: not in the fleet).
    public func position(of id: String) -> Int? {
        if let i = tenantIndex[id], tenants.indices.contains(i), tenants[i].id == id { return i }
        let i = insertionPoint(of: id)
        return i < tenants.count && tenants[i].id == id ? i : nil
    }

    /// Where a tenant `id` goes in `tenants` to keep them sorted: the first position whose id
    /// is not less (a binary search).
    public func insertionPoint(of id: String) -> Int {
        var low = 0
        var high = tenants.count
        while low < high {
            let mid = (low + high) / 2
            if tenants[mid].id < id { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// The digest of what a tenant's plan was made from: platform, its blueprint, its file.
    public func inputDigest(for tenant: TenantSpec) -> String {
        let bp = blueprints[tenant.blueprint]?.digest ?? ""
        return Digest.sha256Hex(platform.digest + "\n" + bp + "\n" + tenant.digest)
    }
}
