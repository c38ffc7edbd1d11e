import Foundation

/// What the lifecycle counts as it works; the service renders it (as Prometheus text at
/// `GET /metrics`), the CLI's `tenant` verbs count nothing. Implementations are called from
/// the ``TenantService`` actor and must not block.
public protocol LifecycleMetrics: Sendable {
    /// One tenant's apply or destroy finished with `outcome` (`active`, `failed`, `deleted`)
    /// after `seconds`.
    func applyFinished(outcome: String, seconds: Double)
    /// One look at the fleet's files before work started, taking `seconds`; `read`: the
    /// outcome of reading the fleet again because they changed (`ok`, `fleet_invalid`,
    /// `restart_required`), nil when nothing changed.
    func fleetChecked(seconds: Double, read: String?)
}

/// Counts nothing: the CLI's ``TenantService``.
public struct NoLifecycleMetrics: LifecycleMetrics {
    /// Metrics that are dropped.
    public init() {}
    /// Drops the count.
    public func applyFinished(outcome: String, seconds: Double) {}
    /// Drops the count.
    public func fleetChecked(seconds: Double, read: String?) {}
}

/// The lifecycle's gauges at one moment: what `GET /metrics` shows besides the counters.
public struct LifecycleGauges: Sendable, Equatable {
    /// Tenants queued for or in an apply or destroy.
    public var queueDepth: Int
    /// Tenants awaiting approval.
    public var pendingApproval: Int
    /// Events not yet delivered, over every sink.
    public var eventBacklog: Int

    /// Gauges of these values.
    public init(queueDepth: Int, pendingApproval: Int, eventBacklog: Int) {
        self.queueDepth = queueDepth
        self.pendingApproval = pendingApproval
        self.eventBacklog = eventBacklog
    }
}

/// A tenant's record moved from one status to another, once the move is recorded: what the
/// service logs as a lifecycle line.
public struct StatusChange: Sendable, Equatable {
    /// The tenant's id.
    public var tenant: String
    /// The tenant's blueprint.
    public var blueprint: String
    /// The status before (nil: the tenant is new).
    public var from: LifecycleStatus?
    /// The status recorded now.
    public var to: LifecycleStatus
    /// Why, when the move has a reason (an approval, a failure's message).
    public var reason: String?
}
