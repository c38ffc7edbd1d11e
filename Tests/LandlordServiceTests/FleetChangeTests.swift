import Foundation
import LandlordCore
import LandlordService
import ProviderAPI
import Testing

@testable import LandlordLifecycle

/// The service sees the fleet's files as they are now: edits made while it runs (a tenant file
/// or blueprint added, changed or removed by a CI commit) are read before it acts, and a fleet
/// that no longer reads refuses new work with validate's diagnostics instead of acting on it.
@Suite(.serialized) struct FleetChangeTests {
    /// The gated blueprint renamed: one more blueprint, added while the service runs.
    static func blueprint(_ f: ServiceFixture, named name: String) throws -> String {
        try f.read("blueprints/gated.yaml").replacingOccurrences(of: "\nname: gated\n", with: "\nname: \(name)\n")
            .replacingOccurrences(of: "onboarding: {approval: required, timeout: 1h}\n", with: "")
    }

    @Test func aBlueprintAddedWhileRunningIsServed() async throws {
        let f = try ServiceFixture()
        try await f.start()
        let before = try await f.create("early", blueprint: "late")
        #expect(before.status == 400, "\(before.text)")
        #expect(before.text.contains("unknown blueprint 'late'"), "\(before.text)")
        try f.write("blueprints/late.yaml", try Self.blueprint(f, named: "late"))
        let after = try await f.create("early", blueprint: "late")
        #expect(after.status == 202, "\(after.text)")
        let t = try await f.wait("early", for: "active")
        #expect(t["blueprint"]?.stringValue == "late")
        #expect(t["resources"]?.intValue == 14)
        await f.stop()
    }

    @Test func anInvalidFleetRefusesNewWorkWithValidatesDiagnosticsUntilFixed() async throws {
        let f = try ServiceFixture()
        try await f.start()
        #expect(try await f.create("first", blueprint: "gated").status == 202)
        // A commit brings a tenant file with a misspelt parameter.
        try f.write(
            "tenants/broken.yaml",
            "apiVersion: landlord/v1\nkind: Tenant\nid: broken\nblueprint: web\nparameters: {subdomian: broken, backendImage: \"img:1\"}\n")
        let refused = try await f.create("second")
        #expect(refused.status == 503, "\(refused.text)")
        #expect(refused.body["error"]?["code"]?.stringValue == "fleet_invalid")
        #expect(refused.body["error"]?["message"]?.stringValue?.contains("tenants/broken.yaml") == true, "\(refused.text)")
        let d = refused.body["error"]?["diagnostics"]?.list.first
        #expect(d?["file"]?.stringValue == "tenants/broken.yaml", "\(refused.text)")
        #expect(d?["line"]?.intValue == 5)
        #expect(d?["message"]?.stringValue == "unknown parameter 'subdomian' (did you mean 'subdomain'?)", "\(refused.text)")
        #expect(try await f.call("POST", "/v1/tenants/first/approve").status == 503)
        #expect(try await f.call("GET", "/v1/tenants/first").status == 200, "reads still answer")
        #expect(!f.fileExists("tenants/second.yaml"))
        // Fixed by the next commit: requests are accepted again.
        try f.write(
            "tenants/broken.yaml",
            "apiVersion: landlord/v1\nkind: Tenant\nid: broken\nblueprint: web\nparameters: {subdomain: broken, backendImage: \"img:1\"}\n")
        #expect(try await f.create("second").status == 202)
        #expect(try await f.call("POST", "/v1/tenants/first/approve").status == 202)
        try await f.wait("second", for: "active")
        try await f.wait("first", for: "active")
        let metrics = try await f.call("GET", "/metrics", auth: nil).text
        #expect(metrics.contains("landlord_fleet_reads_total{outcome=\"fleet_invalid\"} 1"), "\(metrics)")
        #expect(metrics.contains("landlord_fleet_reads_total{outcome=\"ok\"} 1"), "\(metrics)")
        await f.stop()
    }

    @Test func anApprovalWaitsForTheFleetToReadAgain() async throws {
        let f = try ServiceFixture()
        try await f.start()
        #expect(try await f.create("held", blueprint: "gated").status == 202)
        try f.write("blueprints/web.yaml", try f.read("blueprints/web.yaml") + "\nbogus: true\n")
        #expect(try await f.call("POST", "/v1/tenants/held/approve").status == 503)
        try f.write("blueprints/web.yaml", try f.read("blueprints/web.yaml").replacingOccurrences(of: "\nbogus: true\n", with: ""))
        #expect(try await f.call("POST", "/v1/tenants/held/approve").status == 202)
        try await f.wait("held", for: "active")
        await f.stop()
    }

