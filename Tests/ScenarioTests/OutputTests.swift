import Foundation
import LandlordCore
import ProviderAPI
import Testing

/// Blueprint outputs with examples/tiers and the mock: computed at apply, recorded in state
/// (sensitive ones marked), shown in plans, by `landlord output` and in `status --json`.
@Suite struct OutputTests {
    func harness() throws -> Harness {
        var h = try Harness(example: "tiers")
        h.settings.seed = 1
        return h
    }

    @Test func outputsAreComputedAtApplyAndRecordedInState() async throws {
        let h = try harness()
        let plan = try await h.plan()
        let acmePlan = try #require(plan.tenants.first { $0.tenant == "acme" })
        // Before apply: the url is known, the pool id is not.
        #expect(acmePlan.outputChanges.map(\.name) == ["backend", "clientId", "clientSecret", "url", "userPoolId"])
        #expect(acmePlan.outputs["url"] == "https://acme.tiers.example.com")
        #expect(acmePlan.outputs["userPoolId"]?.isKnown == false)
        try await h.apply()

        let acme = try #require(try await TenantOutputs.load("acme", from: h.store))
        let recorded = try await h.recorded()
        #expect(acme["url"] == "https://acme.tiers.example.com")
        #expect(acme["userPoolId"] == .string(try #require(recorded["acme/users"]).id))
        #expect(acme["clientId"] == .string(try #require(recorded["acme/users_client"]).id))
        #expect(acme["backend"] == recorded["acme/silo_service"]?.outputs["arn"])
        // A secret stays marked: it refers to a sensitive attribute.
        let secret = try #require(acme["clientSecret"])
        #expect(secret.isSensitive)
        #expect(secret.revealed == recorded["acme/users_client"]?.outputs["clientSecret"]?.revealed)
        #expect(TenantOutputs.displayed(acme)["clientSecret"] == "(sensitive)")
        // A basic tenant has no silo, so no `backend` output.
        let globex = try #require(try await TenantOutputs.load("globex", from: h.store))
        #expect(globex.keys.sorted() == ["clientId", "clientSecret", "url", "userPoolId"])
        #expect(try await TenantOutputs.load("nobody", from: h.store) == nil)
        #expect(try await h.plan().isEmpty, "recorded outputs match the plan: no changes")
    }

    /// A failed resource leaves the outputs that need it unrecorded (and the others recorded);
    /// the next plan shows them again and the retry records them.
    @Test func outputsOfAFailedResourceWaitForTheRetry() async throws {
        var h = try harness()
        h.settings.failMatch = "acme/users_client"
        let failed = try await h.apply()
        #expect(failed.tenants.first { $0.tenant == "acme" }?.status == .failed)
        let partial = try #require(try await TenantOutputs.load("acme", from: h.store))
        #expect(partial["url"] == "https://acme.tiers.example.com")
        #expect(partial["userPoolId"]?.stringValue?.isEmpty == false)
        #expect(partial["clientId"] == nil && partial["clientSecret"] == nil)
        h.settings.failMatch = nil
        let retry = try #require(try await h.plan().tenants.first { $0.tenant == "acme" })
        #expect(retry.outputChanges.map(\.name) == ["clientId", "clientSecret"])
        try await h.apply()
        #expect(try await TenantOutputs.load("acme", from: h.store)?["clientId"] != nil)
        #expect(try await h.plan().isEmpty)
    }

    @Test func aNewOutputIsAPlanOfItsOwnAndADowngradeDropsTheSiloOutput() async throws {
        let h = try harness()
        try await h.apply()
        try h.edit("blueprints/saas.yaml") { $0 + "  callback: \"https://${subdomain}.${platform.domain}/callback\"\n" }
        let plan = try await h.plan()
        #expect(plan.tenants.map(\.tenant) == ["acme", "globex", "initech"])
        #expect(plan.summary.total == 0, "no resource changes")
        let text = TextRenderer().render(plan)
        #expect(text.contains("  Changes to outputs:\n    + output callback = \"https://acme.tiers.example.com/callback\"\n"), "\(text)")
        try await h.apply()
        #expect(try await TenantOutputs.load("globex", from: h.store)?["callback"] == "https://globex.tiers.example.com/callback")
        #expect(try await h.plan().isEmpty)

        try h.edit("tenants/acme.yaml") { $0.replacingOccurrences(of: "tier: premium", with: "tier: basic") }
        let down = try #require(try await h.plan().tenants.first)
        #expect(down.outputChanges.map { "\($0.action.rawValue) \($0.name)" } == ["delete backend"])
        try await h.apply()
        #expect(try await TenantOutputs.load("acme", from: h.store)?["backend"] == nil)
    }

