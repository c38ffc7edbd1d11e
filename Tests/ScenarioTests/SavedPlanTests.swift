import Foundation
import LandlordCore
import LandlordTestSupport
import Testing

/// Saved plans as review artifacts: applied exactly, refused when stale or damaged, secrets
/// never written in clear.
@Suite struct SavedPlanTests {
    func savedPlan(_ h: Harness, _ extra: [String] = []) async throws -> String {
        let file = h.dir.appendingPathComponent("tenants.plan").path
        let run = try await CLI.run(["-C", h.dir.path, "plan", "--out", file] + extra)
        #expect(run.code == 0, "\(run.stderr)")
        return file
    }

    /// The state and cloud, to compare before and after a refused apply.
    func snapshot(_ h: Harness) async throws -> String {
        let states = try await h.recorded().sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.id)" }.joined(separator: ",")
        var serials: [String] = []
        for id in try await h.store.listTenants() { serials.append("\(id):\(String(describing: try await h.store.loadTenant(id)?.serial))") }
        return states + "|" + serials.joined(separator: ",") + "|" + (try h.cloud().map(\.id).sorted().joined(separator: ","))
    }

    @Test func aSavedPlanIsAppliedWithoutAskingAndExactly() async throws {
        let h = try Harness()
        let file = try await savedPlan(h)
        let apply = try await CLI.run(["-C", h.dir.path, "apply", file])
        #expect(apply.code == 0, "\(apply.stderr)")
        #expect(apply.stdout.contains("Apply complete! 28 changes applied to 2 tenants"))
        #expect(try h.cloud().count == 28)
        #expect(try await h.plan().isEmpty)
    }

    @Test func exitCodesForCI() async throws {
        let h = try Harness()
        let file = h.dir.appendingPathComponent("ci.plan").path
        #expect(try await CLI.run(["-C", h.dir.path, "plan", "--detailed-exitcode", "--out", file]).code == 2)
        #expect(try await CLI.run(["-C", h.dir.path, "apply", file]).code == 0)
        #expect(try await CLI.run(["-C", h.dir.path, "plan", "--detailed-exitcode", "--out", file]).code == 0)
        let json = try await CLI.run(["-C", h.dir.path, "show", file, "--format", "json"])
        #expect(json.stdout.contains("\"summary\": {\n    \"create\": 0,\n    \"delete\": 0,\n    \"replace\": 0,\n    \"update\": 0\n  }"))
        try h.edit("tenants/acme.yaml") { $0.replacingOccurrences(of: "subdomain: acme", with: "subdomain: Acme!") }
        #expect(try await CLI.run(["-C", h.dir.path, "plan", "--detailed-exitcode", "--out", file]).code == 1)
    }

    @Test func aPlanWhoseStateMovedOnIsRefusedAndChangesNothing() async throws {
        let h = try Harness()
        let stale = try await savedPlan(h)
        // Someone applies in between: the plan was made against empty state.
        #expect(try await CLI.run(["-C", h.dir.path, "apply", "--auto-approve"]).code == 0)
        let before = try await snapshot(h)
        let run = try await CLI.run(["-C", h.dir.path, "apply", stale])
        #expect(run.code == 1)
        #expect(run.stderr.contains("planned against no state, but it now has state"))
        #expect(run.stderr.contains("plan again"))
        #expect(try await snapshot(h) == before)
        // And one made against a serial that has moved.
        try h.edit("tenants/acme.yaml") { $0.replacingOccurrences(of: "backend:1.4.2", with: "backend:1.5.0") }
        let second = try await savedPlan(h)
        try h.edit("tenants/acme.yaml") { $0.replacingOccurrences(of: "backend:1.5.0", with: "backend:1.6.0") }
        #expect(try await CLI.run(["-C", h.dir.path, "apply", "--auto-approve", "--tenant", "acme"]).code == 0)
        try h.edit("tenants/acme.yaml") { $0.replacingOccurrences(of: "backend:1.6.0", with: "backend:1.5.0") }
        let moved = try await snapshot(h)
        let again = try await CLI.run(["-C", h.dir.path, "apply", second])
        #expect(again.code == 1)
        #expect(again.stderr.contains("state changed since planning"))
        #expect(try await snapshot(h) == moved)
    }

    @Test func aPlanWhoseSpecsChangedOnDiskIsRefused() async throws {
        let h = try Harness()
        let file = try await savedPlan(h)
        try h.edit("blueprints/web.yaml") { $0.replacingOccurrences(of: "healthCheckPath: /health}", with: "healthCheckPath: /ready}") }
        let run = try await CLI.run(["-C", h.dir.path, "apply", file])
        #expect(run.code == 1)
        #expect(run.stderr.contains("changed since planning"))
        #expect(try h.cloud().isEmpty)
        #expect(try await h.store.listTenants().isEmpty)
    }

    @Test func damagedOrForeignPlanFilesAreRefused() async throws {
        let h = try Harness()
        let file = try await savedPlan(h)
        let good = try String(contentsOfFile: file, encoding: .utf8)
        let cases: [(String, String)] = [
            (String(good.prefix(good.count / 2)), "truncated or corrupted"),
            (good.replacingOccurrences(of: "t-acme-be", with: "t-evil-be"), "checksum does not match"),
            (
                good.replacingOccurrences(of: "\"format_version\": \"2\"", with: "\"format_version\": \"9\""),
                "format version 9 was written by a newer landlord"
            ),
            ("{\"hello\": \"world\"}", "not a Landlord plan"),
        ]
        for (text, expected) in cases {
            try text.write(toFile: file, atomically: true, encoding: .utf8)
            let run = try await CLI.run(["-C", h.dir.path, "apply", file])
            #expect(run.code == 1)
            #expect(run.stderr.contains(expected), "expected '\(expected)' in: \(run.stderr)")
            let show = try await CLI.run(["-C", h.dir.path, "show", file])
            #expect(show.code == 1)
        }
        #expect(try h.cloud().isEmpty)
        #expect(try await h.store.listTenants().isEmpty)
    }

    @Test func aSensitiveValueNeverAppearsInClear() async throws {
        let h = try Harness()
        let secret = "pl4nted-s3cret-\(UUID().uuidString.prefix(8))"
        try h.edit("tenants/acme.yaml") { $0.replacingOccurrences(of: "tier: premium", with: "tier: premium, apiKey: \"\(secret)\"") }
        let file = try await savedPlan(h)
        #expect(!(try String(contentsOfFile: file, encoding: .utf8)).contains(secret))
        for format in ["text", "json", "markdown"] {
            let show = try await CLI.run(["-C", h.dir.path, "show", file, "--format", format])
            #expect(show.code == 0)
            #expect(!show.stdout.contains(secret) && !show.stderr.contains(secret))
            #expect(show.stdout.contains("(sensitive)"))
            let plan = try await CLI.run(["-C", h.dir.path, "plan", "--format", format])
            #expect(!plan.stdout.contains(secret) && !plan.stderr.contains(secret))
        }
        // A failing apply prints nothing secret either.
        let failing = try await CLI.run(["-C", h.dir.path, "apply", file], env: ["LANDLORD_MOCK_FAIL_MATCH": "acme/backend_task"])
        #expect(failing.code == 1)
        #expect(!failing.stdout.contains(secret) && !failing.stderr.contains(secret))
        // The value is taken again from the spec at apply: it reaches the cloud.
        let cloud = try h.cloud().first { $0.tags["landlord:address"] == "acme/backend_task" }
        #expect(cloud == nil)
        let file2 = try await savedPlan(h)
        #expect(try await CLI.run(["-C", h.dir.path, "apply", file2]).code == 0)
        let task = try h.cloud().first { $0.tags["landlord:address"] == "acme/backend_task" }
        #expect(task?.attributes["environment"]?.mapValue?["API_KEY"]?.revealed == .string(secret))
    }

    @Test func aTenantFileCannotPublishAnUndeclaredVariableInAPlan() async throws {
        let h = try Harness()
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        try h.edit("tenants/acme.yaml") {
            $0.replacingOccurrences(of: "\"registry.example.com/backend:1.4.2\"", with: "\"${env.AWS_SECRET_ACCESS_KEY}\"")
        }
        let run = try await CLI.run(["-C", h.dir.path, "plan", "--format", "markdown"], env: ["AWS_SECRET_ACCESS_KEY": secret])
        #expect(run.code == 1)
        #expect(run.stderr.contains("tenants/acme.yaml:5:"), "the diagnostic points at the reference: \(run.stderr)")
        #expect(run.stderr.contains("AWS_SECRET_ACCESS_KEY is not declared in platform.yaml"))
        #expect(!run.stdout.contains(secret) && !run.stderr.contains(secret), "the secret must never be printed")
    }

    @Test func aSensitiveValueFromTheEnvironmentThatChangedIsRefused() async throws {
        let h = try Harness()
        try h.edit("tenants/acme.yaml") { $0.replacingOccurrences(of: "tier: premium", with: "tier: premium, apiKey: \"${env.ACME_API_KEY}\"") }
        try h.edit("platform.yaml") { $0 + "\nenv: [ACME_API_KEY]\n" }
        let file = h.dir.appendingPathComponent("env.plan").path
        #expect(try await CLI.run(["-C", h.dir.path, "plan", "--out", file], env: ["ACME_API_KEY": "first"]).code == 0)
        let run = try await CLI.run(["-C", h.dir.path, "apply", file], env: ["ACME_API_KEY": "second"])
        #expect(run.code == 1)
        #expect(run.stderr.contains("sensitive value of acme/backend_task.environment differs"))
        #expect(try h.cloud().isEmpty)
        #expect(try await CLI.run(["-C", h.dir.path, "apply", file], env: ["ACME_API_KEY": "first"]).code == 0)
    }

    @Test func markdownHasTotalsPerTenantDetailsAndDataLossWarnings() async throws {
        let h = try Harness()
        try await h.apply()
        try h.remove("tenants/globex.yaml")
        let md = MarkdownRenderer().render(try await h.plan())
        #expect(md.contains("| **All 1 changed tenant** | **0** | **0** | **0** | **14** |"))
        #expect(md.contains(":warning: **`globex/users`** (`aws.cognito_user_pool`) will be **deleted**"))
        #expect(md.contains(":warning: **`globex/record`**"))
        #expect(md.contains("<details><summary><b>globex</b> (removed): 14 to delete</summary>"))
    }

    @Test func markdownStaysReadableAtAThousandTenants() async throws {
        let h = try Harness()
        for i in 0..<1000 { try h.addWebTenant("t\(i)", subdomain: "ten\(i)") }
        try h.raiseListenerLimits(to: 5000)
        let md = MarkdownRenderer().render(try await h.plan())
        #expect(md.count < 65_536)
        #expect(md.contains("| **All 1002 changed tenants** | **14028** |"))
        #expect(md.contains("more tenants"))
        #expect(md.contains("more tenants with changes not shown"))
    }
}

