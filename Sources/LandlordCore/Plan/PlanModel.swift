import Foundation
import ProviderAPI

/// What a plan does to one resource.
public enum Action: String, Sendable, Hashable, CaseIterable {
    case create, update, replace, delete, noop

    /// `+`, `~`, `-/+`, `-` as in Terraform's plans.
    public var symbol: String {
        switch self {
        case .create: return "+"
        case .update: return "~"
        case .replace: return "-/+"
        case .delete: return "-"
        case .noop: return " "
        }
    }
}

/// One resource's planned change.
public struct ResourceChange: Sendable, Hashable {
    /// `TENANT/NAME`.
    public var address: String
    public var tenant: String
    public var name: String
    public var type: String
    public var action: Action
    /// Why: `new tenant`, `tenant removed`, `requires replacement: name`, `drift: ...`.
    public var reasons: [String]
    /// Attributes as recorded (nil for create).
    public var before: [String: Value]?
    /// Attributes to apply (nil for delete); deferred values are known after apply.
    public var after: [String: Value]?
    /// Attributes whose value changes.
    public var changed: [String]
    /// Attributes whose change forces replacement.
    public var forcedBy: [String]
    /// Computed attributes that will be known only after apply.
    public var computed: [String]
    /// Resources of the tenant this one depends on (desired graph).
    public var dependencies: [String]
    /// Resources it depended on when recorded (for ordering deletes).
    public var priorDependencies: [String]
    public var wait: WaitSpec?
    public var protect: Bool
    /// Holds data that is lost when deleted (user pools, records).
    public var dataBearing: Bool
    /// The recorded id (update, replace, delete).
    public var priorID: String?
    /// For replace: create the new resource before deleting the old one.
    public var createBeforeDestroy: Bool
    /// The blueprint's `deletion:`; a delete of a `retain` resource only forgets it, one of a
    /// `snapshot` resource exports its data first (`DeletionPolicy`).
    public var deletion: DeletionPolicy = .delete

    public init(address: String, tenant: String, name: String, type: String, action: Action) {
        self.address = address
        self.tenant = tenant
        self.name = name
        self.type = type
        self.action = action
        reasons = []
        changed = []
        forcedBy = []
        computed = []
        dependencies = []
        priorDependencies = []
        protect = false
        dataBearing = false
        createBeforeDestroy = false
    }
}

/// Why a tenant is in a plan.
public enum TenantOperation: String, Sendable, Hashable {
    /// Its spec is applied (create, update).
    case provision
    /// Its tenant file is gone: every resource is deleted.
    case remove
    /// `landlord destroy`: every resource is deleted; the file stays.
    case destroy
}

/// One tenant's part of a plan, with the state it was planned against.
public struct TenantPlan: Sendable, Hashable {
    public var tenant: String
    public var blueprint: String
    public var operation: TenantOperation
    /// Lineage and serial of the state planned against; nil when the tenant had no state.
    public var lineage: String?
    public var serial: Int?
    /// Digest of platform, blueprint and tenant file (nil when the file is gone).
    public var inputDigest: String?
    /// Non-noop changes: creates, updates and replaces in dependency order, then deletes in
    /// reverse dependency order.
    public var changes: [ResourceChange]
    /// Resources with nothing to do.
    public var unchanged: Int
    /// The listener and priorities the plan assumes (committed at apply).
    public var allocation: TenantAllocation?
    /// Sequences the tenant needs a number from (name -> start), allocated at apply.
    public var sequences: [String: Int] = [:]
    /// The tenant's outputs as they will be after apply (deferred parts resolved then); empty
    /// for a tenant whose resources are all deleted.
    public var outputs: [String: Value] = [:]
    /// How the outputs differ from the recorded ones.
    public var outputChanges: [OutputChange] = []
    /// A rollout's rollback of the tenant (``RollbackPlanner``): it ends `rolled_back`.
    public var rollback = false
    /// Existing resources `landlord adopt` takes over, recorded before `changes` run.
    public var adoptions: [Adoption] = []

    /// True when applying the tenant changes something: a resource, an output, or an adoption.
    public var hasChanges: Bool { !changes.isEmpty || !outputChanges.isEmpty || !adoptions.isEmpty }

    public init(tenant: String, blueprint: String, operation: TenantOperation) {
        self.tenant = tenant
        self.blueprint = blueprint
        self.operation = operation
        changes = []
        unchanged = 0
    }

    /// Number of changes with the action.
    public func count(_ a: Action) -> Int { changes.reduce(0) { $0 + ($1.action == a ? 1 : 0) } }
}

/// Counts of a plan's actions.
public struct PlanSummary: Sendable, Hashable {
    public var create = 0, update = 0, replace = 0, delete = 0
    /// Deletes of `deletion: retain` resources: forgotten, not deleted (not in `delete`).
    public var retain = 0
    public var total: Int { create + update + replace + delete + retain }
}

/// A reviewable plan: every tenant's changes and the state each was planned against.
public struct Plan: Sendable, Hashable {
    /// The version of `plan --json` output (`JSONRenderer`); saved plans have their own
    /// (`PlanFile.formatVersion`).
    public static let formatVersion = "1"
    public var toolVersion: String
    public var createdAt: Date
    public var platform: String
    /// Tenants with changes, sorted by id.
    public var tenants: [TenantPlan]
    /// Tenants planned with nothing to do.
    public var unchangedTenants: Int
    /// Tenants of this (saved) plan already applied by an earlier `apply --max-tenants` or
    /// `--waves` run; a later apply of the same file skips them.
    public var appliedTenants: Set<String> = []
    /// Per listener the plan allocates on, the priorities held by rules Landlord does not own,
    /// as read at plan time: apply's re-allocation skips them as planning did.
    public var foreignPriorities: [String: Set<Int>] = [:]
    /// The part of the fleet this plan covers (`--shard K/N`); nil: the whole fleet.
    public var shard: ShardCoverage?
    /// Tenants in scope whose file says `approval: pending`: listed, never planned (sorted).
    public var awaitingApproval: [String] = []
    /// Tenants held after a rollout failed or rolled them back: listed, not applied, until
    /// their tenant file or blueprint changes or they are released (``HeldTenants``).
    public var held: [HeldTenant] = []

    public init(toolVersion: String, platform: String, tenants: [TenantPlan], unchangedTenants: Int, createdAt: Date = Date()) {
        self.toolVersion = toolVersion
        self.platform = platform
        self.tenants = tenants
        self.unchangedTenants = unchangedTenants
        self.createdAt = createdAt
    }

    public var summary: PlanSummary {
        var s = PlanSummary()
        for t in tenants {
            for c in t.changes {
                switch c.action {
                case .create: s.create += 1
                case .update: s.update += 1
                case .replace: s.replace += 1
                case .delete:
                    if c.deletion == .retain { s.retain += 1 } else { s.delete += 1 }
                default: break
                }
            }
        }
        return s
    }

    /// True when there is nothing to apply.
    public var isEmpty: Bool { tenants.allSatisfy { !$0.hasChanges } }
}
