import LandlordService
import Testing

/// `GET /metrics` as Prometheus reads it: the service's metric names, HELP and TYPE before each
/// family's samples, and the counts, gauges and cumulative histogram buckets they carry.
@Suite struct ServiceMetricsTextTests {
    /// The samples of a rendering by series (`name{labels}`), and each family's TYPE; records an
    /// issue when a sample comes before its family's TYPE line.
    static func parse(_ text: String) -> (samples: [String: Double], types: [String: String]) {
        var samples: [String: Double] = [:]
        var types: [String: String] = [:]
        var current: String?
        for line in text.split(separator: "\n").map(String.init) {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                current = String(parts[2])
                types[current!] = String(parts[3])
            } else if !line.hasPrefix("#") {
                let space = line.lastIndex(of: " ")!
                let series = String(line[..<space])
                #expect(current.map { series.hasPrefix($0) } == true, "\(series) outside its family")
                samples[series] = Double(line[line.index(after: space)...])
            }
        }
        return (samples, types)
    }

    @Test func everyFamilyKeepsItsNameAndCounts() {
        let m = APIMetrics()
        m.request(method: "POST", route: "/v1/tenants", status: 202)
        m.request(method: "GET", route: "/v1/tenants/{id}", status: 200)
        m.request(method: "GET", route: "/v1/tenants/{id}", status: 200)
        m.applyFinished(outcome: "failed", seconds: 7.5)
        m.applyFinished(outcome: "active", seconds: 0.25)
        m.fleetChecked(seconds: 0.125, read: "ok")
        m.fleetChecked(seconds: 0.5, read: "fleet_invalid")
        m.fleetChecked(seconds: 0, read: nil)
        let text = m.render(LifecycleGauges(queueDepth: 3, pendingApproval: 1, eventBacklog: 2))
        let (samples, types) = Self.parse(text)
        let expected: [String: Double] = [
            #"landlord_http_requests_total{method="GET",route="/v1/tenants/{id}",code="200"}"#: 2,
            #"landlord_http_requests_total{method="POST",route="/v1/tenants",code="202"}"#: 1,
            "landlord_queue_depth": 3, "landlord_pending_approval": 1, "landlord_event_backlog": 2,
            #"landlord_applies_total{outcome="active"}"#: 1, #"landlord_applies_total{outcome="failed"}"#: 1,
            #"landlord_apply_seconds_bucket{le="0.1"}"#: 0, #"landlord_apply_seconds_bucket{le="0.5"}"#: 1,
            #"landlord_apply_seconds_bucket{le="1.0"}"#: 1, #"landlord_apply_seconds_bucket{le="2.5"}"#: 1,
            #"landlord_apply_seconds_bucket{le="5.0"}"#: 1, #"landlord_apply_seconds_bucket{le="10.0"}"#: 2,
            #"landlord_apply_seconds_bucket{le="30.0"}"#: 2, #"landlord_apply_seconds_bucket{le="60.0"}"#: 2,
            #"landlord_apply_seconds_bucket{le="300.0"}"#: 2, #"landlord_apply_seconds_bucket{le="+Inf"}"#: 2,
            "landlord_apply_seconds_sum": 7.75, "landlord_apply_seconds_count": 2,
            "landlord_fleet_checks_total": 3, "landlord_fleet_check_seconds_total": 0.625,
            #"landlord_fleet_reads_total{outcome="fleet_invalid"}"#: 1, #"landlord_fleet_reads_total{outcome="ok"}"#: 1,
        ]
        #expect(samples == expected, "\(text)")
        #expect(
            types == [
                "landlord_http_requests_total": "counter", "landlord_queue_depth": "gauge", "landlord_pending_approval": "gauge",
                "landlord_event_backlog": "gauge", "landlord_applies_total": "counter", "landlord_apply_seconds": "histogram",
                "landlord_fleet_checks_total": "counter", "landlord_fleet_check_seconds_total": "counter", "landlord_fleet_reads_total": "counter",
            ], "\(text)")
        #expect(text.contains("# HELP landlord_http_requests_total HTTP requests answered, by method, route and status code.\n"))
        #expect(text.contains("# HELP landlord_apply_seconds Seconds from the start of a tenant's apply or destroy to its outcome.\n"))
    }

    /// Before anything happened: the unlabelled families are there with zeros (a labelled one
    /// appears with its first sample).
    @Test func aFreshServiceRendersZeros() {
        let (samples, _) = Self.parse(APIMetrics().render(LifecycleGauges(queueDepth: 0, pendingApproval: 0, eventBacklog: 0)))
        for name in ["landlord_queue_depth", "landlord_fleet_checks_total", "landlord_apply_seconds_count", "landlord_fleet_check_seconds_total"] {
            #expect(samples[name] == 0, "\(name)")
        }
    }
}
