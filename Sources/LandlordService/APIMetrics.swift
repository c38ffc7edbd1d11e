import LandlordLifecycle
import Prometheus

/// The service's metrics in a Prometheus registry of its own (swift-prometheus: its counters,
/// gauges and histograms are swift-metrics handlers), rendered by `GET /metrics`. One registry
/// per service, not the process-wide `MetricsSystem`: tests run several services in one process.
/// The names are the service's since its first release; dashboards depend on them.
public final class APIMetrics: LifecycleMetrics {
    /// Upper bounds (seconds) of the apply-duration histogram's buckets.
    static let applyBuckets: [Double] = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300]
    static let requestsHelp = "HTTP requests answered, by method, route and status code."
    static let appliesHelp = "Tenant applies and destroys finished, by outcome."
    static let readsHelp = "Fleet re-reads after its files changed, by outcome."

    /// The registry `GET /metrics` renders.
    public let registry = PrometheusCollectorRegistry()
    private let queueDepth: Gauge
    private let pendingApproval: Gauge
    private let eventBacklog: Gauge
    private let applySeconds: ValueHistogram
    private let fleetChecks: Counter
    private let fleetCheckSeconds: Counter

    /// Metrics with every unlabelled family registered (zero until counted).
    public init() {
        queueDepth = registry.makeGauge(name: "landlord_queue_depth", help: "Tenants queued for or in an apply or destroy.")
        pendingApproval = registry.makeGauge(name: "landlord_pending_approval", help: "Tenants awaiting approval.")
        eventBacklog = registry.makeGauge(name: "landlord_event_backlog", help: "Events not yet delivered, over every sink.")
        applySeconds = registry.makeValueHistogram(
            name: "landlord_apply_seconds", buckets: Self.applyBuckets,
            help: "Seconds from the start of a tenant's apply or destroy to its outcome.")
        fleetChecks = registry.makeCounter(
            name: "landlord_fleet_checks_total", help: "Looks at the fleet's files (one stat each) before work started.")
        fleetCheckSeconds = registry.makeCounter(
            name: "landlord_fleet_check_seconds_total", help: "Seconds spent on those looks, re-reads included.")
    }

    /// One answered request; `route`: the matched route's template (`/v1/tenants/{id}`), or
    /// `other` when none matched.
    public func request(method: String, route: String, status: Int) {
        registry.makeCounter(
            name: "landlord_http_requests_total", labels: [("method", method), ("route", route), ("code", String(status))],
            help: Self.requestsHelp
        ).increment()
    }

    /// Counts a finished apply or destroy.
    public func applyFinished(outcome: String, seconds: Double) {
        registry.makeCounter(name: "landlord_applies_total", labels: [("outcome", outcome)], help: Self.appliesHelp).increment()
        applySeconds.record(seconds)
    }

    /// Counts a look at the fleet's files.
    public func fleetChecked(seconds: Double, read: String?) {
        fleetChecks.increment()
        fleetCheckSeconds.increment(by: seconds)
        if let read { registry.makeCounter(name: "landlord_fleet_reads_total", labels: [("outcome", read)], help: Self.readsHelp).increment() }
    }

    /// Prometheus text exposition format 0.0.4, with the gauges set to `gauges` first.
    public func render(_ gauges: LifecycleGauges) -> String {
        queueDepth.set(Double(gauges.queueDepth))
        pendingApproval.set(Double(gauges.pendingApproval))
        eventBacklog.set(Double(gauges.eventBacklog))
        return registry.emitToString()
    }
}
