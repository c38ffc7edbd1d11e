import Foundation
import LandlordCore
import PluginProvider
import ProviderAPI

/// The plugins ``FleetWiring/startPlugins(_:root:environment:echo:)`` started, and why the
/// others did not start.
public struct StartedPlugins: Sendable {
    public var plugins: [PluginProvider]
    public var diagnostics: Diagnostics

    public init(plugins: [PluginProvider], diagnostics: Diagnostics) {
        self.plugins = plugins
        self.diagnostics = diagnostics
    }
}

extension FleetWiring {
    /// Starts every provider plugin platform.yaml names (its `provider` entries with a
    /// `command`), side by side, and reads their schemas: one place for the CLI and the
    /// service. Diagnostics point at the plugin's entry and quote its stderr; a plugin named
    /// like a built-in provider is refused. `echo` receives each stderr line of a plugin (nil:
    /// kept for diagnostics only).
    public static func startPlugins(
        _ specs: [String: PluginSpec], root: URL, environment: [String: String],
        echo: (@Sendable (_ plugin: String, _ line: String) -> Void)? = nil
    ) async -> StartedPlugins {
        var diags = Diagnostics()
        let builtIn = ProviderRegistry.prefixes(of: ProviderSchema(resources: Array(schemas.values)))
        var toStart: [PluginSpec] = []
        for spec in specs.values.sorted(by: { $0.name < $1.name }) {
            if builtIn.contains(spec.name) {
                diags.append(
                    .error(
                        "'\(spec.name)' is a built-in provider's name", detail: "name the plugin after the prefix of its own types (NAME.TYPE)",
                        at: spec.location))
            } else {
                toStart.append(spec)
            }
        }
        let results = await withTaskGroup(of: Keyed<String, Result<PluginProvider, PluginStartError>>.self) { group in
            for spec in toStart {
                group.addTask {
                    let settings = pluginSettings(spec, root: root, environment: environment, echo: echo)
                    do throws(PluginStartError) {
                        return Keyed(spec.name, .success(try await PluginProvider.start(settings, hostVersion: LandlordVersion.current)))
                    } catch {
                        return Keyed(spec.name, .failure(error))
                    }
                }
            }
            var out: [String: Result<PluginProvider, PluginStartError>] = [:]
            for await r in group { out[r.key] = r.value }
            return out
        }
        var started: [PluginProvider] = []
        for spec in toStart {
            switch results[spec.name] {
            case .success(let p): started.append(p)
            case .failure(let e): diags.append(.error(e.summary, detail: e.detail, at: spec.location))
            case nil: break
            }
        }
        return StartedPlugins(plugins: started, diagnostics: diags)
    }

    /// How a plugin is run: in the fleet directory, with only the variables its entry lists
    /// (taken from `environment`).
    public static func pluginSettings(
        _ spec: PluginSpec, root: URL, environment: [String: String], echo: (@Sendable (_ plugin: String, _ line: String) -> Void)?
    ) -> PluginSettings {
        let name = spec.name
        var lines: (@Sendable (String) -> Void)?
        if let echo { lines = { line in echo(name, line) } }
        return PluginSettings(
            name: spec.name, command: spec.command, directory: root, passedEnvironment: spec.env, environment: environment, config: spec.config,
            timeout: spec.timeout, stderrEcho: lines)
    }

    /// The settings of a plugin that decide what it serves: its entry without the position
    /// (a platform.yaml edit that moves the entry changes nothing).
    public static func pluginIdentity(_ plugins: [String: PluginSpec]) -> [String: PluginSpec] {
        plugins.mapValues { p in
            var p = p
            p.location = SourceLocation(file: "", line: 0, column: 0)
            return p
        }
    }
}
