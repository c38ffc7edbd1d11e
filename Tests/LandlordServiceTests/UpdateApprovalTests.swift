import Foundation
import LandlordCore
import LandlordTestSupport
import MockProvider
import ProviderAPI
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Updates that need approval (issue 27), through HTTP on the real `landlord-server`: with
/// `updates: {approval: required}` an update waits as `update_pending` with nothing applied
/// and the file untouched; approve applies it; reject leaves the tenant as it was.
@Suite(.serialized) struct UpdateApprovalTests {
    static func fleet() throws -> ServiceFixture {
        let f = try TenantUpdateTests.fleet()
        let web = try f.read("blueprints/web.yaml").replacingOccurrences(of: "\nname: web\n", with: "\nname: web\nupdates: {approval: required}\n")
        try f.write("blueprints/web.yaml", web)
        return f
    }

    @Test func anUpdateWaitsForApprovalRejectKeepsTheTenantApproveAppliesIt() async throws {
        let f = try Self.fleet()
        let server = try await TenantUpdateTests.serve(f)
        defer { kill(server.pid, SIGKILL) }
        #expect(try await f.create("ap1").status == 202)
        let before = try await f.wait("ap1", for: "active")
        let file = try f.read("tenants/ap1.yaml")

        // The update waits: nothing written, nothing applied.
        let up = try await f.call("PATCH", "/v1/tenants/ap1", json: #"{"parameters": {"tier": "premium"}}"#)
        #expect(up.status == 202, "\(up.text)")
        #expect(up.body["status"]?.stringValue == "update_pending")
        let pending = try await f.call("GET", "/v1/tenants/ap1").body
        #expect(pending["status"]?.stringValue == "update_pending")
        #expect(pending["pendingUpdate"]?["parameters"]?["tier"]?.stringValue == "premium", "\(JSON.string(pending))")
        #expect(pending["parameters"]?["tier"]?.stringValue != "premium")
        #expect(try f.read("tenants/ap1.yaml") == file)
        #expect(try TenantUpdateTests.premium(f, "ap1").isEmpty)
        #expect(try await f.call("PATCH", "/v1/tenants/ap1", json: #"{"parameters": {"replicas": 2}}"#).status == 409)
        #expect(try await f.call("GET", "/v1/tenants?status=update_pending").body["tenants"]?.listValue?.count == 1)

        // Rejected: as it was.
        let no = try await f.call("POST", "/v1/tenants/ap1/reject", json: #"{"reason": "not this quarter"}"#)
        #expect(no.status == 202, "\(no.text)")
        let rejected = try await f.wait("ap1", for: "active")
        #expect(rejected["pendingUpdate"] == nil)
        #expect(rejected["parameters"] == before["parameters"])
        #expect(rejected["resources"] == before["resources"])
        #expect(try f.read("tenants/ap1.yaml") == file)
        #expect(try TenantUpdateTests.premium(f, "ap1").isEmpty)
        #expect(try await f.call("POST", "/v1/tenants/ap1/approve").status == 409)

        // Asked again and approved: applied like any update.
        #expect(try await f.call("PATCH", "/v1/tenants/ap1", json: #"{"parameters": {"tier": "premium"}}"#).status == 202)
        let yes = try await f.call("POST", "/v1/tenants/ap1/approve")
        #expect(yes.status == 202, "\(yes.text)")
        #expect(yes.body["status"]?.stringValue == "updating")
        let premium = try await f.wait("ap1", for: "active")
        #expect(premium["parameters"]?["tier"]?.stringValue == "premium")
        #expect(try TenantUpdateTests.premium(f, "ap1") == ["aws.dynamodb_item", "aws.lb_target_group"])
        #expect(try f.read("tenants/ap1.yaml").contains("\"tier\": \"premium\""))
        let statuses = premium["history"]?.listValue?.compactMap { $0["status"]?.stringValue } ?? []
        #expect(statuses.suffix(5) == ["update_pending", "active", "update_pending", "updating", "active"], "\(statuses)")
        let types = TenantUpdateTests.eventTypes(f)
        #expect(types.filter { $0 == "landlord.tenant.update_pending" }.count == 2, "\(types)")
        #expect(types.filter { $0 == "landlord.tenant.update_rejected" }.count == 1, "\(types)")
        #expect(types.filter { $0 == "landlord.tenant.updated" }.count == 1, "\(types)")
    }
}
