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
        command.map(Self.shellQuoted).joined(separator: " ")
    }

    /// How messages name the plugin: `the acme plugin`, or `the plugin` before it has a name
    /// (`provider check` takes the name the plugin gives itself).
    public var called: String { name.isEmpty ? "the plugin" : "the \(name) plugin" }

    /// The `landlord provider check` command that runs this plugin alone the way landlord runs
    /// it: in the same directory (`-C`), with the same variables (`--env`), `config`
    /// (`--config`) and call timeout, so it can be pasted from any directory.
    public var checkCommandLine: String {
        var parts = ["landlord", "-C", Self.shellQuoted(directory.path), "provider", "check"]
        for name in passedEnvironment { parts += ["--env", Self.shellQuoted(name)] }
        if !config.isEmpty { parts += ["--config", Self.shellQuoted(JSON.string(.map(config)))] }
        parts += ["--timeout", timeout == timeout.rounded() && abs(timeout) < 1e15 ? String(Int(timeout)) : String(timeout)]
        return (parts + ["--"]).joined(separator: " ") + " " + commandLine
    }

    /// The words of the command that name a file relative to `directory` (a `/` in them, not
    /// absolute, not an option) which does not exist there: `plugins/acme.py` given from
    /// another directory than the fleet's, where plugins run.
    public var missingFiles: [String] {
        command.filter { word in
            guard word.contains("/"), !word.hasPrefix("/"), !word.hasPrefix("-"), !word.contains("="), !word.contains("://") else { return false }
            return !FileManager.default.fileExists(atPath: directory.appendingPathComponent(word).path)
        }
    }

    /// What to do next after the plugin failed to start: when its command names files that are
    /// not in the directory it runs in, that (the command is relative to the fleet directory,
    /// `-C`), rather than a `provider check` that would fail the same way; else the
    /// `provider check` that runs it alone.
    public var startHint: String {
        let missing = missingFiles
        guard !missing.isEmpty else { return "try it alone: `\(checkCommandLine)`" }
        let names = missing.map { "`\($0)`" }.joined(separator: ", ")
        return "\(names) \(missing.count == 1 ? "is" : "are") not in \(directory.path), where the plugin runs: a plugin's command is "
            + "taken from the fleet directory (the one holding platform.yaml, given with -C), so name \(missing.count == 1 ? "it" : "them") "
            + "from there, or run `landlord -C FLEET provider check -- \(commandLine)` with the fleet's directory"
    }

    /// `word` as a POSIX shell reads it back: bare when it holds only safe characters, else in
    /// single quotes (a quote inside as `'\''`).
    static func shellQuoted(_ word: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")
        if !word.isEmpty && word.allSatisfy(safe.contains) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// The protocol version this host speaks (Providers/PROTOCOL.md).
public enum PluginProtocol {
    /// `MAJOR.MINOR`: a plugin of another major version is refused; minor versions only add
    /// optional fields.
    public static let version = "1.1"
    /// The major part of `version`.
    public static var major: Int { Int(version.split(separator: ".")[0])! }
}
