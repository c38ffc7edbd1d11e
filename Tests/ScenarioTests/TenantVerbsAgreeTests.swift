import Foundation
import LandlordCore
import ProviderAPI
import Testing

/// The `tenant` verbs agree with their help and with each other (issue 29, point 8): text
/// `tenant show` prints parameters and history, `tenant list` has a header and aligned columns
/// and lists the tenants `status` lists, `reject` needs no reason, and the reading verbs answer
/// while a service holds the fleet.
@Suite struct TenantVerbsAgreeTests {
    static func tenant(_ h: Harness, _ args: [String]) async throws -> CLI.Run {
        try await TenantCommandTests.tenant(h, args)
    }

    @Test func textShowPrintsParametersOutputsAndHistory() async throws {
        let h = try TenantCommandTests.fleet()
        #expect(try await TenantCommandTests.create(h, "hooli").code == 0)
        #expect(try await Self.tenant(h, ["approve", "hooli"]).code == 0)
        let shown = try await Self.tenant(h, ["show", "hooli"])
        #expect(shown.code == 0, "\(shown.all)")
        let text = shown.stdout
        #expect(text.hasPrefix("tenant hooli: active\n"), "\(text)")
        #expect(text.contains("  blueprint: gated\n") && text.contains("  resources: 14\n"), "\(text)")
        #expect(text.contains("  parameters:\n") && text.contains("    subdomain     = \"hooli\"\n"), "\(text)")
        #expect(text.contains("    backendImage  = \"img:1\"\n") && text.contains("    apiKey        = \"(sensitive)\"\n"), "\(text)")
        #expect(text.contains("  outputs:\n") && text.contains("    url        = \"https://hooli."), "\(text)")
        let history = text.components(separatedBy: "  history:\n").last ?? ""
        let statuses = history.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "" }
        #expect(statuses == ["pending_approval", "provisioning", "active"], "\(text)")
    }

    @Test func listHasAHeaderAlignedColumnsAndTheTenantsStatusLists() async throws {
        let h = try TenantCommandTests.fleet()
        // A tenant file written by hand (never applied) and one made through `tenant create`.
        try h.addWebTenant("handmade-long-id", subdomain: "handmade")
        #expect(try await TenantCommandTests.create(h, "aaa", blueprint: "web").code == 0)
        let list = try await Self.tenant(h, ["list"])
        #expect(list.code == 0, "\(list.all)")
        let lines = list.stdout.split(separator: "\n")
        try #require(lines.count == 3, "\(list.stdout)")
        #expect(lines[0].hasPrefix("TENANT  "), "\(list.stdout)")
        #expect(lines[1].hasPrefix("aaa ") && lines[1].contains("  active  "), "\(list.stdout)")
        #expect(lines[2].hasPrefix("handmade-long-id  planned  "), "\(list.stdout)")
        let starts = lines.map(NewcomerCLITests.columnStarts)
        #expect(starts.allSatisfy { $0 == starts[0] } && starts[0].count == 4, "\(list.stdout)")
        // `status` lists the same tenants with the same statuses.
        let status = try await CLI.run(["-C", h.dir.path, "status"])
        let listed = { (text: String) in text.split(separator: "\n").dropFirst().map { $0.split(separator: " ").prefix(2).joined(separator: " ") } }
        #expect(listed(status.stdout) == listed(list.stdout), "status:\n\(status.stdout)\ntenant list:\n\(list.stdout)")
        // `--status planned` finds it; the hand-written tenant is shown too.
        let planned = try await Self.tenant(h, ["list", "--status", "planned", "--json"])
        let ids = try TenantCommandTests.json(planned)["tenants"]?.listValue?.compactMap { $0.mapValue?["id"]?.stringValue }
        #expect(ids == ["handmade-long-id"], "\(planned.all)")
        let shown = try await Self.tenant(h, ["show", "handmade-long-id"])
        #expect(shown.code == 0 && shown.stdout.hasPrefix("tenant handmade-long-id: planned\n"), "\(shown.all)")
        #expect(shown.stdout.contains("history: none"), "\(shown.stdout)")
        let typo = try await Self.tenant(h, ["list", "--status", "plannd"])
        #expect(typo.code != 0 && typo.stderr.contains("did you mean 'planned'?"), "\(typo.all)")
    }

    @Test func rejectNeedsNoReason() async throws {
        let h = try TenantCommandTests.fleet()
        #expect(try await TenantCommandTests.create(h, "piper").code == 0)
        let r = try await Self.tenant(h, ["reject", "piper", "--json"])
        #expect(r.code == 0, "\(r.all)")
        let m = try TenantCommandTests.json(r)
        #expect(m["status"]?.stringValue == "rejected")
        #expect(m["history"]?.listValue?.last?.mapValue?["reason"] == nil, "\(r.stdout)")
    }

    @Test func readingVerbsAnswerWhileTheServiceHoldsTheFleet() async throws {
        let h = try TenantCommandTests.fleet()
        #expect(try await TenantCommandTests.create(h, "busy").code == 0)
        // A running `landlord serve` holds this lock for its whole life (see TenantCommandTests).
        guard case .success(let unlock) = try ServiceLockProbe.acquire(h.dir) else {
            Issue.record("could not take the service lock")
            return
        }
        defer { unlock() }
        let list = try await Self.tenant(h, ["list"])
        #expect(list.code == 0, "\(list.all)")
        #expect(list.stdout.contains("busy") && list.stdout.contains("pending_approval"), "\(list.all)")
        let show = try await Self.tenant(h, ["show", "busy", "--json"])
        #expect(show.code == 0, "\(show.all)")
        #expect(try TenantCommandTests.json(show)["status"]?.stringValue == "pending_approval")
        // Verbs that change a tenant are still refused.
        let approve = try await Self.tenant(h, ["approve", "busy"])
        #expect(approve.code == 1 && approve.stderr.contains("service lock"), "\(approve.all)")
    }
}
