import Foundation
import ProviderAPI
import Testing

@testable import LandlordLifecycle

/// An update or suspension racing an edit of the tenant file (issue 27): the edit lands after
/// the service checked the file and before it writes its rewrite (the test hook of
/// ``TenantService/beforeTenantFileSwap``). The compare-and-swap finds it: 409 `edited`, the
/// edit kept, nothing recorded.
@Suite(.serialized) struct TenantFileRaceTests {
    @Test(arguments: ["update", "suspend"])
    func anEditBetweenTheCheckAndTheWriteGets409AndIsKept(_ change: String) async throws {
        let f = try ServiceFixture()
        try await f.start()
        defer { Task { await f.stop() } }
        let service = try #require(f.service)
        #expect(try await f.create("race").status == 202)
        try await f.wait("race", for: "active")
        let before = try f.read("tenants/race.yaml")
        let edited = before.replacingOccurrences(of: "\"img:1\"", with: "\"img:2\"")
        #expect(edited != before)
        // The edit lands after the service's check passed, as git's unlink-and-create would.
        await service.onTenantFileSwap { path in
            unlink(path)
            try? Data(edited.utf8).write(to: URL(fileURLWithPath: path))
        }
        let answer =
            change == "update"
            ? try await f.call("PATCH", "/v1/tenants/race", json: #"{"parameters": {"tier": "premium"}}"#)
            : try await f.call("POST", "/v1/tenants/race/suspend")
        #expect(answer.status == 409, "\(answer.text)")
        #expect(answer.body["error"]?["code"]?.stringValue == "edited", "\(answer.text)")
        #expect(try f.read("tenants/race.yaml") == edited)
        let now = try await f.call("GET", "/v1/tenants/race").body
        #expect(now["status"]?.stringValue == "active")
        #expect(now["parameters"]?["tier"]?.stringValue != "premium")
        #expect(await service.record("race")?.document == before)

        // Without the race, the same request goes through.
        await service.onTenantFileSwap(nil)
        try f.write("tenants/race.yaml", before)
        let again =
            change == "update"
            ? try await f.call("PATCH", "/v1/tenants/race", json: #"{"parameters": {"tier": "premium"}}"#)
            : try await f.call("POST", "/v1/tenants/race/suspend")
        #expect(again.status == 202, "\(again.text)")
        try await f.wait("race", for: change == "update" ? "active" : "suspended")
    }
}
