import Foundation
import Synchronization

/// The service's counters, rendered as Prometheus text by `GET /metrics`.
public final class ServiceMetrics: Sendable {
    /// Upper bounds (seconds) of the apply-duration histogram's buckets.
    static let buckets: [Double] = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300]

    private struct Counts {
        var requests: [String: Int] = [:]
        var applies: [String: Int] = [:]
        var bucketCounts = [Int](repeating: 0, count: ServiceMetrics.buckets.count)
        var applySum = 0.0
        var applyCount = 0
        var fleetChecks = 0
        var fleetCheckSeconds = 0.0
        var fleetReads: [String: Int] = [:]
    }
    private let counts = Mutex(Counts())

    public init() {}

    /// One answered request.
    public func request(method: String, route: String, status: Int) {
        counts.withLock { $0.requests["method=\"\(method)\",route=\"\(route)\",code=\"\(status)\"", default: 0] += 1 }
    }

    /// One tenant's apply or destroy finished with `outcome` (`active`, `failed`, `deleted`)
    /// after `seconds`.
    func apply(outcome: String, seconds: Double) {
        counts.withLock { c in
            c.applies["outcome=\"\(outcome)\"", default: 0] += 1
            for (i, b) in Self.buckets.enumerated() where seconds <= b { c.bucketCounts[i] += 1 }
            c.applySum += seconds
            c.applyCount += 1
        }
    }

    /// One look at the fleet's files before work started, taking `seconds`; `read`: the
    /// outcome of reading the fleet again because they changed (`ok`, `fleet_invalid`,
    /// `restart_required`), nil when nothing changed.
    func fleetCheck(seconds: Double, read: String?) {
        counts.withLock { c in
            c.fleetChecks += 1
            c.fleetCheckSeconds += seconds
            if let read { c.fleetReads["outcome=\"\(read)\"", default: 0] += 1 }
        }
    }

    /// Prometheus text exposition format 0.0.4; `queueDepth`: tenants waiting for or in an
    /// apply or destroy, `pendingApproval`: tenants awaiting approval, `eventBacklog`: events
    /// not yet delivered.
    func render(queueDepth: Int, pendingApproval: Int, eventBacklog: Int) -> String {
        let c = counts.withLock { $0 }
        var s = "# HELP landlord_http_requests_total HTTP requests answered, by method, route and status code.\n"
        s += "# TYPE landlord_http_requests_total counter\n"
        for k in c.requests.keys.sorted() { s += "landlord_http_requests_total{\(k)} \(c.requests[k]!)\n" }
        s += "# HELP landlord_queue_depth Tenants queued for or in an apply or destroy.\n# TYPE landlord_queue_depth gauge\n"
        s += "landlord_queue_depth \(queueDepth)\n"
        s += "# HELP landlord_pending_approval Tenants awaiting approval.\n# TYPE landlord_pending_approval gauge\n"
        s += "landlord_pending_approval \(pendingApproval)\n"
        s += "# HELP landlord_event_backlog Events not yet delivered, over every sink.\n# TYPE landlord_event_backlog gauge\n"
        s += "landlord_event_backlog \(eventBacklog)\n"
        s += "# HELP landlord_applies_total Tenant applies and destroys finished, by outcome.\n# TYPE landlord_applies_total counter\n"
        for k in c.applies.keys.sorted() { s += "landlord_applies_total{\(k)} \(c.applies[k]!)\n" }
        s += "# HELP landlord_apply_seconds Seconds from the start of a tenant's apply or destroy to its outcome.\n"
        s += "# TYPE landlord_apply_seconds histogram\n"
        for (i, b) in Self.buckets.enumerated() { s += "landlord_apply_seconds_bucket{le=\"\(Self.number(b))\"} \(c.bucketCounts[i])\n" }
        s += "landlord_apply_seconds_bucket{le=\"+Inf\"} \(c.applyCount)\n"
        s += "landlord_apply_seconds_sum \(Self.number(c.applySum))\n"
        s += "landlord_apply_seconds_count \(c.applyCount)\n"
        s += "# HELP landlord_fleet_checks_total Looks at the fleet's files (one stat each) before work started.\n"
        s += "# TYPE landlord_fleet_checks_total counter\nlandlord_fleet_checks_total \(c.fleetChecks)\n"
        s += "# HELP landlord_fleet_check_seconds_total Seconds spent on those looks, re-reads included.\n"
        s += "# TYPE landlord_fleet_check_seconds_total counter\nlandlord_fleet_check_seconds_total \(c.fleetCheckSeconds)\n"
        s += "# HELP landlord_fleet_reads_total Fleet re-reads after its files changed, by outcome.\n# TYPE landlord_fleet_reads_total counter\n"
        for k in c.fleetReads.keys.sorted() { s += "landlord_fleet_reads_total{\(k)} \(c.fleetReads[k]!)\n" }
        return s
    }

    private static func number(_ d: Double) -> String {
        d.rounded() == d && abs(d) < 1e15 ? String(Int(d)) : String(d)
    }
}
