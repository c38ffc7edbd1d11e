import Foundation
import LandlordCore
import Testing

/// Fleet rollouts: waves stop at the first failing wave; --max-tenants leaves the rest of a
/// saved plan for the next run.
@Suite struct RolloutTests {
    /// The quickstart plus t1...tN of the web blueprint.
    func fleet(_ count: Int) throws -> Harness { try Harness.withWebTenants(count) }

    @Test func wavesStopAtTheFirstFailingWaveAndLeaveLaterTenantsUntouched() async throws {
        let h = try fleet(8)  // acme, globex, t1..t8 = 10 tenants
        // Waves of 1, 2, then 4: acme | globex, t1 | t2..t5 | t6..t8. t3 fails in the third wave.
        let run = try await CLI.run(["-C", h.dir.path, "apply", "--auto-approve", "--waves", "1,2,4"], env: ["LANDLORD_MOCK_FAIL_MATCH": "t3/"])
        #expect(run.code == 1)
        #expect(run.stdout.contains("Stopped after the failed wave: 3 tenants not touched (t6, t7, t8)"), "\(run.stdout)")
        let touched = Set(try h.cloud().compactMap { $0.tags["landlord:tenant"] })
        #expect(touched == ["acme", "globex", "t1", "t2", "t4", "t5"])  // every t3 resource failed
        #expect(try await h.store.loadTenant("t3")?.status == .failed)
        #expect(try await h.store.loadTenant("t6") == nil)
        // Fixed: the rollout goes on.
        #expect(try await CLI.run(["-C", h.dir.path, "apply", "--auto-approve", "--waves", "1,10%,100%"]).code == 0)
        #expect(try await h.plan().isEmpty)
    }

    @Test func maxTenantsThenASecondApplyOfTheSameSavedPlanCompletesTheRest() async throws {
        let h = try fleet(3)  // 5 tenants
        let file = h.dir.appendingPathComponent("fleet.plan").path
        #expect(try await CLI.run(["-C", h.dir.path, "plan", "--out", file]).code == 0)
        let first = try await CLI.run(["-C", h.dir.path, "apply", file, "--max-tenants", "2"])
        #expect(first.code == 0, "\(first.stderr)")
        #expect(first.stdout.contains("3 tenants left for the next run"))
        #expect(Set(try h.cloud().compactMap { $0.tags["landlord:tenant"] }) == ["acme", "globex"])
        let recorded = try PlanFile.decode(Array(try Data(contentsOf: URL(fileURLWithPath: file))))
        #expect(recorded.appliedTenants == ["acme", "globex"])
        let second = try await CLI.run(["-C", h.dir.path, "apply", file])
        #expect(second.code == 0, "\(second.stderr)")
        #expect(second.stderr.contains("2 tenants were applied from this plan by an earlier run"))
        #expect(second.stdout.contains("applied to 3 tenants"))
        #expect(try await h.plan().isEmpty)
        #expect(try h.cloud().count == 5 * 14)
    }

    @Test func jsonEventStreamHasOneObjectPerLine() async throws {
        let h = try Harness()
        let run = try await CLI.run(["-C", h.dir.path, "apply", "--auto-approve", "--json"])
        #expect(run.code == 0)
        let events = try run.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(events.filter { $0["event"] as? String == "tenant_started" }.count == 2)
        #expect(events.filter { $0["event"] as? String == "resource_changed" }.count == 28)
        let finished = events.filter { $0["event"] as? String == "tenant_finished" }
        #expect(finished.count == 2)
        #expect(finished.allSatisfy { $0["status"] as? String == "active" && $0["seconds"] is Double })
        #expect(events.last?["event"] as? String == "summary")
        #expect(events.last?["ok"] as? Bool == true)
    }
}
