import Foundation
import ProviderAPI

/// What happens during an apply, as it happens. The engine never prints; observers render.
/// Each change of the plan is heard once: a replacement, two provider steps, starts with the
/// first and finishes with the second (or with the step that failed).
public enum ApplyEvent: Sendable {
    case tenantStarted(tenant: String, changes: Int)
    case resourceStarted(address: String, action: Action)
    /// `error` is nil on success; `seconds` run from the change's first step.
    case resourceFinished(address: String, action: Action, seconds: Double, error: String?)
    case tenantFinished(TenantOutcome)
    /// A warning or error not tied to one resource's outcome.
    case diagnostic(Diagnostic)
    /// These tenants were refused because their state moved while the run waited for their
    /// locks, or (`displaced`, a subset) because concurrent applies filled the pool member
    /// they were planned on; they are planned again and applied (``Rollout``).
    case replanning(tenants: [String], displaced: [String] = [])
    /// Wave `wave` (from 1) of `waves` ended: `tenants` applied, `failed` of them failed
    /// (``Rollout``; sent after every wave, also when there is only one).
    case waveFinished(wave: Int, waves: Int, tenants: Int, failed: Int)
    /// A gated rollout's step: a tenant unhealthy, a bake, a halt, a rollback (``RolloutGate``).
    case rollout(RolloutNotice)
}

/// Receives apply events (from many tasks at once).
public protocol ApplyObserver: Sendable {
    func handle(_ event: ApplyEvent)
}

/// An observer that ignores everything.
public struct SilentObserver: ApplyObserver {
    public init() {}
    public func handle(_ event: ApplyEvent) {}
}

/// How one tenant's apply ended.
public struct TenantOutcome: Sendable, Hashable {
    public var tenant: String
    public var status: TenantStatus
    /// Changes applied (a replacement counts once), failed and not attempted.
    public var applied: Int
    public var failed: Int
    /// Changes not attempted because something they depend on failed.
    public var skipped: Int
    public var errors: [Diagnostic]
    public var seconds: Double
    /// Refused because its state moved since planning (another run applied it meanwhile).
    public var stale: Bool = false
    /// Refused because the pool member it was planned on filled up since planning (concurrent
    /// applies, such as other shards, placed tenants there): planning again places it elsewhere.
    public var displaced: Bool = false
    /// The tenant's outputs as recorded when its apply ended (sensitive ones sealed as
    /// `.sensitive`): what its lifecycle event announces.
    public var outputs: [String: Value] = [:]
    /// The exports `deletion: snapshot` recorded in the tenant's state, by state key: what its
    /// `landlord.tenant.deleted` event announces.
    public var exports: [String: ExportRecord] = [:]
    /// The status was recorded in the tenant's state (false for tenants refused before any
    /// change: lock held, state moved, capacity gone), so the tenant changed status.
    public var recorded: Bool = false

    public init(tenant: String, status: TenantStatus, applied: Int, failed: Int, skipped: Int, errors: [Diagnostic], seconds: Double) {
        self.tenant = tenant
        self.status = status
        self.applied = applied
        self.failed = failed
        self.skipped = skipped
        self.errors = errors
        self.seconds = seconds
    }
}

/// The result of an apply: one outcome per tenant of the plan.
public struct ApplyResult: Sendable {
    public var tenants: [TenantOutcome]
    public var diagnostics: Diagnostics

    public init(tenants: [TenantOutcome], diagnostics: Diagnostics) {
        self.tenants = tenants
        self.diagnostics = diagnostics
    }

    /// True when any tenant failed or any error was reported.
    public var failed: Bool { diagnostics.hasErrors || tenants.contains { $0.failed > 0 || $0.status == .failed } }
}
