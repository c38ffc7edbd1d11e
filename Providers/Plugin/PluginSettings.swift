import Foundation
import ProviderAPI

/// How to run one plugin: what platform.yaml's `provider.NAME` entry says, plus where and with
/// which environment (the CLI fills it in).
public struct PluginSettings: Sendable {
    /// The provider's name: the prefix of the types it serves (`acme` serves `acme.*`).
    public var name: String
    /// The program and its arguments (looked up on PATH, relative to `directory`).
    public var command: [String]
    /// The directory the plugin runs in (the fleet directory).
    public var directory: URL
    /// The names of the variables passed on from `environment` (besides PATH and HOME).
    public var passedEnvironment: [String]
    /// Where the passed variables are taken from (normally this process's environment).
    public var environment: [String: String]
    /// `config:`, sent in `initialize`.
    public var config: [String: Value]
    /// Seconds one call may take before it fails.
    public var timeout: Double
    /// Called with each line the plugin writes to stderr (`--verbose`); nil: kept only.
    public var stderrEcho: (@Sendable (String) -> Void)?

    /// Settings for one plugin; only `name`, `command` and `directory` are needed.
    public init(
        name: String, command: [String], directory: URL, passedEnvironment: [String] = [],
        environment: [String: String] = ProcessInfo.processInfo.environment, config: [String: Value] = [:], timeout: Double = 300,
        stderrEcho: (@Sendable (String) -> Void)? = nil
    ) {
        self.name = name
        self.command = command
        self.directory = directory
        self.passedEnvironment = passedEnvironment
        self.environment = environment
        self.config = config
        self.timeout = timeout
        self.stderrEcho = stderrEcho
    }

    /// The environment the plugin gets: PATH, HOME and the variables named in `env:`, nothing else.
    public var processEnvironment: [String: String] {
        var out: [String: String] = [:]
        for key in ["PATH", "HOME"] + passedEnvironment { if let v = environment[key] { out[key] = v } }
        return out
    }

    /// The command as a person would type it, for messages.
    public var commandLine: String {
        command.map { $0.contains(" ") || $0.isEmpty ? "'\($0)'" : $0 }.joined(separator: " ")
    }
}

/// The protocol version this host speaks (Providers/PROTOCOL.md).
public enum PluginProtocol {
    /// `MAJOR.MINOR`: a plugin of another major version is refused; minor versions only add
    /// optional fields.
    public static let version = "1.0"
    /// The major part of `version`.
    public static var major: Int { Int(version.split(separator: ".")[0])! }
}
