import Foundation
import LandlordTestSupport
import Testing

/// `deletion: snapshot` on a plugin's type (the reference plugin's `localfs.file`, which declares
/// `exportFormat: txt` and answers `export`), through the binary: destroy stores the file's
/// bytes in platform.yaml's `exports:` directory before the plugin deletes the file.
@Suite struct PluginExportTests {
    @Test func destroySnapshotsAPluginResourceThroughItsExportMethod() async throws {
        let dir = try PluginCLITests.exampleFleet()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bp = dir.appendingPathComponent("blueprints/workspace.yaml")
        let text = try String(contentsOf: bp, encoding: .utf8)
        try text.replacingOccurrences(of: "    wait: {until: present}", with: "    wait: {until: present}\n    deletion: snapshot")
            .write(to: bp, atomically: true, encoding: .utf8)
        let platform = dir.appendingPathComponent("platform.yaml")
        try (try String(contentsOf: platform, encoding: .utf8) + "exports: {directory: saved}\n").write(
            to: platform, atomically: true, encoding: .utf8)
        let apply = try await PluginCLITests.landlord(["-C", dir.path, "apply", "--auto-approve"])
        #expect(apply.code == 0, "\(apply.all)")
        let welcome = try #require(PluginCLITests.text(dir, "out/acme/WELCOME.txt"))

        let destroy = try await PluginCLITests.landlord(["-C", dir.path, "destroy", "--tenant", "acme", "--auto-approve", "--no-color"])
        #expect(destroy.code == 0, "\(destroy.all)")
        #expect(destroy.stdout.contains("# acme/welcome will be exported, then destroyed (deletion: snapshot)"), "\(destroy.stdout)")
        #expect(PluginCLITests.text(dir, "out/acme/WELCOME.txt") == nil, "the plugin deleted the file")
        let saved = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("saved/acme").path)
        #expect(saved.count == 1 && saved.first?.hasPrefix("welcome-") == true && saved.first?.hasSuffix(".txt") == true)
        #expect(PluginCLITests.text(dir, "saved/acme/" + (saved.first ?? "")) == welcome)
    }
}
