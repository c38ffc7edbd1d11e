import Foundation
import PluginProvider
import ProviderAPI

/// Paths of the test plugins and the repository, and a way to start them.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Settings for `misbehaving.py MODE` (type `bad.thing`).
    static func misbehaving(_ mode: String, timeout: Double = 20, env: [String] = [], environment: [String: String] = [:]) -> PluginSettings {
        var base = ProcessInfo.processInfo.environment
        base.merge(environment) { _, b in b }
        return PluginSettings(
            name: "bad", command: ["python3", path("misbehaving.py"), mode], directory: directory, passedEnvironment: env, environment: base,
            timeout: timeout)
    }

    /// A create of `bad.thing` named `name` (names containing "boom" trigger the fault).
    static func create(_ name: String) -> ApplyRequest {
        ApplyRequest(
            operation: .create, type: "bad.thing", identity: ResourceIdentity(address: "t/\(name)", tenant: "t", platform: "p"), prior: nil,
            inputs: ["name": .string(name)], clientToken: UUID().uuidString)
    }

    /// A fresh scratch directory under the system's temp directory.
    static func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("landlord-plugin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Writes `text` to `path` below `dir`, making the folders on the way.
    static func write(_ dir: URL, _ path: String, _ text: String) throws {
        let url = dir.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    /// A fleet in a scratch directory whose provider `bad` is `misbehaving.py MODE` (with
    /// `timeout:` when given), its blueprint `b` one `bad.thing` named for the tenant, and one
    /// tenant of `b` for each id (names containing "boom" trigger the fault).
    static func misbehavingFleet(_ mode: String, timeout: Int? = nil, tenants: [String]) throws -> URL {
        let dir = try scratch()
        let command = #"["python3", "\#(path("misbehaving.py"))", "\#(mode)"]"#
        try write(
            dir, "platform.yaml",
            "apiVersion: landlord/v1\nkind: Platform\nname: p\nproviders:\n  bad: {command: \(command)\(timeout.map { ", timeout: \($0)" } ?? "")}\n")
        try write(
            dir, "blueprints/b.yaml",
            "apiVersion: landlord/v1\nkind: Blueprint\nname: b\nresources:\n  thing: {type: bad.thing, properties: {name: \"${tenant.id}\"}}\n")
        for id in tenants { try write(dir, "tenants/\(id).yaml", "apiVersion: landlord/v1\nkind: Tenant\nid: \(id)\nblueprint: b\n") }
        return dir
    }

    /// Puts `wrapper` (a test script and its arguments) in front of the reference plugin's command
    /// in the platform.yaml of a copy of examples/plugins (`PluginCLITests.exampleFleet`), so the
    /// script starts the plugin and stands between it and landlord.
    static func wrapReferencePlugin(in dir: URL, with wrapper: [String]) throws {
        let url = dir.appendingPathComponent("platform.yaml")
        let words = (["python3"] + wrapper + ["python3", "plugins/localfs.py"]).map { "\"\($0)\"" }
        try Data(
            try String(contentsOf: url, encoding: .utf8).replacingOccurrences(
                of: #"command: ["python3", "plugins/localfs.py"]"#, with: "command: [\(words.joined(separator: ", "))]"
            ).utf8
        ).write(to: url)
    }
}
