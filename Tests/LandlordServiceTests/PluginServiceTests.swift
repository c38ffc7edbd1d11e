import Foundation
import LandlordCore
import LandlordService
import ProviderAPI
import Testing

/// A fleet whose platform.yaml names a provider plugin is served: the service starts the
/// plugin as the CLI does (FleetWiring), provisions and destroys through it, and stops it.
@Suite(.serialized) struct PluginServiceTests {
    /// The service fixture's directory turned into a copy of examples/plugins (the localfs
    /// reference plugin) without its tenants; PATH passed on so `python3` is found.
    static func pluginFleet() throws -> ServiceFixture {
        let env = ProcessInfo.processInfo.environment
        let f = try ServiceFixture(env: ["PATH": env["PATH"] ?? "/usr/bin:/bin", "HOME": env["HOME"] ?? "/tmp"])
        let fm = FileManager.default
        let source = repoRoot.appendingPathComponent("examples/plugins")
        try fm.removeItem(at: f.dir.appendingPathComponent("blueprints"))
        for item in ["blueprints", "plugins"] {
            try fm.copyItem(at: source.appendingPathComponent(item), to: f.dir.appendingPathComponent(item))
        }
        let platform = try String(contentsOf: source.appendingPathComponent("platform.yaml"), encoding: .utf8)
        try f.write("platform.yaml", platform + "api: {tokensEnv: SERVE_TEST_TOKENS}\n")
        return f
    }

    @Test func aTenantOfAPluginTypeIsProvisionedAndDestroyedThroughTheService() async throws {
        let f = try Self.pluginFleet()
        try await f.start()
        let plugin = try #require(f.runtime?.plugins.first)
        #expect(plugin.settings.name == "localfs")
        let created = try await f.call(
            "POST", "/v1/tenants", json: #"{"id": "initech", "blueprint": "workspace", "parameters": {"displayName": "Initech"}}"#)
        #expect(created.status == 202, "\(created.text)")
        let t = try await f.wait("initech", for: "active")
        #expect(t["resources"]?.intValue == 2, "\(JSON.string(t))")
        #expect(try f.read("out/initech/WELCOME.txt") == "Welcome aboard, Initech! Your key is in initech/api.key.")
        // A parameter the plugin's blueprint does not take is refused like validate refuses it.
        let bad = try await f.call(
            "POST", "/v1/tenants", json: #"{"id": "typo", "blueprint": "workspace", "parameters": {"displayNme": "x"}}"#)
        #expect(bad.status == 400)
        #expect(bad.text.contains("did you mean 'displayName'"), "\(bad.text)")
        #expect(try await f.call("DELETE", "/v1/tenants/initech").status == 202)
        try await f.wait("initech", for: "deleted")
        #expect(!f.fileExists("out/initech/WELCOME.txt"))
        #expect(!f.fileExists("tenants/initech.yaml"))
        await f.stop()
    }

    @Test func aPluginThatCannotStartIsReportedAtItsEntry() async throws {
        let f = try Self.pluginFleet()
        try f.write("platform.yaml", try f.read("platform.yaml").replacingOccurrences(of: "plugins/localfs.py", with: "plugins/missing.py"))
        do {
            _ = try await ServiceRuntime.load(root: f.dir, environment: f.env)
            Issue.record("a plugin that cannot start was accepted")
        } catch {
            #expect(error.diagnostics.items.first?.location?.file == "platform.yaml", "\(error)")
            #expect(error.message.contains("fix the plugin"), "\(error)")
        }
    }
}