    /// A service started over a fleet that holds the tenant file tenants/ci.yaml.
    static func servedWithTenantCI() async throws -> ServiceFixture {
        let f = try ServiceFixture()
        try f.write(
            "tenants/ci.yaml",
            "apiVersion: landlord/v1\nkind: Tenant\nid: ci\nblueprint: web\nparameters: {subdomain: cicd, backendImage: \"img:1\"}\n")
        try await f.start()
        return f
    }

    /// An edit in place (same inode, the directory untouched) just before a request, within
    /// the second between full scans: the kernel's watch names the file, so it is seen at once.
    @Test func anEditInPlaceJustBeforeARequestIsSeenAtOnce() async throws {
        let f = try await Self.servedWithTenantCI()
        #expect(try await f.create("first").status == 202)
        try FleetStampTests.append(f.dir.appendingPathComponent("tenants/ci.yaml"), "bogus: true\n")
        let refused = try await f.create("second")
        #expect(refused.status == 503, "\(refused.text)")
        #expect(refused.body["error"]?["message"]?.stringValue?.contains("tenants/ci.yaml") == true, "\(refused.text)")
        await f.stop()
    }

    /// Created tenants join the fleet the engine plans in id order, between those of the
    /// files there at start, each found by its id (the index is a checked hint, not rebuilt
    /// per create: the positions it holds for bravo, delta and echo moved).
    @Test func createdTenantsJoinTheFleetInIDOrderAndAreFoundByID() async throws {
        let f = try ServiceFixture()
        for id in ["bravo", "delta"] {
            try f.write(
                "tenants/\(id).yaml",
                "apiVersion: landlord/v1\nkind: Tenant\nid: \(id)\nblueprint: web\nparameters: {subdomain: \(id), backendImage: \"img:1\"}\n")
        }
        try await f.start()
        for id in ["echo", "alpha", "charlie"] { #expect(try await f.create(id).status == 202) }
        let fleet = try #require(await f.service?.fleet)
        #expect(fleet.tenants.map(\.id) == ["alpha", "bravo", "charlie", "delta", "echo"])
        for (i, t) in fleet.tenants.enumerated() {
            #expect(fleet.position(of: t.id) == i, "\(t.id)")
            #expect(fleet.tenant(t.id)?.id == t.id)
        }
        #expect(fleet.tenant("foxtrot") == nil && fleet.tenant("aardvark") == nil && fleet.tenant("") == nil)
        for id in ["alpha", "echo"] { try await f.wait(id, for: "active") }
        await f.stop()
    }

    /// A tenant file there at start and removed by a later commit: its id is free again.
    @Test func aTenantFileRemovedWhileRunningFreesItsID() async throws {
        let f = try await Self.servedWithTenantCI()
        let taken = try await f.create("ci")
        #expect(taken.status == 409, "\(taken.text)")
        try FileManager.default.removeItem(at: f.dir.appendingPathComponent("tenants/ci.yaml"))
        let free = try await f.create("ci")
        #expect(free.status == 202, "\(free.text)")
        try await f.wait("ci", for: "active")
        await f.stop()
    }

    @Test func aPlatformChangeThatNeedsRewiringAsksForARestart() async throws {
        let f = try ServiceFixture()
        try await f.start()
        try f.write(
            "platform.yaml",
            try f.read("platform.yaml").replacingOccurrences(of: "api: {tokensEnv: SERVE_TEST_TOKENS}", with: "api: {tokensEnv: OTHER_TOKENS}"))
        let r = try await f.create("late")
        #expect(r.status == 503, "\(r.text)")
        #expect(r.body["error"]?["code"]?.stringValue == "restart_required")
        #expect(r.body["error"]?["message"]?.stringValue?.contains("API settings") == true, "\(r.text)")
        await f.stop()
    }

    /// A tenant file committed with `approval: pending` (no record): approved through the API
    /// like one the service created.
    @Test func aCommittedPendingTenantIsApprovedThroughTheAPI() async throws {
        let f = try ServiceFixture()
        try await f.start()
        try f.write(
            "tenants/walkin.yaml",
            """
            apiVersion: landlord/v1\nkind: Tenant\nid: walkin\nblueprint: web\nparameters: {subdomain: walkin, \
            backendImage: \"img:1\"}\napproval: pending\n
            """
        )
        let a = try await f.call("POST", "/v1/tenants/walkin/approve")
        #expect(a.status == 202, "\(a.text)")
        let t = try await f.wait("walkin", for: "active")
        #expect(t["history"]?.list.map { $0["status"]?.stringValue ?? "" } == ["pending_approval", "provisioning", "active"])
        #expect(try !f.read("tenants/walkin.yaml").contains("approval"))
        await f.stop()
    }
}
