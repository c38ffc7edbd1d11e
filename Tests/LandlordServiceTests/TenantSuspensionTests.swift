import Foundation
import LandlordCore
import LandlordTestSupport
import MockProvider
import ProviderAPI
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Suspension (issue 27) through HTTP on the real `landlord-server`: the blueprint says what it
/// means (`${tenant.suspended}` in `when:`, `suspended:` properties), the data stays, and a
/// plan that would delete a data-bearing resource of a suspended tenant is refused.
@Suite(.serialized) struct TenantSuspensionTests {
    /// The quickstart's web blueprint where suspension takes the listener rules (and the DNS
    /// names that point at them) away and scales the services to 0.
    static func fleet() throws -> ServiceFixture {
        let f = try ServiceFixture(events: "events: {webhooks: [{url: \"http://127.0.0.1:9/events\"}]}\n")
        let bp = f.dir.appendingPathComponent("blueprints/web.yaml")
        var text = try String(contentsOf: bp, encoding: .utf8)
        for name in ["backend_rule", "api_dns", "frontend_rule", "dns"] {
            let head = "  \(name):\n"
            text = text.replacingOccurrences(of: head, with: head + "    when: \"${tenant.suspended} == false\"\n")
        }
        for name in ["backend", "frontend"] {
            let head = "  \(name):\n    type: aws.ecs_service\n"
            text = text.replacingOccurrences(of: head, with: head + "    suspended: {desiredCount: 0}\n")
        }
        try text.write(to: bp, atomically: true, encoding: .utf8)
        return f
    }

    static func cloud(_ f: ServiceFixture) throws -> [MockResource] {
        try MockCloud(path: f.dir.appendingPathComponent(".landlord/mock-cloud.json").path).snapshot()
    }

    @Test func aSuspendedTenantsRulesAreGoneItsServicesAtZeroItsDataKeptAndResumeRestoresThem() async throws {
        let f = try Self.fleet()
        let server = try await TenantUpdateTests.serve(f)
        defer { kill(server.pid, SIGKILL) }
        #expect(try await f.create("sus1").status == 202)
        let active = try await f.wait("sus1", for: "active")
        let rules = {
            try Self.cloud(f).filter { $0.type == "aws.lb_listener_rule" && ($0.attributes["hostHeader"]?.stringValue ?? "").contains("sub-sus1") }
        }
        let services = {
            try Self.cloud(f).filter { $0.type == "aws.ecs_service" && $0.id.contains("sus1") }.map { $0.attributes["desiredCount"]?.intValue }
        }
        let data = {
            try Self.cloud(f).filter {
                ["aws.cognito_user_pool", "aws.dynamodb_item"].contains($0.type) && $0.id.contains("sus1")
                    || $0.attributes["name"]?.stringValue == "sus1-users"
            }
            .map(\.id).sorted()
        }
        #expect(try rules().count == 2)
        #expect(try services() == [1, 1])
        let dataBefore = try data()
        #expect(dataBefore.count == 2, "\(dataBefore)")

        let s = try await f.call("POST", "/v1/tenants/sus1/suspend")
        #expect(s.status == 202 && s.body["status"]?.stringValue == "suspending", "\(s.text)")
        try await f.wait("sus1", for: "suspended")
        #expect(try f.read("tenants/sus1.yaml").hasSuffix("suspended: true\n"))
        #expect(try rules().isEmpty)
        #expect(try services() == [0, 0])
        #expect(try data() == dataBefore)
        #expect(try await f.call("POST", "/v1/tenants/sus1/suspend").status == 409)
        #expect(try await f.call("PATCH", "/v1/tenants/sus1", json: #"{"parameters": {"tier": "premium"}}"#).status == 409)

        let r = try await f.call("POST", "/v1/tenants/sus1/resume")
        #expect(r.status == 202 && r.body["status"]?.stringValue == "resuming", "\(r.text)")
        let resumed = try await f.wait("sus1", for: "active")
        #expect(try !f.read("tenants/sus1.yaml").contains("suspended"))
        #expect(try rules().count == 2)
        #expect(try services() == [1, 1])
        #expect(try data() == dataBefore)
        #expect(resumed["resources"]?.intValue == active["resources"]?.intValue)
        let types = TenantUpdateTests.eventTypes(f)
        #expect(types.filter { $0 == "landlord.tenant.suspended" }.count == 1, "\(types)")
        #expect(types.filter { $0 == "landlord.tenant.resumed" }.count == 1, "\(types)")
    }

    @Test func suspendingNeverDeletesADataBearingResource() async throws {
        let f = try Self.fleet()
        // A blueprint that would drop the tenant record while suspended: the plan refuses it.
        let bp = f.dir.appendingPathComponent("blueprints/web.yaml")
        let text = try String(contentsOf: bp, encoding: .utf8).replacingOccurrences(
            of: "  record:\n", with: "  record:\n    when: \"${tenant.suspended} == false\"\n")
        try text.write(to: bp, atomically: true, encoding: .utf8)
        let server = try await TenantUpdateTests.serve(f)
        defer { kill(server.pid, SIGKILL) }
        #expect(try await f.create("sus2").status == 202)
        try await f.wait("sus2", for: "active")
        #expect(try await f.call("POST", "/v1/tenants/sus2/suspend").status == 202)
        let failed = try await f.wait("sus2", for: "failed")
        let message = JSON.string(failed["error"] ?? .null)
        #expect(message.contains("tenant 'sus2' is suspended: the plan would delete data-bearing resource sus2/record"), "\(message)")
        #expect(try Self.cloud(f).contains { $0.type == "aws.dynamodb_item" && $0.id.contains("sus2") })
    }
}
