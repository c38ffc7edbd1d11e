import Foundation
import LandlordTestSupport
import Testing

/// The reference plugin (examples/plugins) through the `landlord` binary: plan, apply, destroy,
/// adoption after lost state, `providers`, `provider check`, and the protocol's JSON Schema
/// against the messages of a real run.
@Suite struct PluginCLITests {
    static let binary = Spawned.landlordBinary(repoRoot: Fixtures.repoRoot)

    static func landlord(_ args: [String], env: [String: String] = [:]) async throws -> ProcessRun {
        try await Spawned.run(binary, args, env: env)
    }

    /// A copy of examples/plugins in a scratch directory (without its `out/` or state).
    static func exampleFleet() throws -> URL {
        let dir = try Fixtures.scratch()
        let source = Fixtures.repoRoot.appendingPathComponent("examples/plugins")
        for item in ["platform.yaml", "blueprints", "tenants", "plugins"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(item), to: dir.appendingPathComponent(item))
        }
        return dir
    }

    static func text(_ dir: URL, _ path: String) -> String? {
        try? String(contentsOf: dir.appendingPathComponent(path), encoding: .utf8)
    }

    @Test func planApplyDestroyThroughTheReferencePlugin() async throws {
        let dir = try Self.exampleFleet()
        defer { try? FileManager.default.removeItem(at: dir) }
        let plan = try await Self.landlord(["-C", dir.path, "plan"])
        #expect(plan.code == 0, "\(plan.all)")
        #expect(plan.stdout.contains("+ resource \"localfs.file\" \"acme/welcome\""), "\(plan.stdout)")
        #expect(plan.stdout.contains("Plan: 4 to create"), "\(plan.stdout)")
        let apply = try await Self.landlord(["-C", dir.path, "apply", "--auto-approve"])
        #expect(apply.code == 0, "\(apply.all)")
        #expect(Self.text(dir, "out/acme/WELCOME.txt") == "Welcome aboard, Acme Corp! Your key is in acme/api.key.")
        let key = try #require(Self.text(dir, "out/globex/api.key")?.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(key.count >= 20)
        // The key is sensitive in the plugin's schema: never shown in clear.
        let shown = try await Self.landlord(["-C", dir.path, "state", "show", "globex/api_key"])
        #expect(shown.code == 0, "\(shown.all)")
        #expect(shown.stdout.contains("(sensitive)"))
        #expect(!shown.all.contains(key))
        #expect(!apply.all.contains(key))
        let again = try await Self.landlord(["-C", dir.path, "plan"])
        #expect(again.stdout.contains("No changes."), "\(again.all)")
        // The refresh summary counts the plugin's reads as the calls they are; the calls by
        // operation are listed with --verbose.
        #expect(again.stderr.contains("Refreshed 4 resources in "), "\(again.stderr)")
        #expect(again.stderr.contains(" with 1 API call: 0 by listing (0 list or batch reads), 4 one by one; 0 drifted."), "\(again.stderr)")
        #expect(!again.stderr.contains("localfs read"), "\(again.stderr)")
        let verbose = try await Self.landlord(["-C", dir.path, "--verbose", "plan"])
        #expect(verbose.stderr.contains("\n  localfs read  1"), "\(verbose.stderr)")
        // Drift: the plugin reads the file back, so an edit by hand is planned away.
        try Data("edited".utf8).write(to: dir.appendingPathComponent("out/acme/WELCOME.txt"))
        let drift = try await Self.landlord(["-C", dir.path, "plan"])
        #expect(drift.stdout.contains("~ resource \"localfs.file\" \"acme/welcome\""), "\(drift.all)")
        let destroy = try await Self.landlord(["-C", dir.path, "destroy", "--tenant", "acme", "--auto-approve"])
        #expect(destroy.code == 0, "\(destroy.all)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out/acme/WELCOME.txt").path))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("out/globex/WELCOME.txt").path))
    }

    @Test func lostStateIsAdoptedThroughImport() async throws {
        let dir = try Self.exampleFleet()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try await Self.landlord(["-C", dir.path, "apply", "--auto-approve"]).code == 0)
        let key = Self.text(dir, "out/acme/api.key")
        try FileManager.default.removeItem(at: dir.appendingPathComponent(".landlord"))
        // Without adoption the creates are refused (the files exist and belong to the address);
        // with --adopt they are found by their tags and recorded, not made again.
        let adopt = try await Self.landlord(["-C", dir.path, "apply", "--auto-approve", "--adopt"])
        #expect(adopt.code == 0, "\(adopt.all)")
        #expect(Self.text(dir, "out/acme/api.key") == key)
        let plan = try await Self.landlord(["-C", dir.path, "plan"])
        #expect(plan.stdout.contains("No changes."), "\(plan.all)")
    }

    @Test func providersListsBuiltInAndPluginProviders() async throws {
        let dir = try Self.exampleFleet()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try await Self.landlord(["-C", dir.path, "providers"])
        #expect(run.code == 0, "\(run.all)")
        #expect(run.stdout.contains("aws"))
        let row = try #require(run.stdout.split(separator: "\n").first { $0.hasPrefix("localfs ") }, "\(run.stdout)")
        let cells = row.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        #expect(cells == ["localfs", "plugin", "(localfs)", "1.1.0", "1.1", "localfs.api_key,", "localfs.file"], "\(row)")
        // `landlord schema` in the fleet knows the plugin's types; --verbose shows its stderr.
        let schema = try await Self.landlord(["-C", dir.path, "schema", "--kind", "blueprint"])
        #expect(schema.code == 0, "\(schema.all)")
        #expect(schema.stdout.contains("\"localfs.file\""))
        let quiet = try await Self.landlord(["-C", dir.path, "validate"])
        #expect(!quiet.stderr.contains("[localfs]"))
        let verbose = try await Self.landlord(["--verbose", "-C", dir.path, "validate"])
        #expect(verbose.code == 0, "\(verbose.all)")
        #expect(verbose.stderr.contains("[localfs] localfs 1.1.0 serving files under"), "\(verbose.stderr)")
    }

    @Test func providerCheckPassesOnTheReferencePlugin() async throws {
        let dir = try Fixtures.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let plugin = Fixtures.repoRoot.appendingPathComponent("examples/plugins/plugins/localfs.py").path
        let run = try await Self.landlord(["-C", dir.path, "provider", "check", "--", "python3", plugin])
        #expect(run.code == 0, "\(run.all)")
        #expect(run.stdout.contains("ok   localfs.file: update"))
        #expect(run.stdout.contains("ok   malformed: a line that is not JSON"))
        #expect(!run.stdout.contains("FAIL"))
    }

    /// Plugin commands are taken from the fleet directory (-C), in `provider check` as in
    /// platform.yaml; a command naming a file that is not there says so instead of repeating
    /// the failing form; the reference plugin's default root is under .landlord/.
    @Test func pluginCommandsAreTakenFromTheFleetDirectory() async throws {
        let dir = try Self.exampleFleet()
        defer { try? FileManager.default.removeItem(at: dir) }
        let check = try await Self.landlord(["-C", dir.path, "provider", "check", "--", "python3", "plugins/localfs.py"])
        #expect(check.code == 0, "\(check.all)")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(".landlord/localfs-root").path))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("localfs-root").path), "left beside the fleet's files")

        // From a directory without plugins/localfs.py (-C names it): the hint names the file and -C.
        let elsewhere = try Fixtures.scratch()
        defer { try? FileManager.default.removeItem(at: elsewhere) }
        let wrong = try await Self.landlord(["-C", elsewhere.path, "provider", "check", "--", "python3", "plugins/localfs.py"])
        #expect(wrong.code == 1, "\(wrong.all)")
        #expect(wrong.stdout.contains("`plugins/localfs.py` is not in \(elsewhere.path), where the plugin runs"), "\(wrong.all)")
        #expect(wrong.stdout.contains("landlord -C FLEET provider check -- python3 plugins/localfs.py"), "\(wrong.all)")
        #expect(!wrong.stdout.contains("try it alone"), "the hint must not repeat the failing form: \(wrong.all)")

        // The same in platform.yaml: a command written from the repository root, not the fleet.
        let yaml = dir.appendingPathComponent("platform.yaml")
        let text = try String(contentsOf: yaml, encoding: .utf8)
        try text.replacingOccurrences(of: "\"plugins/localfs.py\"", with: "\"examples/plugins/plugins/localfs.py\"").write(
            to: yaml, atomically: true, encoding: .utf8)
        let plan = try await Self.landlord(["-C", dir.path, "plan"])
        #expect(plan.code == 1, "\(plan.all)")
        #expect(plan.stderr.contains("`examples/plugins/plugins/localfs.py` is not in \(dir.path)"), "\(plan.stderr)")
    }

    @Test func providerCheckReportsWhatFails() async throws {
        let run = try await Self.landlord(["provider", "check", "--", "python3", Fixtures.path("misbehaving.py"), "well"])
        #expect(run.code == 1)
        #expect(run.stdout.contains("ok   handshake"))
        // `test` is optional: a type without one is skipped, not failed.
        #expect(run.stdout.contains("ok   bad.thing: lifecycle: skipped"), "\(run.stdout)")
        #expect(run.stdout.contains("FAIL malformed: a line that is not JSON"))
        // The plugin died on that line: later checks say so in words, and its shutdown is not "ok".
        #expect(!run.stdout.contains("failure("), "\(run.stdout)")
        #expect(run.stdout.contains("FAIL shutdown: not checked: the plugin had already stopped"), "\(run.stdout)")
        #expect(run.stderr.contains("checks failed"))
    }

    @Test func aPluginThatCannotStartIsAnErrorAtItsEntry() async throws {
        let dir = try Self.exampleFleet()
        defer { try? FileManager.default.removeItem(at: dir) }
        let platform = try #require(Self.text(dir, "platform.yaml"))
        try Data(platform.replacingOccurrences(of: "plugins/localfs.py", with: "plugins/nope.py").utf8).write(
            to: dir.appendingPathComponent("platform.yaml"))
        let run = try await Self.landlord(["-C", dir.path, "plan"])
        #expect(run.code == 1)
        #expect(run.stderr.contains("platform.yaml:8:3: error: the localfs plugin failed at start"), "\(run.stderr)")
        #expect(run.stderr.contains("No such file or directory"), "\(run.stderr)")
    }

    @Test func aTimeoutFailsOneTenantAndTheOthersGoOn() async throws {
        let dir = try Fixtures.misbehavingFleet("never_answers", timeout: 1, tenants: ["boom", "fine"])
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try await Self.landlord(["-C", dir.path, "apply", "--auto-approve"])
        #expect(run.code == 1, "\(run.all)")
        #expect(run.all.contains("did not answer `apply` within 1 s"), "\(run.all)")
        #expect(run.all.contains("misbehaving plugin starting in mode never_answers"), "\(run.all)")
        let status = try await Self.landlord(["-C", dir.path, "status"])
        #expect(status.stdout.contains("fine"), "\(status.all)")
        let fine = status.stdout.split(separator: "\n").first { $0.contains("fine") } ?? ""
        let boom = status.stdout.split(separator: "\n").first { $0.contains("boom") } ?? ""
        #expect(fine.contains("active"), "\(status.stdout)")
        #expect(boom.contains("failed"), "\(status.stdout)")
    }

    @Test func capturedMessagesMatchTheProtocolSchema() async throws {
        let dir = try Self.exampleFleet()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("messages.log").path
        try Fixtures.wrapReferencePlugin(in: dir, with: [Fixtures.path("capture.py"), log])
        #expect(try await Self.landlord(["-C", dir.path, "apply", "--auto-approve"]).code == 0)
        #expect(try await Self.landlord(["-C", dir.path, "destroy", "--tenant", "acme", "--auto-approve"]).code == 0)
        try FileManager.default.removeItem(at: dir.appendingPathComponent(".landlord"))
        #expect(try await Self.landlord(["-C", dir.path, "apply", "--auto-approve", "--adopt"]).code == 0)
        let schema = Fixtures.repoRoot.appendingPathComponent("Providers/Plugin/protocol.schema.json").path
        let check = try await Spawned.run(
            URL(fileURLWithPath: "/usr/bin/env"), ["python3", Fixtures.path("validate_messages.py"), schema, log])
        #expect(check.code == 0, "\(check.all)")
        for method in ["initialize", "schema", "read", "apply", "import", "wait", "shutdown"] {
            #expect(check.stdout.contains("\"\(method)\""), "\(check.stdout)")
        }
    }
}

