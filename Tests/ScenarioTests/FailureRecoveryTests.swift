import Foundation
import LandlordCore
import MockProvider
import ProviderAPI
import Testing

/// Applies that fail part-way, and reruns that finish the job.
@Suite struct FailureRecoveryTests {
    @Test func aFailedResourceStopsItsDependentsButNotIndependentWork() async throws {
        let h = try Harness()
        var s = MockSettings()
        s.failMatch = "acme/backend_tg"
        let result = try await h.apply(provider: MockProvider(cloudPath: h.cloudPath, settings: s))
        #expect(result.failed)
        let acme = try #require(result.tenants.first { $0.tenant == "acme" })
        let globex = try #require(result.tenants.first { $0.tenant == "globex" })
        #expect(acme.status == .failed)
        #expect(acme.failed == 1)
        // backend_rule, api_dns, backend and frontend (after backend) depend on backend_tg.
        #expect(acme.skipped == 4)
        #expect(acme.applied == 14 - 5)
        #expect(globex.status == .active)
        #expect(acme.errors.first?.summary.contains("injected fault") == true)
        let recorded = try await h.recorded()
        #expect(recorded["acme/backend_tg"] == nil)
        #expect(recorded["acme/users"] != nil)
        #expect(try await h.store.loadTenant("acme")?.status == .failed)
        // Rerun without the fault: converges.
        let rerun = try await h.plan()
        #expect(rerun.tenants.map(\.tenant) == ["acme"])
        #expect(rerun.summary.create == 5)
        #expect(try await !h.apply().failed)
        #expect(try await h.plan().isEmpty)
        #expect(try h.cloud().count == 28)
        #expect(try await h.store.loadTenant("acme")?.status == .active)
    }

    @Test(arguments: 1...12) func randomFaultsThenRerunsConvergeWithNoOrphansOrDuplicates(seed: Int) async throws {
        let h = try Harness()
        var s = MockSettings()
        s.failRate = 0.3
        s.seed = UInt64(seed)
        var rounds = 0
        while rounds < 20 {
            rounds += 1
            let r = try await h.apply(provider: MockProvider(cloudPath: h.cloudPath, settings: s))
            if !r.failed { break }
        }
        #expect(try await !h.apply().failed)
        #expect(try await h.plan().isEmpty)
        let cloud = try h.cloud()
        let recorded = try await h.recorded()
        #expect(cloud.count == 28)
        #expect(Set(cloud.map(\.id)) == Set(recorded.values.map(\.id)))
        let addresses = cloud.compactMap { $0.tags["landlord:address"] }
        #expect(Set(addresses).count == addresses.count)
    }

    @Test func anInterruptedCreateIsAdoptedByItsTagsNotMadeTwice() async throws {
        let h = try Harness()
        try await h.apply()
        // Simulate a crash between the provider's create and the state write: the cloud has the
        // resource, the state only has the intent.
        var state = try #require(try await h.store.loadTenant("acme"))
        let tg = try #require(state.resources["backend_tg"])
        state.resources["backend_tg"] = nil
        state.resources["backend_rule"] = nil
        state.pending["backend_tg"] = PendingIntent(type: tg.type, clientToken: "t", startedAt: Date(), inputs: tg.inputs)
        state.serial += 1
        try await h.store.saveTenant(state)
        // The rule is gone from state too: delete it from the cloud so the target group is free.
        let rule = try h.cloud().first { $0.tags["landlord:address"] == "acme/backend_rule" }!
        _ = try MockCloud(path: h.cloudPath).transact { tx in tx.delete(type: rule.type, id: rule.id) }

        let plan = try await h.plan()
        let create = try #require(plan.tenants.first?.changes.first { $0.name == "backend_tg" })
        #expect(create.reasons.first?.contains("interrupted create") == true)
        #expect(try await !h.apply().failed)
        let tgs = try h.cloud().filter { $0.tags["landlord:address"] == "acme/backend_tg" }
        #expect(tgs.count == 1)
        #expect(tgs.first?.id == tg.id)
        #expect(try await h.plan().isEmpty)
    }

    @Test func driftIsReportedAndCorrected() async throws {
        let h = try Harness()
        try await h.apply()
        // Change a health check path and delete a record behind Landlord's back.
        let cloud = MockCloud(path: h.cloudPath)
        try cloud.transact { tx in
            var tg = tx.resources.values.first { $0.tags["landlord:address"] == "acme/backend_tg" }!
            tg.attributes["healthCheckPath"] = "/changed"
            tx.put(tg)
            let dns = tx.resources.values.first { $0.tags["landlord:address"] == "globex/dns" }!
            tx.delete(type: dns.type, id: dns.id)
        }
        let plan = try await h.plan()
        let all = plan.tenants.flatMap(\.changes)
        let tg = try #require(all.first { $0.address == "acme/backend_tg" })
        #expect(tg.action == .update)
        #expect(tg.reasons.contains { $0.contains("drift: healthCheckPath changed outside Landlord") })
        let dns = try #require(all.first { $0.address == "globex/dns" })
        #expect(dns.action == .create)
        #expect(dns.reasons == ["drift: deleted outside Landlord"])
        #expect(all.count == 2)
        let text = TextRenderer().render(plan)
        #expect(
            text.contains(
                """
                Objects have changed outside of Landlord:\n  ~ acme/backend_tg: healthCheckPath changed outside \
                Landlord\n  ~ globex/dns: deleted outside Landlord\n
                """
            ), "\(text)")
        // Without refresh, the drift is not seen.
        #expect(try await h.plan(refresh: false).isEmpty)
        #expect(try await !h.apply().failed)
        #expect(try await h.plan().isEmpty)
    }
}

/// State lost (or restored from an old backup) while the cloud kept the resources.
@Suite struct LostStateTests {
    @Test func resourcesTaggedWithTheirAddressAreAdoptedNotDuplicated() async throws {
        let h = try Harness()
        try await h.apply()
        let before = try h.cloud()
        try FileManager.default.removeItem(at: h.dir.appendingPathComponent(".landlord/state"))
        let run = try await CLI.run(["-C", h.dir.path, "apply", "--auto-approve", "--adopt"])
        #expect(run.code == 0, "\(run.stderr)")
        let after = try h.cloud()
        // Every resource was found by its tags (or, untaggable, its natural key) and adopted.
        let addresses = after.compactMap { $0.tags["landlord:address"] }
        #expect(Set(addresses).count == addresses.count, "no address has two resources")
        #expect(after.count == before.count)
        #expect(try await h.plan().isEmpty)
    }
}