    @Test func outputCommandStatusJSONAndSensitiveRedaction() async throws {
        let h = try harness()
        let d = h.dir.path
        let apply = try await CLI.run(["-C", d, "apply", "--auto-approve"])
        #expect(apply.code == 0, "\(apply.all)")
        let secret = try #require(try await TenantOutputs.load("acme", from: h.store)?["clientSecret"]?.revealed.stringValue)

        let json = try await CLI.run(["-C", d, "output", "--tenant", "acme", "--json"])
        #expect(json.code == 0, "\(json.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: String])
        #expect(doc["url"] == "https://acme.tiers.example.com")
        #expect(doc["clientSecret"] == "(sensitive)")
        #expect(doc["userPoolId"]?.isEmpty == false)
        #expect(!json.stdout.contains(secret))

        let shown = try await CLI.run(["-C", d, "output", "--tenant", "acme", "--json", "--show-sensitive"])
        let clear = try #require(try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: String])
        #expect(clear["clientSecret"] == secret)

        let text = try await CLI.run(["-C", d, "output", "--tenant", "acme"])
        #expect(text.stdout.contains("clientSecret = (sensitive)\n"), "\(text.stdout)")
        #expect(text.stdout.contains("url          = \"https://acme.tiers.example.com\"\n"), "\(text.stdout)")
        let one = try await CLI.run(["-C", d, "output", "--tenant", "acme", "url"])
        #expect(one.stdout == "https://acme.tiers.example.com\n")

        let status = try await CLI.run(["-C", d, "status", "--json"])
        #expect(status.code == 0, "\(status.stderr)")
        let st = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        let tenants = try #require(st["tenants"] as? [[String: Any]])
        let acme = try #require(tenants.first { $0["tenant"] as? String == "acme" })
        #expect(acme["status"] as? String == "active")
        #expect((acme["outputs"] as? [String: Any])?["clientSecret"] as? String == "(sensitive)")
        #expect(!status.stdout.contains(secret))

        let typo = try await CLI.run(["-C", d, "output", "--tenant", "acm"])
        #expect(typo.code == 1)
        #expect(typo.stderr.contains("unknown tenant 'acm' (did you mean 'acme'?)"), "\(typo.stderr)")
        let missing = try await CLI.run(["-C", d, "output", "--tenant", "acme", "urll"])
        #expect(missing.code == 1)
        #expect(missing.stderr.contains("has no output 'urll' (did you mean 'url'?)"), "\(missing.stderr)")

        // Destroying the tenant drops its outputs; the plan shows it without the secret.
        let destroy = try await CLI.run(["-C", d, "destroy", "--tenant", "acme", "--auto-approve"])
        #expect(destroy.code == 0, "\(destroy.all)")
        #expect(!destroy.all.contains(secret))
        #expect(destroy.stdout.contains("- output clientSecret = (sensitive)"), "\(destroy.stdout)")
        #expect(try await TenantOutputs.load("acme", from: h.store)?.isEmpty ?? true, "a destroyed tenant has no outputs")
    }

    /// A saved plan keeps only a hash of a sensitive output; `apply FILE` takes it again from
    /// the specs and records it.
    @Test func aSavedPlanWithASensitiveOutputAppliesAndRecordsIt() async throws {
        let h = try harness()
        let d = h.dir.path
        try h.edit("blueprints/saas.yaml") {
            $0.replacingOccurrences(
                of: "  image: {type: string, default:",
                with: "  apiKey: {type: string, sensitive: true, default: s3cr3t-key}\n  image: {type: string, default:")
                + "  apiKey: \"${apiKey}\"\n"
        }
        let plan = try await CLI.run(["-C", d, "plan", "--out", "\(d)/t.plan"])
        #expect(plan.code == 0, "\(plan.all)")
        let file = try String(contentsOfFile: "\(d)/t.plan", encoding: .utf8)
        #expect(!file.contains("s3cr3t-key"))
        #expect(file.contains("\"sensitive\": ["), "kept as its hash, marked sensitive beside it")
        let apply = try await CLI.run(["-C", d, "apply", "\(d)/t.plan"])
        #expect(apply.code == 0, "\(apply.all)")
        let globex = try #require(try await TenantOutputs.load("globex", from: h.store))
        #expect(globex["apiKey"] == .sensitive("s3cr3t-key"))
        // Outputs deferred in the file (known after apply) are resolved too.
        #expect(globex["userPoolId"] == .string(try #require(try await h.recorded()["globex/users"]).id))
    }
}
