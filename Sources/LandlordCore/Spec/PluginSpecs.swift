import Foundation
import ProviderAPI

/// A provider served by a plugin process, from an entry of `provider:` (or `providers:`) in
/// platform.yaml that has a `command`:
/// `acme: {command: ["python3", "plugins/acme.py"], env: [ACME_TOKEN], config: {...}, timeout: 300}`.
/// The engine never starts it; the CLI does (Providers/Plugin), and this is only what the file says.
public struct PluginSpec: Sendable, Hashable {
    /// The provider's name: the prefix of the types it serves (`acme` serves `acme.*`).
    public var name: String
    /// The program and its arguments, run in the fleet directory.
    public var command: [String]
    /// The environment variables passed on to it (besides PATH and HOME); nothing else is.
    public var env: [String]
    /// `config:`, sent to the plugin in `initialize`.
    public var config: [String: Value]
    /// Seconds one call may take before it fails (`timeout`, default 300).
    public var timeout: Double
    /// Where the entry is written, for diagnostics about the plugin.
    public var location: SourceLocation

    public init(
        name: String, command: [String], env: [String] = [], config: [String: Value] = [:], timeout: Double = 300,
        location: SourceLocation
    ) {
        self.name = name
        self.command = command
        self.env = env
        self.config = config
        self.timeout = timeout
        self.location = location
    }
}

extension PlatformReader {
    /// The settings `provider.NAME` may hold when it has a `command` (a plugin).
    static let pluginFields = ["command", "env", "config", "timeout"]

    /// Reads the plugin entries of the provider map; other entries are built-in providers'
    /// settings and are left to them.
    static func readPlugins(_ node: YAMLNode, _ r: inout DocumentReader) -> [String: PluginSpec] {
        var out: [String: PluginSpec] = [:]
        for (k, v) in node.mapping ?? [] {
            guard let name = k.scalar, v.mapping != nil, let commandNode = v["command"] else { continue }
            r.checkKeys(v, allowed: pluginFields, what: "plugin setting")
            guard name.range(of: "^[a-z][a-z0-9_-]*$", options: .regularExpression) != nil else {
                r.diagnostics.append(
                    .error(
                        "'\(name)' is not a provider name",
                        detail: "use lower-case letters, digits, '_' and '-': it is the prefix of the types (NAME.TYPE)",
                        at: k.location))
                continue
            }
            let command = commandNode.sequence?.compactMap(\.scalar) ?? []
            guard !command.isEmpty, command.count == commandNode.sequence?.count else {
                r.diagnostics.append(
                    .error(
                        "'command' must be a non-empty list of strings", detail: "write `command: [\"python3\", \"plugins/\(name).py\"]`",
                        at: commandNode.location))
                continue
            }
            var env: [String] = []
            if let e = v["env"], !e.isNull {
                let names = e.sequence?.compactMap(\.scalar) ?? []
                if names.count != e.sequence?.count ?? -1 {
                    r.diagnostics.append(
                        .error("'env' must be a list of variable names", detail: "write `env: [ACME_TOKEN]`", at: e.location))
                }
                for (item, n) in zip(e.sequence ?? [], names) where n.range(of: "^[A-Za-z_][A-Za-z0-9_]*$", options: .regularExpression) == nil {
                    r.diagnostics.append(
                        .error(
                            "'\(n)' is not an environment variable name", detail: "use letters, digits and underscores, not starting with a digit",
                            at: item.location))
                }
                env = names
            }
            var config: [String: Value] = [:]
            if let c = v["config"], !c.isNull {
                if c.mapping == nil {
                    r.diagnostics.append(.error("'config' must be a mapping", detail: "write `config: {key: value}`", at: c.location))
                } else {
                    config = NodeValues.untyped(c).mapValue ?? [:]
                }
            }
            var timeout = 300.0
            if let t = v["timeout"] {
                if let s = t.scalar, let seconds = parseDuration(s), seconds > 0 {
                    timeout = seconds
                } else {
                    r.diagnostics.append(
                        .error(
                            "'timeout' must be a duration such as 30s, 5m or a number of seconds",
                            detail: "it is how long one call to the plugin may take (default 5m)", at: t.location))
                }
            }
            out[name] = PluginSpec(name: name, command: command, env: env, config: config, timeout: timeout, location: k.location)
        }
        return out
    }

    /// `30`, `30s`, `5m`, `1h` in seconds.
    static func parseDuration(_ s: String) -> Double? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600]
        if let last = s.last, let unit = units[last] { return Double(s.dropLast()).map { $0 * unit } }
        return Double(s)
    }
}
