import Foundation
import LandlordLocalState
import MockProvider
import ProviderAPI
import Testing

@testable import LandlordCore

/// A refresh keeps only what drifted (issue 16, target 2): a resource gone, or an input the
/// provider reports other than state records. Everything else it reads is dropped as it
/// arrives, so a fleet that has not drifted holds no copy of the cloud, and the plan is the same
/// as if every read had been kept.
@Suite struct RefreshDriftTests {
    static func registry(_ h: Harness) throws -> ProviderRegistry { try h.workspace().providers }

    @Test func onlyWhatDriftedIsKept() async throws {
        let h = try Harness()
        try await h.apply()
        let states = try await h.store.loadTenants(["acme", "globex"])
        let recorded = try await h.recorded()
        let registry = try Self.registry(h)

        // Nothing drifted: every resource is read, none is kept.
        let clean = await Refresher.refresh(states, tenants: nil, providers: registry)
        #expect(clean.diagnostics.isEmpty)
        #expect(clean.report.resources == recorded.count && clean.report.resources > 10)
        #expect(clean.refreshed.isEmpty && clean.driftedTenants.isEmpty && clean.report.drifted == 0)

        // An input changed, a resource deleted, and an attribute state does not hold as an
        // input (what only the provider reports) changed: the first two are drift.
        let tg = try #require(recorded["acme/backend_tg"]).object
        let dns = try #require(recorded["acme/api_dns"]).object
        let rule = try #require(recorded["globex/frontend_rule"]).object
        let inputs = try #require(recorded["globex/frontend_rule"]).inputs
        try MockCloud(path: h.cloudPath).transact { tx in
            var now = try #require(tx.get(type: tg.type, id: tg.id))
            now.attributes["healthCheckPath"] = "/changed-by-hand"
            tx.put(now)
            tx.delete(type: dns.type, id: dns.id)
            var other = try #require(tx.get(type: rule.type, id: rule.id))
            #expect(inputs["reportedOnly"] == nil)
            other.attributes["reportedOnly"] = "seen by the provider alone"
            tx.put(other)
        }
        let drifted = await Refresher.refresh(states, tenants: nil, providers: registry)
        #expect(drifted.diagnostics.isEmpty)
        #expect(Set(drifted.refreshed.keys) == ["acme/backend_tg", "acme/api_dns"])
        #expect(drifted.refreshed["acme/api_dns"] == .some(nil), "a deleted resource is kept as gone")
        let read = try #require(drifted.refreshed["acme/backend_tg"] ?? nil)
        #expect(read.attributes["healthCheckPath"] == "/changed-by-hand")
        #expect(drifted.driftedTenants == ["acme"] && drifted.report.drifted == 2)

        // Scoped to globex, nothing is kept: its only change is not an input.
        let scoped = await Refresher.refresh(states, tenants: ["globex"], providers: registry)
        #expect(scoped.refreshed.isEmpty && scoped.driftedTenants.isEmpty)
        #expect(scoped.report.resources == recorded.keys.count { $0.hasPrefix("globex/") })

        // The plan from what was kept: the drifted input updated, the deleted one made again,
        // globex unchanged.
        let plan = try await h.plan(refresh: true)
        let changes = Dictionary(plan.tenants.flatMap(\.changes).map { ($0.address, $0.action) }) { a, _ in a }
        #expect(changes == ["acme/backend_tg": .update, "acme/api_dns": .create])
    }

    @Test func aDamagedRecordFailsTheRefreshWithWhatToDo() async throws {
        let h = try Harness()
        try await h.apply()
        try MockCloud(path: h.cloudPath).compact()
        let states = try await h.store.loadTenants(["acme", "globex"])
        let tg = try #require(states["acme"]?.resources["backend_tg"])
        // Damage the target group's record in place, its key intact.
        var text = try String(contentsOfFile: h.cloudPath, encoding: .utf8)
        let line = try #require(text.components(separatedBy: "\n").first { $0.contains("\"id\":\"\(tg.id)\"") })
        text = text.replacingOccurrences(of: line, with: line.replacingOccurrences(of: "\"attributes\":{", with: "\"attributes\":{{"))
        #expect(text.contains("{{"))
        try Data(text.utf8).write(to: URL(fileURLWithPath: h.cloudPath))
        let result = await Refresher.refresh(states, tenants: nil, providers: try Self.registry(h))
        #expect(result.diagnostics.hasErrors)
        #expect(result.diagnostics.errors.contains { "\($0)".contains("damaged record") && "\($0)".contains("empty cloud") })
    }
}
