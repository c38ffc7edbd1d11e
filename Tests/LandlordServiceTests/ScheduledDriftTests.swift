import Foundation
import LandlordCore
import LandlordLifecycle
import LandlordTestSupport
import MockProvider
import ProviderAPI
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Scheduled drift detection in `landlord serve` (issue 27), through the real binary with the
/// mock provider: platform.yaml `drift: {every: 2s, callsPerSecond: 10}`; a target group
/// changed by hand in the simulated cloud shows up in `GET /v1/tenants/{id}`, `GET /v1/drift`
/// and as a `landlord.tenant.drifted` event; with `reconcile: auto` it is put back.
@Suite(.serialized) struct ScheduledDriftTests {
    static let budget = 10

    static func fleet(reconcile: Bool) throws -> ServiceFixture {
        let f = try ServiceFixture(
            events: "events: {webhooks: [{url: \"http://127.0.0.1:9/events\"}]}\ndrift: {every: 2s, callsPerSecond: \(budget)}\n")
        if reconcile {
            let web = try f.read("blueprints/web.yaml").replacingOccurrences(of: "\nname: web\n", with: "\nname: web\nreconcile: auto\n")
            try f.write("blueprints/web.yaml", web)
        }
        return f
    }

    /// Changes tenant `id`'s backend target group's health check path in the simulated cloud.
    static func changeByHand(_ f: ServiceFixture, _ id: String) async throws -> (type: String, id: String) {
        let runtime = try await ServiceRuntime.load(root: f.dir, environment: f.env)
        let tg = try #require(try await runtime.store.loadTenant(id)?.resources["backend_tg"])
        try MockCloud(path: f.dir.appendingPathComponent(".landlord/mock-cloud.json").path).transact { tx in
            guard var now = tx.get(type: tg.type, id: tg.id) else { return }
            now.attributes["healthCheckPath"] = "/changed-by-hand"
            tx.put(now)
        }
        return (tg.type, tg.id)
    }

    static func healthCheckPath(_ f: ServiceFixture, _ tg: (type: String, id: String)) throws -> String? {
        try MockCloud(path: f.dir.appendingPathComponent(".landlord/mock-cloud.json").path).snapshot()
            .first { $0.type == tg.type && $0.id == tg.id }?.attributes["healthCheckPath"]?.stringValue
    }

    /// Polls `GET path` until `done` holds of its body (or fails after `seconds`).
    static func until(_ f: ServiceFixture, _ path: String, seconds: Double = 60, _ done: (Value) throws -> Bool) async throws -> Value {
        let end = Date().addingTimeInterval(seconds)
        var last: Value = .null
        while Date() < end {
            last = try await f.call("GET", path).body
            if try done(last) { return last }
            try await Task.sleep(for: .milliseconds(200))
        }
        Issue.record("GET \(path) did not get there within \(seconds)s; last: \(JSON.string(last))")
        return last
    }

    @Test func driftChangedByHandIsFoundReportedAndEvented() async throws {
        let f = try Self.fleet(reconcile: false)
        let server = try await TenantUpdateTests.serve(f)
        defer { kill(server.pid, SIGKILL) }
        #expect(try await f.create("dr1").status == 202)
        #expect(try await f.create("dr2").status == 202)
        try await f.wait("dr1", for: "active")
        try await f.wait("dr2", for: "active")
        // A check of the clean fleet finds nothing.
        let clean = try await Self.until(f, "/v1/drift") { $0["lastCheck"]?["tenants"]?.intValue == 2 }
        #expect(clean["tenants"]?.listValue?.isEmpty == true, "\(JSON.string(clean))")
        #expect(try await f.call("GET", "/v1/tenants/dr1").body["drift"] == .null)

        let tg = try await Self.changeByHand(f, "dr1")
        let tenant = try await Self.until(f, "/v1/tenants/dr1") { $0["drift"] != nil && $0["drift"] != .null }
        let drift = tenant["drift"]?["resources"]?.listValue?.first
        #expect(drift?["address"]?.stringValue == "dr1/backend_tg", "\(JSON.string(tenant))")
        #expect(drift?["attributes"]?.listValue?.contains(.string("healthCheckPath")) == true)
        #expect(tenant["drift"]?["at"]?.stringValue != nil)
        #expect(try await f.call("GET", "/v1/tenants/dr2").body["drift"] == .null)

        let fleet = try await f.call("GET", "/v1/drift").body
        #expect(fleet["tenants"]?.listValue?.compactMap { $0["id"]?.stringValue } == ["dr1"], "\(JSON.string(fleet))")
        #expect(fleet["schedule"]?["every"]?.stringValue == "2s")
        let calls = fleet["lastCheck"]?["calls"]?.intValue ?? 0
        let peak = fleet["lastCheck"]?["peakCallsPerSecond"]?.intValue ?? 99
        #expect(calls > 0 && peak <= Self.budget, "\(JSON.string(fleet))")
        print("scheduled drift: one check of 2 tenants made \(calls) provider call(s), at most \(peak) in one second (budget \(Self.budget))")

        // Announced once (the next check finds the same drift), and left as it is (reconcile: report).
        let first = fleet["lastCheck"]?["at"]
        _ = try await Self.until(f, "/v1/drift") { $0["lastCheck"]?["at"] != first && $0["tenants"]?.listValue?.count == 1 }
        let types = TenantUpdateTests.eventTypes(f)
        #expect(types.filter { $0 == "landlord.tenant.drifted" }.count == 1, "\(types)")
        #expect(try Self.healthCheckPath(f, tg) == "/changed-by-hand")
        #expect(try await f.call("GET", "/v1/tenants/dr1").body["status"]?.stringValue == "active")
    }

    @Test func reconcileAutoPutsTheDriftBack() async throws {
        let f = try Self.fleet(reconcile: true)
        let server = try await TenantUpdateTests.serve(f)
        defer { kill(server.pid, SIGKILL) }
        #expect(try await f.create("dr3").status == 202)
        try await f.wait("dr3", for: "active")
        let tg = try await Self.changeByHand(f, "dr3")
        _ = try await Self.until(f, "/v1/tenants/dr3") { $0["drift"]?["reconcile"]?.stringValue == "queued" }
        // Put back through the engine, then the next check finds nothing.
        let settled = try await Self.until(f, "/v1/tenants/dr3") { $0["status"]?.stringValue == "active" && $0["drift"] == .null }
        #expect(try Self.healthCheckPath(f, tg) == "/health")
        let reasons = settled["history"]?.listValue?.compactMap { $0["reason"]?.stringValue } ?? []
        #expect(reasons.contains { $0.hasPrefix("reconcile: drift of dr3/backend_tg") }, "\(reasons)")
        #expect(TenantUpdateTests.eventTypes(f).contains("landlord.tenant.drifted"))
    }
}