/// Crash safety through a plugin: the plugin makes the thing and dies before answering; the
/// intent recorded before `apply` lets the next run adopt it through `import`, not make a second.
@Suite struct PluginCrashSafetyTests {
    @Test func aCreateWhoseAnswerWasLostIsAdoptedByTheNextRun() async throws {
        let dir = try PluginCLITests.exampleFleet()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.removeItem(at: dir.appendingPathComponent("tenants/globex.yaml"))
        let platformURL = dir.appendingPathComponent("platform.yaml")
        let original = try String(contentsOf: platformURL, encoding: .utf8)
        try Fixtures.wrapReferencePlugin(in: dir, with: [Fixtures.path("crash_after_apply.py")])
        let crashed = try await PluginCLITests.landlord(["-C", dir.path, "apply", "--auto-approve"])
        #expect(crashed.code == 1, "\(crashed.all)")
        #expect(crashed.all.contains("swallowed the answer"), "\(crashed.all)")
        // The key file exists, and Landlord holds only the intent.
        let key = try #require(PluginCLITests.text(dir, "out/acme/api.key"))
        try Data(original.utf8).write(to: platformURL)
        let next = try await PluginCLITests.landlord(["-C", dir.path, "apply", "--auto-approve"])
        #expect(next.code == 0, "\(next.all)")
        #expect(PluginCLITests.text(dir, "out/acme/api.key") == key, "the key was made again instead of adopted")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("out/acme/WELCOME.txt").path))
        let plan = try await PluginCLITests.landlord(["-C", dir.path, "plan"])
        #expect(plan.stdout.contains("No changes."), "\(plan.all)")
    }
}
