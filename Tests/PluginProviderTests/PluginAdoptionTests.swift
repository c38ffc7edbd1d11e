import Foundation
import LandlordTestSupport
import PluginProvider
import ProviderAPI
import Testing

/// `landlord adopt` through a plugin (protocol 1.1): the reference plugin finds files put in its
/// root by other means by their natural key (`import` with `key`) and takes them over (`tag`);
/// a file another address owns is never returned, so its tenant is left out with state untouched.
@Suite struct PluginAdoptionTests {
    /// examples/plugins with only acme, its two files written by hand (no index entry: nobody's),
    /// the plugin's messages captured to `messages.log`.
    static func handMadeFleet() throws -> URL {
        let dir = try PluginCLITests.exampleFleet()
        try FileManager.default.removeItem(at: dir.appendingPathComponent("tenants/globex.yaml"))
        let log = dir.appendingPathComponent("messages.log").path
        try Fixtures.wrapReferencePlugin(in: dir, with: [Fixtures.path("capture.py"), log])
        try Fixtures.write(dir, "out/acme/api.key", "k-made-by-hand-0123456789\n")
        try Fixtures.write(dir, "out/acme/WELCOME.txt", "Hello, Acme!")
        return dir
    }

    static func index(_ dir: URL) throws -> [String: [String: Any]] {
        guard let data = FileManager.default.contents(atPath: dir.appendingPathComponent("out/.landlord-index.json").path) else { return [:] }
        return try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]] ?? [:]
    }

    @Test func filesMadeByHandAreAdoptedByPathTaggedAndThenPlanClean() async throws {
        let dir = try Self.handMadeFleet()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("adopt.plan").path
        let adopt = try await PluginCLITests.landlord(["-C", dir.path, "adopt", "--out", file])
        #expect(adopt.code == 2, "\(adopt.all)")
        #expect(adopt.stdout.contains(#"= adopt localfs.api_key "acme/api_key" (acme/api.key, found by path "acme/api.key")"#), "\(adopt.stdout)")
        #expect(adopt.stdout.contains(#"= adopt localfs.file "acme/welcome" (acme/WELCOME.txt, found by path "acme/WELCOME.txt")"#))
        #expect(adopt.stdout.contains(#"~ update localfs.file "acme/welcome" after adoption: content "Hello, Acme!" -> "Welcome aboard"#))
        #expect(adopt.stdout.contains(#"~ update localfs.api_key "acme/api_key" after adoption: label "" -> "Acme Corp"; + landlord tags"#))
        #expect(adopt.stdout.contains("Adoption: 2 resources of 1 tenant to adopt, 2 to tag, 2 to update after adoption, 0 to replace."))
        #expect(!adopt.stdout.contains("replace localfs."))
        #expect(try Self.index(dir).isEmpty, "adopt only plans")

        let apply = try await PluginCLITests.landlord(["-C", dir.path, "apply", file])
        #expect(apply.code == 0, "\(apply.all)")
        let index = try Self.index(dir)
        #expect(index["acme/api.key"]?["address"] as? String == "acme/api_key")
        #expect(index["acme/WELCOME.txt"]?["address"] as? String == "acme/welcome")
        // Taken over, not made again: the key written by hand is still the key.
        #expect(PluginCLITests.text(dir, "out/acme/api.key") == "k-made-by-hand-0123456789\n")
        #expect(PluginCLITests.text(dir, "out/acme/WELCOME.txt") == "Welcome aboard, Acme Corp! Your key is in acme/api.key.")
        let plan = try await PluginCLITests.landlord(["-C", dir.path, "plan", "--detailed-exitcode"])
        #expect(plan.code == 0, "\(plan.all)")

        // The new messages (import with `key`, `tag`) are the protocol's.
        let schema = Fixtures.repoRoot.appendingPathComponent("Providers/Plugin/protocol.schema.json").path
        let log = dir.appendingPathComponent("messages.log").path
        let check = try await Spawned.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", Fixtures.path("validate_messages.py"), schema, log])
        #expect(check.code == 0, "\(check.all)")
        #expect(check.stdout.contains("\"tag\": 2"), "\(check.stdout)")
        let messages = try #require(PluginCLITests.text(dir, "messages.log"))
        #expect(messages.contains(#""key":{"path":"acme/api.key"}"#), "import carries the natural key")
    }

    @Test func aFileAnotherAddressOwnsIsNotFoundAndStateIsUntouched() async throws {
        let dir = try Self.handMadeFleet()
        defer { try? FileManager.default.removeItem(at: dir) }
        let owned = #"{"acme/api.key": {"address": "globex/api_key", "platform": "files", "tenant": "globex", "type": "localfs.api_key"}}"#
        try Fixtures.write(dir, "out/.landlord-index.json", owned)
        let file = dir.appendingPathComponent("adopt.plan").path
        let adopt = try await PluginCLITests.landlord(["-C", dir.path, "adopt", "--out", file])
        #expect(adopt.code == 1, "\(adopt.all)")
        #expect(adopt.stderr.contains(#"acme/api_key (localfs.api_key): nothing found by path "acme/api.key""#), "\(adopt.stderr)")
        #expect(!FileManager.default.fileExists(atPath: file))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent(".landlord/tenants").path))
        #expect(try Self.index(dir)["acme/api.key"]?["address"] as? String == "globex/api_key")
    }

    @Test func aPluginOfProtocolOneZeroIsRefusedBeforeAnyCall() async throws {
        let settings = PluginSettings(name: "fast", command: ["python3", Fixtures.path("instant.py")], directory: Fixtures.directory)
        let p = try await PluginProvider.start(settings, hostVersion: "test")
        defer { Task { await p.shutdown() } }
        let identity = ResourceIdentity(address: "acme/thing", tenant: "acme", platform: "p")
        let found = await p.lookUp([KeyLookup(type: "fast.thing", identity: identity, key: ["name": "acme"])])
        #expect(found.matches == [[]])
        #expect(found.calls == 0)
        let d = try #require(found.diagnostics.first)
        #expect(d.summary == "the fast plugin speaks provider protocol 1.0, which cannot adopt by natural key", "\(d.summary)")
        #expect(p.apiCallCounts()[APIOperation(api: "fast", operation: "import")] == nil)
    }
}
