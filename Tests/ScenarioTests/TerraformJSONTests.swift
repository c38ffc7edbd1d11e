import AWSSchema
import Foundation
import LandlordCore
import LandlordTestSupport
import MockProvider
import PostgresSchema
import ProviderAPI
import StripeSchema
import Testing

/// `--format terraform-json` (issue 25): a replacement, a drift, an output change, a sensitive
/// attribute and an unknown value each appear as Terraform's JSON plan format says, and every
/// rendering validates against Plans/terraform-json.schema.json.
@Suite struct TerraformJSONTests {
    /// The renderer with the built-in providers' shapes, as the CLI wires it (ReviewShapes.swift).
    static let renderer = TerraformJSONRenderer { type in
        AWSTerraformShapes.shapes[type] ?? PostgresTerraformShapes.shapes[type] ?? StripeTerraformShapes.shapes[type]
            ?? TerraformShape.fallback(type)
    }

    static func doc(_ plan: Plan) throws -> Value { try JSON.parse(renderer.render(plan)) }

    /// The entry of `section` (resource_changes, resource_drift) with this address.
    static func entry(_ doc: Value, _ address: String, in section: String = "resource_changes") throws -> [String: Value] {
        let list = doc.mapValue?[section]?.listValue ?? []
        return try #require(list.compactMap(\.mapValue).first { $0["address"] == .string(address) }, "no \(section) entry for \(address)")
    }

    static func change(_ doc: Value, _ address: String, in section: String = "resource_changes") throws -> [String: Value] {
        try #require(try entry(doc, address, in: section)["change"]?.mapValue)
    }

    /// Every resource of planned_values (all tenants' modules).
    static func planned(_ doc: Value) -> [String: [String: Value]] {
        let modules = doc.mapValue?["planned_values"]?.mapValue?["root_module"]?.mapValue?["child_modules"]?.listValue ?? []
        var out: [String: [String: Value]] = [:]
        for m in modules {
            for r in m.mapValue?["resources"]?.listValue ?? [] {
                if let r = r.mapValue, let a = r["address"]?.stringValue { out[a] = r }
            }
        }
        return out
    }

    static let acme = "module.tenant[\"acme\"]"

    @Test func anUnknownValueIsMarkedAndLeftOut() async throws {
        let doc = try Self.doc(try await Harness().plan())
        let address = Self.acme + ".aws_lb_target_group.backend_tg"
        let entry = try Self.entry(doc, address)
        #expect(entry["module_address"] == .string(Self.acme))
        #expect(entry["type"] == "aws_lb_target_group" && entry["name"] == "backend_tg" && entry["mode"] == "managed")
        #expect(entry["provider_name"] == "registry.terraform.io/hashicorp/aws")
        let c = try Self.change(doc, address)
        #expect(c["actions"] == ["create"])
        #expect(c["before"] == .null && c["before_sensitive"] == .bool(false))
        #expect(c["after_unknown"]?.mapValue?["arn"] == .bool(true))
        #expect(c["after"]?.mapValue?["arn"] == nil)
        // hashicorp/aws's shape: health_check is a nested block list.
        #expect(c["after"]?.mapValue?["health_check"] == [["enabled": true, "path": "/health"]])
        #expect(c["after"]?.mapValue?["vpc_id"] != nil && c["after"]?.mapValue?["vpcId"] == nil)
        let planned = try #require(Self.planned(doc)[address])
        #expect(planned["values"]?.mapValue?["arn"] == nil && planned["values"]?.mapValue?["port"] == 8080)
        #expect(doc.mapValue?["applyable"] == .bool(true) && doc.mapValue?["complete"] == .bool(true))
        #expect(doc.mapValue?["errored"] == .bool(false) && doc.mapValue?["format_version"] == "1.2")
    }

    /// The task definition's environment holds the API key: container_definitions (a JSON
    /// string, which Terraform can only mark whole) is marked sensitive and left out.
    @Test func aSensitiveAttributeIsMarkedAndNeverWritten() async throws {
        let text = Self.renderer.render(try await Harness().plan())
        #expect(!text.contains("dev-only-api-key"))
        let doc = try JSON.parse(text)
        let address = Self.acme + ".aws_ecs_task_definition.backend_task"
        let c = try Self.change(doc, address)
        #expect(c["after_sensitive"]?.mapValue?["container_definitions"] == .bool(true))
        #expect(c["after"]?.mapValue?["container_definitions"] == nil)
        #expect(c["after"]?.mapValue?["cpu"] == "256", "hashicorp/aws takes cpu as a string")
        let planned = try #require(Self.planned(doc)[address])
        #expect(planned["sensitive_values"]?.mapValue?["container_definitions"] == .bool(true))
        // The frontend's has no secret: its container definitions are there, as JSON text.
        let front = try Self.change(doc, Self.acme + ".aws_ecs_task_definition.frontend_task")
        let defs = try #require(front["after"]?.mapValue?["container_definitions"]?.stringValue)
        #expect(try JSON.parse(defs).listValue?.first?.mapValue?["image"] != nil)
    }

