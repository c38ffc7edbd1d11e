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
        let buckets = zip(Self.buckets, c.bucketCounts).map { bound, count in Sample("_bucket{le=\"\(Self.number(bound))\"}", count) }
        return [
            Self.metric(
                name: "landlord_http_requests_total", help: "HTTP requests answered, by method, route and status code.", type: "counter",
                labelled: c.requests),
            Self.metric(
                name: "landlord_queue_depth", help: "Tenants queued for or in an apply or destroy.", type: "gauge", value: queueDepth),
            Self.metric(name: "landlord_pending_approval", help: "Tenants awaiting approval.", type: "gauge", value: pendingApproval),
            Self.metric(
                name: "landlord_event_backlog", help: "Events not yet delivered, over every sink.", type: "gauge", value: eventBacklog),
            Self.metric(
                name: "landlord_applies_total", help: "Tenant applies and destroys finished, by outcome.", type: "counter", labelled: c.applies),
            Self.metric(
                name: "landlord_apply_seconds", help: "Seconds from the start of a tenant's apply or destroy to its outcome.", type: "histogram",
                buckets + [
                    Sample("_bucket{le=\"+Inf\"}", c.applyCount), Sample("_sum", Self.number(c.applySum)), Sample("_count", c.applyCount),
                ]),
            Self.metric(
                name: "landlord_fleet_checks_total", help: "Looks at the fleet's files (one stat each) before work started.", type: "counter",
                value: c.fleetChecks),
            Self.metric(
                name: "landlord_fleet_check_seconds_total", help: "Seconds spent on those looks, re-reads included.", type: "counter",
                value: c.fleetCheckSeconds),
            Self.metric(
                name: "landlord_fleet_reads_total", help: "Fleet re-reads after its files changed, by outcome.", type: "counter",
                labelled: c.fleetReads),
        ].joined()
    }

    /// One sample line of a family: what follows the family's name (`{labels}`, `_sum`, ...)
    /// and its value.
    private struct Sample {
        var suffix: String
        var value: String
        init(_ suffix: String, _ value: some CustomStringConvertible) {
            self.suffix = suffix
            self.value = value.description
        }
    }

    /// One metric family: its HELP and TYPE lines, then a line `name<suffix> value` per sample.
    private static func metric(name: String, help: String, type: String, _ samples: [Sample]) -> String {
        samples.reduce(into: "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n") { $0 += "\(name)\($1.suffix) \($1.value)\n" }
    }

    /// A family of one sample without labels.
    private static func metric(name: String, help: String, type: String, value: some CustomStringConvertible) -> String {
        metric(name: name, help: help, type: type, [Sample("", value)])
    }

    /// A family with one sample per label set (`key="value",...`), in label order.
    private static func metric(name: String, help: String, type: String, labelled: [String: Int]) -> String {
        metric(name: name, help: help, type: type, labelled.sorted { $0.key < $1.key }.map { Sample("{\($0.key)}", $0.value) })
    }

    private static func number(_ d: Double) -> String {
        d.rounded() == d && abs(d) < 1e15 ? String(Int(d)) : String(d)
    }
}
