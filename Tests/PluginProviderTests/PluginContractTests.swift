import Foundation
import PluginProvider
import ProviderAPI
import Testing

/// The plugin contract's findings from an outside implementation: a create answered with
/// `resource: null` and no reason, the "try it alone" hint, and `provider check`'s messages
/// (an unnamed plugin, Swift debug text, shutdown after a crash, `test` optional, import that
/// adopts another address's resource).
@Suite struct PluginContractTests {
    @Test func aCreateAnsweredWithNullAndNoDiagnosticSaysWhy() async throws {
        let p = try await PluginProvider.start(Fixtures.misbehaving("null_create"), hostVersion: "test")
        let r = await p.apply(Fixtures.create("boom"))
        #expect(r.resource == nil)
        let d = try #require(r.diagnostics.first)
        #expect(d.severity == .error)
        #expect(d.summary.contains("`resource: null` and no error diagnostic"), "\(d.summary)")
        #expect(d.summary.contains("t/boom"))
        #expect(d.detail.contains("landlord -C"), "\(d.detail)")
        // A delete answers null by design: no diagnostic is added.
        let made = try #require(await p.apply(Fixtures.create("fine")).resource)
        let gone = await p.apply(
            ApplyRequest(
                operation: .delete, type: "bad.thing", identity: ResourceIdentity(address: "t/fine", tenant: "t", platform: "p"), prior: made,
                inputs: [:], clientToken: UUID().uuidString))
        #expect(gone.diagnostics.isEmpty)
        await p.shutdown()
    }

    @Test func aComputedValueOfTheWrongTypeIsRefused() async throws {
        let p = try await PluginProvider.start(Fixtures.misbehaving("bad_computed"), hostVersion: "test")
        #expect(await p.apply(Fixtures.create("fine")).resource?.attributes["size"] == 5)
        let r = await p.apply(Fixtures.create("boom"))
        let d = try #require(r.diagnostics.first)
        #expect(d.summary.contains("the computed attribute `size` of bad.thing thing-boom is declared `int`"), "\(d.summary)")
        #expect(d.summary.contains("\"5\""))
        await p.shutdown()
    }

    @Test func theTryItAloneHintRunsFromAnyDirectory() {
        let settings = PluginSettings(
            name: "acme", command: ["python3", "plugins/acme billing.py"], directory: URL(fileURLWithPath: "/srv/fleet"),
            passedEnvironment: ["ACME_TOKEN"], config: ["baseUrl": "http://127.0.0.1:9000", "note": "it's"], timeout: 300)
        #expect(
            settings.checkCommandLine
                == "landlord -C /srv/fleet provider check --env ACME_TOKEN --config "
                + #"'{"baseUrl":"http://127.0.0.1:9000","note":"it'\''s"}' --timeout 300 -- python3 'plugins/acme billing.py'"#)
        #expect(settings.called == "the acme plugin")
        #expect(PluginSettings(name: "", command: ["x"], directory: URL(fileURLWithPath: "/")).called == "the plugin")
    }

    @Test func anUnnamedPluginThatFailsAtStartIsCalledThePlugin() async throws {
        var settings = Fixtures.misbehaving("exit_at_start")
        settings.name = ""
        let error = await #expect(throws: PluginStartError.self) { try await PluginProvider.start(settings, hostVersion: "test") }
        #expect(error?.summary.hasPrefix("the plugin failed at start") == true, "\(error?.summary ?? "")")
        #expect(error?.summary.contains("the  plugin") == false)
    }

    @Test func checkSkipsATypeWithoutTestAndReportsACrashBeforeShutdown() async throws {
        var settings = Fixtures.misbehaving("well")
        settings.name = ""
        let checks = await PluginConformance.run(settings, hostVersion: "test") { _ in }
        let byName = Dictionary(checks.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byName["bad.thing: lifecycle"]?.passed == true)
        #expect(byName["bad.thing: lifecycle"]?.detail.hasPrefix("skipped") == true)
        // The non-JSON line kills this plugin: later checks say so in words, and shutdown is not "ok".
        #expect(byName["malformed: a line that is not JSON"]?.passed == false)
        for c in checks { #expect(!c.detail.contains("failure(") && !c.detail.contains("success("), "\(c.name): \(c.detail)") }
        let shutdown = try #require(byName["shutdown"])
        #expect(!shutdown.passed)
        #expect(shutdown.detail.contains("already stopped"), "\(shutdown.detail)")
    }

    @Test func checkFailsAPluginWhoseImportAdoptsAnotherAddresssResource() async throws {
        let checks = await PluginConformance.run(Fixtures.misbehaving("adopts_any"), hostVersion: "test") { _ in }
        let byName = Dictionary(checks.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byName["bad.thing: create"]?.passed == true)
        #expect(byName["bad.thing: import by tags"]?.passed == true)
        let stolen = try #require(byName["bad.thing: import never adopts another address's resource"])
        #expect(!stolen.passed)
        #expect(stolen.detail.contains("tagged for landlord-check/scratch-bad.thing"), "\(stolen.detail)")
    }
}

/// A provider's diagnostic keeps its attribute and code through the engine: in text output and
/// in `--json` events.
@Suite struct PluginDiagnosticOutputTests {
    @Test func attributeAndCodeAppearInTextAndJSON() async throws {
        let dir = try Fixtures.misbehavingFleet("refuses", tenants: ["boom"])
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = try await PluginCLITests.landlord(["-C", dir.path, "apply", "--auto-approve"])
        #expect(text.code == 1, "\(text.all)")
        #expect(text.stderr.contains("the name is taken [attribute: name, code: NameTaken]"), "\(text.stderr)")
        #expect(text.stderr.contains("choose another name"), "\(text.stderr)")
        let json = try await PluginCLITests.landlord(["-C", dir.path, "apply", "--auto-approve", "--json"])
        #expect(json.code == 1, "\(json.all)")
        let finished = json.stdout.split(separator: "\n").compactMap { line -> [String: Value]? in
            guard let m = (try? JSON.parse(String(line)))?.mapValue, m["event"] == "tenant_finished" else { return nil }
            return m
        }
        let diagnostic = try #require(finished.first?["diagnostics"]?.listValue?.first?.mapValue, "\(json.stdout)")
        #expect(diagnostic["attribute"] == "name")
        #expect(diagnostic["code"] == "NameTaken")
        #expect(diagnostic["address"] == "boom/thing")
        #expect(diagnostic["detail"]?.stringValue?.contains("choose another name") == true)
    }
}