    @Test func aReplacementSaysItsOrderAndWhy() async throws {
        let h = try Harness()
        try await h.apply()
        try h.edit("tenants/acme.yaml") { $0.replacingOccurrences(of: "backend:1.4.2", with: "backend:1.5.0") }
        try h.edit("blueprints/web.yaml") { $0.replacingOccurrences(of: "port: 8080, protocol: HTTP", with: "port: 8081, protocol: HTTP") }
        let doc = try Self.doc(try await h.plan())
        // A new task definition revision is registered before the old one goes.
        let task = Self.acme + ".aws_ecs_task_definition.backend_task"
        let c = try Self.change(doc, task)
        #expect(c["actions"] == ["create", "delete"])
        #expect(c["replace_paths"] == [["container_definitions"]])
        #expect(try Self.entry(doc, task)["action_reason"] == "replace_because_cannot_update")
        #expect(c["before_sensitive"]?.mapValue?["container_definitions"] == .bool(true))
        #expect(c["after_unknown"]?.mapValue?["arn"] == .bool(true) && c["before"]?.mapValue?["arn"] != nil)
        // A target group keeps its name, unique in the account: the old one is deleted first.
        let tg = try Self.change(doc, Self.acme + ".aws_lb_target_group.backend_tg")
        #expect(tg["actions"] == ["delete", "create"])
        #expect(tg["replace_paths"] == [["port"]])
        #expect(tg["before"]?.mapValue?["port"] == 8080 && tg["after"]?.mapValue?["port"] == 8081)
    }

    @Test func driftIsInResourceDrift() async throws {
        let h = try Harness()
        try await h.apply()
        let recorded = try await h.recorded()
        let tg = try #require(recorded["acme/backend_tg"]).object
        let dns = try #require(recorded["acme/api_dns"]).object
        try MockCloud(path: h.cloudPath).transact { tx in
            var now = try #require(tx.get(type: tg.type, id: tg.id))
            now.attributes["healthCheckPath"] = "/changed-by-hand"
            tx.put(now)
            tx.delete(type: dns.type, id: dns.id)
        }
        let doc = try Self.doc(try await h.plan())
        let tgAddress = Self.acme + ".aws_lb_target_group.backend_tg"
        let drift = try Self.change(doc, tgAddress, in: "resource_drift")
        #expect(drift["actions"] == ["update"])
        #expect(drift["after"]?.mapValue?["health_check"] == [["enabled": true, "path": "/changed-by-hand"]])
        let back = try Self.change(doc, tgAddress)
        #expect(back["actions"] == ["update"])
        #expect(back["before"]?.mapValue?["health_check"] == [["enabled": true, "path": "/changed-by-hand"]])
        #expect(back["after"]?.mapValue?["health_check"] == [["enabled": true, "path": "/health"]])
        let dnsAddress = Self.acme + ".aws_route53_record.api_dns"
        #expect(try Self.change(doc, dnsAddress, in: "resource_drift")["actions"] == ["delete"])
        #expect(try Self.change(doc, dnsAddress)["actions"] == ["create"])
        #expect(doc.mapValue?["resource_drift"]?.listValue?.count == 2)
    }

    /// examples/tiers: globex goes premium, so its `backend` output appears (known after apply);
    /// a sensitive output is marked and left out.
    @Test func outputChanges() async throws {
        var h = try Harness(example: "tiers")
        h.settings.seed = 1
        let first = try Self.doc(try await h.plan())
        let secret = try #require(first.mapValue?["output_changes"]?.mapValue?[Self.acme + ".clientSecret"]?.mapValue)
        #expect(secret["actions"] == ["create"] && secret["after"] == .null && secret["before"] == .null)
        #expect(secret["after_unknown"] == .bool(true))
        try await h.apply(parallelism: 1)
        try h.edit("tenants/globex.yaml") { $0.replacingOccurrences(of: "tier: basic", with: "tier: premium") }
        let doc = try Self.doc(try await h.plan())
        let out = try #require(doc.mapValue?["output_changes"]?.mapValue?["module.tenant[\"globex\"].backend"]?.mapValue)
        #expect(out["actions"] == ["create"] && out["before"] == .null && out["after"] == .null)
        #expect(out["after_unknown"] == .bool(true) && out["before_sensitive"] == .bool(false) && out["after_sensitive"] == .bool(false))
        // cyrilgdn/postgresql's type for the silo's role, its generated password left out.
        let role = try Self.entry(doc, "module.tenant[\"globex\"].postgresql_role.silo_db_owner")
        #expect(role["provider_name"] == "registry.terraform.io/cyrilgdn/postgresql")
        let password = try #require(role["change"]?.mapValue)
        #expect(password["after_sensitive"]?.mapValue?["password"] == .bool(true))
        #expect(password["after_unknown"]?.mapValue?["password"] == .bool(true) && password["after"]?.mapValue?["password"] == nil)
    }

