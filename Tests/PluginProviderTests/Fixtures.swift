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
}
