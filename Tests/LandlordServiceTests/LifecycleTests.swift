import Foundation
import LandlordBasics
import LandlordCore
import LandlordService
import LandlordTestSupport
import ProviderAPI
import Testing

/// The tenant lifecycle through HTTP: create, approve, reject, time out, fail, delete.
@Suite(.serialized) struct LifecycleTests {
    @Test func aTenantWithoutApprovalIsProvisionedAndTheCLISeesIt() async throws {
        let f = try ServiceFixture()
        try await f.start()
        let created = try await f.create("acme2")
        #expect(created.status == 202, "\(created.text)")
        #expect(created.body["id"]?.stringValue == "acme2")
        #expect(created.body["status"]?.stringValue == "provisioning")
        let t = try await f.wait("acme2", for: "active")
        #expect(t["resources"]?.intValue == 14)
        #expect(t["outputs"]?["url"]?.stringValue == "https://sub-acme2.moamalat-pro.com")
        #expect(t["outputs"]?["userPoolId"]?.stringValue?.isEmpty == false)
        #expect(t["outputs"]?["clientSecret"]?.stringValue == "(sensitive)")
        #expect(t["parameters"]?["apiKey"]?.stringValue == "(sensitive)")
        #expect(t["parameters"]?["tier"]?.stringValue == "basic")
        #expect(t["history"]?.list.map { $0["status"]?.stringValue ?? "" } == ["provisioning", "active"])
        await f.stop()
        // The tenant file is in the fleet, and a plan from the files alone (as `landlord plan`
        // makes it) has nothing to do for it.
        #expect(f.fileExists("tenants/acme2.yaml"))
        let runtime = try await ServiceRuntime.load(root: f.dir, environment: f.env)
        #expect(runtime.fleet.tenant("acme2") != nil)
        let ws = Workspace(fleet: runtime.fleet, store: runtime.store, providers: runtime.registry)
        let planAndDiags = await ws.plan(PlanOptions(tenants: ["acme2"]))
        let plan = planAndDiags.plan
        let diags = planAndDiags.diagnostics
        #expect(!diags.hasErrors)
        #expect(plan?.tenants.allSatisfy { $0.changes.isEmpty } == true)
    }

    @Test func approvalThenActive() async throws {
        let f = try ServiceFixture()
        try await f.start()
        let created = try await f.create("gated1", blueprint: "gated")
        #expect(created.status == 202)
        #expect(created.body["status"]?.stringValue == "pending_approval")
        let pending = try await f.call("GET", "/v1/tenants/gated1")
        #expect(pending.body["status"]?.stringValue == "pending_approval")
        #expect(pending.body["approvalDeadline"]?.stringValue != nil)
        // In the fleet, marked: a plan (CI's included) lists it and provisions nothing.
        #expect(try f.read("tenants/gated1.yaml").hasSuffix("\napproval: pending\n"))
        let runtime = try await ServiceRuntime.load(root: f.dir, environment: f.env)
        let planAndDiags = await Workspace(fleet: runtime.fleet, store: runtime.store, providers: runtime.registry).plan(PlanOptions())
        let plan = planAndDiags.plan
        let diags = planAndDiags.diagnostics
        #expect(!diags.hasErrors, "\(diags.items)")
        #expect(plan?.awaitingApproval == ["gated1"])
        #expect(plan?.tenants.isEmpty == true)
        let approved = try await f.call("POST", "/v1/tenants/gated1/approve")
        #expect(approved.status == 202, "\(approved.text)")
        let t = try await f.wait("gated1", for: "active")
        #expect(t["history"]?.list.map { $0["status"]?.stringValue ?? "" } == ["pending_approval", "provisioning", "active"])
        // Rewritten without the marker.
        #expect(try !f.read("tenants/gated1.yaml").contains("approval:"))
        let again = try await f.call("POST", "/v1/tenants/gated1/approve")
        #expect(again.status == 409)
        #expect(again.body["error"]?["code"]?.stringValue == "not_awaiting_approval")
        await f.stop()
    }

