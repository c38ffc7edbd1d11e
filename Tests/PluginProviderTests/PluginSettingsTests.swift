import Foundation
import LandlordCore
import Testing

/// platform.yaml's plugin entries: `provider:` or `providers:`, checked at file:line:col.
@Suite struct PluginSettingsTests {
    static func platform(_ providerSection: String) throws -> (PlatformSpec?, Diagnostics) {
        let dir = try Fixtures.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = "apiVersion: landlord/v1\nkind: Platform\nname: p\n" + providerSection
        try Data(text.utf8).write(to: dir.appendingPathComponent("platform.yaml"))
        return SpecLoader(schemas: [:]).readPlatform(directory: dir)
    }

    @Test func bothSpellingsReadTheSameEntry() throws {
        for key in ["provider", "providers"] {
            let (spec, diags) = try Self.platform(
                "\(key):\n  aws: {region: us-east-1}\n  acme: {command: [python3, acme.py], env: [ACME_TOKEN], config: {url: x}, timeout: 2m}\n")
            #expect(!diags.hasErrors, "\(diags.items)")
            let acme = try #require(spec?.plugins["acme"])
            #expect(acme.command == ["python3", "acme.py"])
            #expect(acme.env == ["ACME_TOKEN"])
            #expect(acme.config["url"] == "x")
            #expect(acme.timeout == 120)
            #expect(spec?.plugins["aws"] == nil)
            #expect(spec?.providerSettings("aws")["region"] == "us-east-1")
        }
    }

    @Test func badEntriesAreErrorsAtTheirPosition() throws {
        let (_, diags) = try Self.platform("provider:\n  acme: {command: python3, timeout: soon, bogus: 1}\n")
        let text = diags.items.map(\.description).joined(separator: "\n")
        #expect(text.contains("platform.yaml:5:19: error: 'command' must be a non-empty list of strings"), "\(text)")
        #expect(text.contains("unknown plugin setting 'bogus'") || text.contains("'bogus'"), "\(text)")
        let (_, both) = try Self.platform("provider: {aws: {}}\nproviders: {aws: {}}\n")
        #expect(both.items.contains { $0.summary.contains("both 'provider' and 'providers' are set") })
        let (_, timeout) = try Self.platform("provider:\n  acme: {command: [a], timeout: soon}\n")
        #expect(timeout.items.contains { $0.summary.contains("'timeout' must be a duration") })
    }
}
