import FleetWiring
import Foundation
import LandlordCore
import LandlordLifecycle
import PluginProvider
import ProviderAPI
import Synchronization

/// The plugin processes this run started (platform.yaml's `provider` entries with a `command`),
/// so they are shut down when the command ends, whatever it did.
enum PluginHost {
    private static let running = Mutex<[PluginProvider]>([])

    /// Starts every plugin the platform names, side by side, and reads their schemas
    /// (``FleetWiring/startPlugins(_:root:environment:echo:)``, shared with the service).
    /// Diagnostics point at the plugin's entry in platform.yaml and quote its stderr.
    static func start(_ specs: [String: PluginSpec], root: URL, global: GlobalOptions) async -> StartedPlugins {
        let started = await FleetWiring.startPlugins(
            specs, root: root, environment: ProcessInfo.processInfo.environment, echo: echo(verbose: global.verbose))
        running.withLock { $0.append(contentsOf: started.plugins) }
        return started
    }

    /// How the CLI runs a plugin: in the fleet directory, with only the variables it lists.
    static func settings(_ spec: PluginSpec, root: URL, verbose: Bool) -> PluginSettings {
        FleetWiring.pluginSettings(spec, root: root, environment: ProcessInfo.processInfo.environment, echo: echo(verbose: verbose))
    }

    /// With `--verbose`, what writes each plugin's stderr lines to landlord's stderr; else nil.
    static func echo(verbose: Bool) -> (@Sendable (String, String) -> Void)? {
        guard verbose else { return nil }
        return { name, line in FileHandle.standardError.write(Data("[\(name)] \(line)\n".utf8)) }
    }

    /// Writes a plugin's stderr line to landlord's stderr, prefixed with its name.
    static func stderrEcho(_ name: String) -> @Sendable (String) -> Void {
        { line in FileHandle.standardError.write(Data("[\(name)] \(line)\n".utf8)) }
    }

    /// Remembers a plugin started outside `start` (`provider check`), so it is shut down too.
    static func adopt(_ p: PluginProvider) { running.withLock { $0.append(p) } }

    /// Shuts every started plugin down (`shutdown`, then a kill after 5 s), side by side.
    static func shutdownAll() async {
        let all = running.withLock { r in
            defer { r.removeAll() }
            return r
        }
        await withTaskGroup(of: Void.self) { group in
            for p in all { group.addTask { await p.shutdown() } }
        }
    }
}