    @Test func aRemovedTenantsResourcesAreDeletedWithTheModule() async throws {
        let h = try Harness()
        try await h.apply()
        try h.remove("tenants/globex.yaml")
        let doc = try Self.doc(try await h.plan())
        let address = "module.tenant[\"globex\"].aws_lb_target_group.backend_tg"
        let entry = try Self.entry(doc, address)
        #expect(entry["action_reason"] == "delete_because_no_module")
        let c = try #require(entry["change"]?.mapValue)
        #expect(c["actions"] == ["delete"] && c["after"] == .null && c["after_unknown"] == .map([:]) && c["after_sensitive"] == .bool(false))
        #expect(Self.planned(doc)[address] == nil)
        let prior = doc.mapValue?["prior_state"]?.mapValue?["values"]?.mapValue?["root_module"]?.mapValue?["child_modules"]?.listValue ?? []
        #expect(prior.contains { $0.mapValue?["address"] == "module.tenant[\"globex\"]" })
    }

    /// The pieces handed out one at a time make the same document, more than one per tenant.
    @Test func theDocumentIsWrittenATenantAtATime() async throws {
        let plan = try await Harness.withWebTenants(3).plan()
        var pieces: [String] = []
        Self.renderer.render(plan) { pieces.append($0) }
        #expect(pieces.joined() == Self.renderer.render(plan))
        #expect(pieces.count > plan.tenants.count * 3)
    }

    /// Renderings of the scenarios above, the CLI's `plan` and `show`, and every example's plan
    /// validate against the JSON Schema of Terraform's format (python3 with jsonschema, as the
    /// other schema tests).
    @Test func renderingsValidateAgainstTheSchema() async throws {
        let h = try Harness()
        let dir = h.dir.appendingPathComponent("tf")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var files: [String] = []
        func save(_ text: String, _ name: String) throws {
            let url = dir.appendingPathComponent(name)
            try text.write(to: url, atomically: true, encoding: .utf8)
            files.append(url.path)
        }
        let created = try await CLI.run(["-C", h.dir.path, "plan", "--mock", "--format", "terraform-json"])
        #expect(created.code == 0, "\(created.stderr)")
        try save(created.stdout, "create.json")
        try await h.apply()
        try h.edit("tenants/acme.yaml") { $0.replacingOccurrences(of: "backend:1.4.2", with: "backend:1.5.0") }
        try h.remove("tenants/globex.yaml")
        let saved = h.dir.appendingPathComponent("review.plan").path
        #expect(try await CLI.run(["-C", h.dir.path, "plan", "--mock", "--out", saved]).code == 0)
        let shown = try await CLI.run(["show", saved, "--format", "terraform-json"])
        #expect(shown.code == 0, "\(shown.stderr)")
        #expect(try JSON.parse(shown.stdout).mapValue?["resource_changes"]?.listValue?.isEmpty == false)
        try save(shown.stdout, "show.json")
        var tiers = try Harness(example: "tiers")
        tiers.settings.seed = 1
        try save(Self.renderer.render(try await tiers.plan()), "tiers.json")
        // Every other example, through the CLI (plugins' with its plugin process).
        for example in ["aws", "onboarding", "plugins"] {
            let copy = h.dir.appendingPathComponent("example-\(example)")
            try FileManager.default.copyItem(at: repoRoot.appendingPathComponent("examples/\(example)"), to: copy)
            try? FileManager.default.removeItem(at: copy.appendingPathComponent(".landlord"))
            let r = try await CLI.run(["-C", copy.path, "plan", "--mock", "--format", "terraform-json"])
            #expect(r.code == 0, "examples/\(example): \(r.stderr)")
            try save(r.stdout, "\(example).json")
        }
        let run = try await Spawned.run(
            URL(fileURLWithPath: "/usr/bin/env"),
            [
                "python3", "-c",
                """
                import json, sys, jsonschema
                schema = json.load(open(sys.argv[1]))
                jsonschema.Draft202012Validator.check_schema(schema)
                v = jsonschema.Draft202012Validator(schema)
                bad = 0
                for f in sys.argv[2:]:
                    for e in v.iter_errors(json.load(open(f))):
                        bad += 1
                        print(f, "/".join(map(str, e.absolute_path)), e.message[:200])
                sys.exit(1 if bad else 0)
                """, repoRoot.appendingPathComponent("Plans/terraform-json.schema.json").path,
            ] + files)
        #expect(run.code == 0, "renderings must validate against Plans/terraform-json.schema.json (needs python3 with jsonschema): \(run.all)")
    }
}