    @Test func rejectProvisionsNothing() async throws {
        let f = try ServiceFixture()
        try await f.start()
        _ = try await f.create("spam", blueprint: "gated")
        #expect(f.fileExists("tenants/spam.yaml"))
        let r = try await f.call("POST", "/v1/tenants/spam/reject", json: #"{"reason": "looks like spam"}"#)
        #expect(r.status == 202)
        let t = try await f.call("GET", "/v1/tenants/spam")
        #expect(t.body["status"]?.stringValue == "rejected")
        #expect(t.body["resources"]?.intValue == 0)
        #expect(t.body["history"]?.list.last?["reason"]?.stringValue == "looks like spam")
        #expect(try await f.call("POST", "/v1/tenants/spam/approve").status == 409)
        #expect(try await f.call("POST", "/v1/tenants/spam/reject").status == 409)
        #expect(!f.fileExists("tenants/spam.yaml"))
        await f.stop()
    }

    @Test func anUnapprovedTenantTimesOut() async throws {
        // The service's seconds are a manual clock's: they pass when the test says so.
        let clock = ManualPacingClock()
        let f = try ServiceFixture(approvalTimeout: "2s", clock: clock)
        try await f.start()
        _ = try await f.create("slow", blueprint: "gated")
        #expect(f.fileExists("tenants/slow.yaml"))
        // The timeout watcher waits on the clock (a second at most); a second later it is
        // still awaiting approval.
        #expect(await eventually(within: 60) { clock.sleepers > 0 }, "the timeout watcher never waited on the clock")
        clock.advance(1)
        #expect(await eventually(within: 60) { clock.sleepers > 0 })
        #expect(try await f.call("GET", "/v1/tenants/slow").body["status"]?.stringValue == "pending_approval")
        clock.advance(1)
        let t = try await f.wait("slow", for: "timed_out", seconds: 60)
        #expect(t["history"]?.list.last?["reason"]?.stringValue == "not approved within 2s")
        #expect(t["resources"]?.intValue == 0)
        #expect(!f.fileExists("tenants/slow.yaml"))
        #expect(try await f.call("POST", "/v1/tenants/slow/approve").status == 409)
        await f.stop()
    }

    @Test func aFailedApplyIsReportedWithItsError() async throws {
        let f = try ServiceFixture(env: ["LANDLORD_MOCK_FAIL_MATCH": "doomed/"])
        try await f.start()
        #expect(try await f.create("doomed").status == 202)
        let t = try await f.wait("doomed", for: "failed")
        #expect(t["error"]?["code"]?.stringValue == "apply_failed")
        #expect(!(t["error"]?["diagnostics"]?.list.isEmpty ?? true))
        await f.stop()
    }

    @Test func deleteDestroysEverything() async throws {
        let f = try ServiceFixture()
        try await f.start()
        _ = try await f.create("gone")
        try await f.wait("gone", for: "active")
        let d = try await f.call("DELETE", "/v1/tenants/gone")
        #expect(d.status == 202)
        #expect(d.body["status"]?.stringValue == "deprovisioning")
        let t = try await f.wait("gone", for: "deleted")
        #expect(t["resources"]?.intValue == 0)
        #expect(!f.fileExists("tenants/gone.yaml"))
        #expect(try await f.call("DELETE", "/v1/tenants/gone").status == 404)
        await f.stop()
        // The simulated cloud holds nothing of it (its journal folded in first).
        let runtime = try await ServiceRuntime.load(root: f.dir, environment: f.env)
        try runtime.mock?.cloud.compact()
        let cloud = try JSON.parse(Array(try Data(contentsOf: f.dir.appendingPathComponent(".landlord/mock-cloud.json"))))
        #expect(cloud.mapValue?["resources"]?.listValue?.isEmpty == true, "\(JSON.string(cloud))")
    }

    @Test func recordsSurviveARestart() async throws {
        let f = try ServiceFixture()
        try await f.start()
        _ = try await f.create("kept")
        _ = try await f.create("waiting", blueprint: "gated")
        try await f.wait("kept", for: "active")
        await f.stop()
        try await f.start()
        let kept = try await f.call("GET", "/v1/tenants/kept")
        #expect(kept.body["status"]?.stringValue == "active")
        #expect(kept.body["resources"]?.intValue == 14)
        let waiting = try await f.call("GET", "/v1/tenants/waiting")
        #expect(waiting.body["status"]?.stringValue == "pending_approval")
        #expect(try await f.call("POST", "/v1/tenants/waiting/approve").status == 202)
        try await f.wait("waiting", for: "active")
        #expect(try await f.create("kept").status == 409)
        await f.stop()
    }

    /// Files a crash left half-done are put right at the next start: a pending tenant's file
    /// written, a rejected one's `approval: pending` file removed.
    @Test func aRestartRepairsTheFilesOfPendingAndRejectedTenants() async throws {
        let f = try ServiceFixture()
        try await f.start()
        #expect(try await f.create("waits", blueprint: "gated").status == 202)
        #expect(try await f.create("nope", blueprint: "gated").status == 202)
        let pendingFile = try f.read("tenants/nope.yaml")
        #expect(try await f.call("POST", "/v1/tenants/nope/reject").status == 202)
        await f.stop()
        // As if the service died before writing the first file and before removing the second.
        try FileManager.default.removeItem(at: f.dir.appendingPathComponent("tenants/waits.yaml"))
        try f.write("tenants/nope.yaml", pendingFile)
        try await f.start()
        // The workers repair as they start, beside the listener.
        let end = Date().addingTimeInterval(10)
        while (!f.fileExists("tenants/waits.yaml") || f.fileExists("tenants/nope.yaml")) && Date() < end {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(try f.read("tenants/waits.yaml").hasSuffix("\napproval: pending\n"))
        #expect(!f.fileExists("tenants/nope.yaml"))
        #expect(try await f.call("GET", "/v1/tenants/nope").body["status"]?.stringValue == "rejected")
        #expect(try await f.call("POST", "/v1/tenants/waits/approve").status == 202)
        try await f.wait("waits", for: "active")
        await f.stop()
    }
}
