import Foundation
import LandlordTestSupport
import Testing

/// `landlord schema`: the JSON Schemas editors use accept the example fleets, refuse a
/// misspelt attribute or an unknown resource type, and the copies in schemas/ are current.
@Suite struct SchemaTests {
    /// Writes the schemas with the binary into a fresh directory.
    static func written() async throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("landlord-schema-\(UUID().uuidString)")
        let r = try await CLI.run(["schema", "--out", dir.path])
        #expect(r.code == 0, "\(r.stderr)")
        return dir
    }

    /// Validates YAML files against a schema with python3 (PyYAML and jsonschema); nil for a
    /// file that validates, else the first error. Suspends while python runs (Spawned reads its
    /// output on threads of its own): waiting in a blocking read held one of the test runner's
    /// two cooperative threads a call, and seven examples at once stalled every other test.
    static func validate(_ files: [URL], against schema: URL) async throws -> [String: String?] {
        let arguments =
            [
                "python3", "-c",
                """
                import json, sys, yaml, jsonschema
                schema = json.load(open(sys.argv[1]))
                jsonschema.Draft202012Validator.check_schema(schema)
                v = jsonschema.Draft202012Validator(schema)
                out = {}
                for f in sys.argv[2:]:
                    errors = sorted(v.iter_errors(yaml.safe_load(open(f))), key=lambda e: list(e.absolute_path))
                    out[f] = None if not errors else "/".join(map(str, errors[0].absolute_path)) + ": " + errors[0].message
                print(json.dumps(out))
                """, schema.path,
            ] + files.map(\.path)
        let run = try await Spawned.run(URL(fileURLWithPath: "/usr/bin/env"), arguments)
        #expect(run.code == 0, "python3 with PyYAML and jsonschema is needed: \(run.stderr)")
        let decoded = (try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8))) as? [String: Any] ?? [:]
        return decoded.mapValues { $0 as? String }
    }

    static func exampleFiles(_ example: String) -> (platform: [URL], blueprints: [URL], tenants: [URL]) {
        let dir = repoRoot.appendingPathComponent("examples/\(example)")
        func yamls(_ sub: String) -> [URL] {
            ((try? FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent(sub).path)) ?? [])
                .filter { $0.hasSuffix(".yaml") }.sorted().map { dir.appendingPathComponent(sub).appendingPathComponent($0) }
        }
        return ([dir.appendingPathComponent("platform.yaml")], yamls("blueprints"), yamls("tenants"))
    }

    /// The example fleets whose files must validate against the schemas.
    static let examples = ["quickstart", "aws", "tiers", "onboarding", "rollouts", "approval", "s3-state"]

    @Test(arguments: examples) func theExamplesValidate(_ example: String) async throws {
        let dir = try await Self.written()
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = Self.exampleFiles(example)
        #expect(!files.blueprints.isEmpty && !files.tenants.isEmpty)
        for (schema, group) in [("platform", files.platform), ("blueprint", files.blueprints), ("tenant", files.tenants)] {
            let results = try await Self.validate(group, against: dir.appendingPathComponent("\(schema).schema.json"))
            #expect(results.count == group.count)
            for (file, error) in results { #expect(error == nil, "\(file) against \(schema).schema.json: \(error ?? "")") }
        }
        let all = files.platform + files.blueprints + files.tenants
        let results = try await Self.validate(all, against: dir.appendingPathComponent("landlord.schema.json"))
        #expect(results.count == all.count)
        for (file, error) in results { #expect(error == nil, "\(file) against landlord.schema.json: \(error ?? "")") }
    }

    /// examples/onboarding (AWS, Stripe and PostgreSQL resources) validates and dry-runs with
    /// `--mock` with no server anywhere: every endpoint it names is a dead port, and no key is set.
    @Test func theOnboardingExamplePlansWithTheMockAndNoServer() async throws {
        let h = try Harness(example: "onboarding")
        defer { try? FileManager.default.removeItem(at: h.dir) }
        let dead = "http://127.0.0.1:9"
        try h.edit("platform.yaml") {
            $0.replacingOccurrences(of: "http://127.0.0.1:8420", with: dead)
                .replacingOccurrences(of: "postgres://landlord@127.0.0.1:5433/app", with: "postgres://landlord@127.0.0.1:9/app")
        }
        let env = ["AWS_ENDPOINT_URL": dead, "STRIPE_API_KEY": "", "PGPASSWORD": "", "LANDLORD_STRIPE_URL": dead]
        let validate = try await CLI.run(["-C", h.dir.path, "validate"], env: env)
        #expect(validate.code == 0, "\(validate.stdout)\(validate.stderr)")
        let plan = try await CLI.run(["-C", h.dir.path, "plan", "--mock", "--detailed-exitcode"], env: env)
        #expect(plan.code == 2, "\(plan.stdout)\(plan.stderr)")
        #expect(plan.stdout.contains("Plan: 36 to create, 0 to update, 0 to replace, 0 to delete. 12 output changes."), "\(plan.stdout)")
        for tenant in ["acme", "globex"] {
            for (type, name) in [
                ("stripe.customer", "billing"), ("postgres.role", "db_app"), ("postgres.schema", "db"), ("postgres.grant", "db_grant"),
                ("aws.cognito_user", "admin"), ("aws.sesv2_contact", "contact"), ("aws.ecs_service", "service"), ("aws.dynamodb_item", "record"),
            ] {
                #expect(plan.stdout.contains("+ resource \"\(type)\" \"\(tenant)/\(name)\""), "the plan does not create \(tenant)/\(name)")
            }
            #expect(plan.stdout.contains("\"https://\(tenant).moamalat-pro.com\""), "no url output for \(tenant)")
        }
        // A dry run applies too: the simulated SES takes the platform's list (set up outside
        // Landlord) as existing, and the next plan has nothing to do.
        let apply = try await CLI.run(["-C", h.dir.path, "apply", "--mock", "--auto-approve"], env: env)
        #expect(apply.code == 0, "\(apply.stdout)\(apply.stderr)")
        let again = try await CLI.run(["-C", h.dir.path, "plan", "--mock", "--detailed-exitcode"], env: env)
        #expect(again.code == 0, "\(again.stdout)\(again.stderr)")
    }

    /// A blueprint from the quickstart's with one change, and what must happen to it.
    static let blueprintEdits: [(name: String, from: String, to: String, valid: Bool)] = [
        ("misspelt attribute", "port: 8080, protocol", "prot: 8080, protocol", false),
        ("unknown resource type", "type: aws.lb_target_group", "type: aws.lb_targetgroup", false),
        ("computed attribute set", "name: \"${tenant.id}-users\"", "name: \"${tenant.id}-users\", arn: x", false),
        ("missing required attribute", "cpu: 256, memory: 512, containerPort: 8080", "cpu: 256, containerPort: 8080", false),
        ("unknown resource field", "wait: {until: stable, timeout: 10m}", "wiat: {until: stable, timeout: 10m}", false),
        ("unknown wait condition", "wait: {until: stable, timeout: 10m}", "wait: {until: ready, timeout: 10m}", false),
        ("wait on a type that cannot", "type: aws.cognito_user_pool\n", "type: aws.cognito_user_pool\n    wait: {until: stable}\n", false),
        ("word in an int attribute", "cpu: 256, memory: 512, containerPort: 8080", "cpu: lots, memory: 512, containerPort: 8080", false),
        ("unknown parameter type", "replicas: {type: int, default: 1}", "replicas: {type: integer, default: 1}", false),
        ("default of the wrong type", "replicas: {type: int, default: 1}", "replicas: {type: int, default: one}", false),
        ("reserved resource name", "  users:\n", "  tenant:\n", false),
        (
            "reference in an int attribute", "cpu: 256, memory: 512, containerPort: 8080", "cpu: \"${replicas}\", memory: 512, containerPort: 8080",
            true
        ),
        ("quoted number in an int attribute", "ttl: 300, records: [\"${frontend", "ttl: \"300\", records: [\"${frontend", true),
        (
            "priority band", "listener: auto, priority: auto, hostHeader: \"api.",
            "listener: auto, priority: {auto: true, band: [1000, 1999]}, hostHeader: \"api.", true
        ),
        ("priority number", "listener: auto, priority: auto, hostHeader: \"api.", "listener: auto, priority: 10, hostHeader: \"api.", true),
        ("protect", "type: aws.cognito_user_pool\n", "type: aws.cognito_user_pool\n    protect: true\n", true),
    ]

    @Test func blueprintMistakesFailAndValidFormsPass() async throws {
        let dir = try await Self.written()
        defer { try? FileManager.default.removeItem(at: dir) }
        let original = try String(contentsOf: Self.exampleFiles("quickstart").blueprints[0], encoding: .utf8)
        var files: [URL] = []
        for (k, edit) in Self.blueprintEdits.enumerated() {
            #expect(original.contains(edit.from), "\(edit.name): the quickstart blueprint no longer contains \(edit.from)")
            guard let range = original.range(of: edit.from) else { continue }
            let file = dir.appendingPathComponent("edit-\(k).yaml")
            try original.replacingCharacters(in: range, with: edit.to).write(to: file, atomically: true, encoding: .utf8)
            files.append(file)
        }
        for schema in ["blueprint.schema.json", "landlord.schema.json"] {
            let results = try await Self.validate(files, against: dir.appendingPathComponent(schema))
            for (k, edit) in Self.blueprintEdits.enumerated() {
                guard let error = results[dir.appendingPathComponent("edit-\(k).yaml").path] else {
                    Issue.record("\(edit.name) was not validated against \(schema)")
                    continue
                }
                if edit.valid {
                    #expect(error == nil, "\(edit.name) must validate against \(schema): \(error ?? "")")
                } else {
                    #expect(error != nil, "\(edit.name) must fail against \(schema)")
                }
            }
        }
    }

    /// examples/plugins' platform.yaml (a plugin entry with command, env and config) validates;
    /// its blueprints use the plugin's types, which only a fleet with the plugin knows.
    @Test func thePluginsExamplePlatformValidates() async throws {
        let dir = try await Self.written()
        defer { try? FileManager.default.removeItem(at: dir) }
        let platform = Self.exampleFiles("plugins").platform
        let results = try await Self.validate(platform, against: dir.appendingPathComponent("platform.schema.json"))
        #expect(results.count == 1)
        for (file, error) in results { #expect(error == nil, "\(file): \(error ?? "")") }
    }

    /// A platform.yaml whose provider map (spelt `key`) has the plugin entry `acme: entry`.
    static func plugin(_ key: String, _ entry: String) -> String {
        "apiVersion: landlord/v1\nkind: Platform\nname: p\n\(key):\n  aws: {region: us-east-1, use: mock}\n  acme: \(entry)\n"
    }

    @Test func platformAndTenantMistakesFail() async throws {
        let dir = try await Self.written()
        defer { try? FileManager.default.removeItem(at: dir) }
        let docs: [(text: String, schema: String, valid: Bool)] = [
            ("apiVersion: landlord/v1\nkind: Tenant\nid: acme\nblueprint: web\nparameters: {a: 1}\n", "tenant", true),
            ("apiVersion: landlord/v1\nkind: Tenant\nid: Acme_1\nblueprint: web\n", "tenant", false),
            ("apiVersion: landlord/v1\nkind: Tenant\nid: acme\nblueprnt: web\n", "tenant", false),
            ("apiVersion: landlord/v2\nkind: Tenant\nid: acme\nblueprint: web\n", "tenant", false),
            ("apiVersion: landlord/v1\nkind: Platform\nname: p\nstate: {backend: s3}\n", "platform", false),
            ("apiVersion: landlord/v1\nkind: Platform\nname: p\nstate: {backend: s3, bucket: b}\n", "platform", true),
            ("apiVersion: landlord/v1\nkind: Platform\nname: p\nstate: {backend: local, encryption: required}\n", "platform", true),
            ("apiVersion: landlord/v1\nkind: Platform\nname: p\nstate: {backend: local, encryption: always}\n", "platform", false),
            ("apiVersion: landlord/v1\nkind: Platform\nname: p\nstate: {backend: local, lockLease: 30}\n", "platform", false),
            ("apiVersion: landlord/v1\nkind: Platform\nname: p\ninputs: {listeners: [{arn: a}]}\n", "platform", false),
            ("apiVersion: landlord/v1\nkind: Platform\nname: p\nenv: [A_KEY, {name: B, sensitive: false}]\n", "platform", true),
            ("apiVersion: landlord/v1\nkind: Platform\nname: p\nenv: [1BAD]\n", "platform", false),
            ("apiVersion: landlord/v1\nkind: Widget\nname: p\n", "landlord", false),
            // Plugin entries (Providers/PROTOCOL.md) under either spelling of the provider map.
            (Self.plugin("providers", "{command: [python3, p.py], env: [ACME_TOKEN], config: {root: out}, timeout: 5m}"), "platform", true),
            (Self.plugin("provider", "{command: [node, p.js], timeout: 30}"), "platform", true),
            (Self.plugin("providers", "{command: [python3, p.py], timout: 5m}"), "platform", false),
            (Self.plugin("providers", "{command: python3 p.py}"), "platform", false),
            (Self.plugin("providers", "{command: [python3, p.py], timeout: soon}"), "platform", false),
            (Self.plugin("providers", "{env: [A]}"), "platform", false),
        ]
        var files: [String: [URL]] = [:]
        for (k, doc) in docs.enumerated() {
            let file = dir.appendingPathComponent("doc-\(k).yaml")
            try doc.text.write(to: file, atomically: true, encoding: .utf8)
            files[doc.schema, default: []].append(file)
        }
        var results: [String: String?] = [:]
        for (schema, group) in files {
            results.merge(
                try await Self.validate(group, against: dir.appendingPathComponent("\(schema).schema.json")), uniquingKeysWith: { a, _ in a })
        }
        for (k, doc) in docs.enumerated() {
            guard let error = results[dir.appendingPathComponent("doc-\(k).yaml").path] else {
                Issue.record("\(doc.text) was not validated")
                continue
            }
            #expect((error == nil) == doc.valid, "\(doc.text) against \(doc.schema): \(error ?? "valid")")
        }
    }

    /// schemas/ is what `landlord schema --out` writes today, and printing gives the same text.
    @Test func theCheckedInSchemasAreCurrent() async throws {
        let dir = try await Self.written()
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["platform", "blueprint", "tenant", "landlord"] {
            let fresh = try String(contentsOf: dir.appendingPathComponent("\(name).schema.json"), encoding: .utf8)
            let checkedIn = try? String(contentsOf: repoRoot.appendingPathComponent("schemas/\(name).schema.json"), encoding: .utf8)
            #expect(fresh == checkedIn, "schemas/\(name).schema.json is out of date: run `swift run landlord schema --out schemas`")
        }
        let printed = try await CLI.run(["schema", "--kind", "blueprint"])
        #expect(printed.code == 0)
        #expect(printed.stdout == (try String(contentsOf: dir.appendingPathComponent("blueprint.schema.json"), encoding: .utf8)))
        #expect(try await CLI.run(["schema", "--kind", "widget"]).code != 0)
    }
}