/// Plans/plan.schema.json documents the file the code writes.
@Suite struct PlanSchemaTests {
    @Test func savedPlansValidateAgainstTheDocumentedSchema() async throws {
        let h = try Harness()
        try await h.apply()
        try h.edit("tenants/acme.yaml") { $0.replacingOccurrences(of: "backend:1.4.2", with: "backend:1.5.0") }
        try h.remove("tenants/globex.yaml")
        let file = h.dir.appendingPathComponent("check.plan").path
        #expect(try await CLI.run(["-C", h.dir.path, "plan", "--out", file]).code == 0)
        let fresh = try Harness()
        let first = fresh.dir.appendingPathComponent("first.plan").path
        #expect(try await CLI.run(["-C", fresh.dir.path, "plan", "--out", first]).code == 0)
        let run = try await Spawned.run(
            URL(fileURLWithPath: "/usr/bin/env"),
            [
                "python3", "-c",
                """
                import json, sys, jsonschema
                schema = json.load(open(sys.argv[1]))
                for f in sys.argv[2:]:
                    jsonschema.validate(json.load(open(f)), schema)
                print("valid")
                """, repoRoot.appendingPathComponent("Plans/plan.schema.json").path, file, first,
            ])
        let text = run.all
        #expect(run.code == 0, "plan files must validate against Plans/plan.schema.json (needs python3 with jsonschema): \(text)")
    }
}
