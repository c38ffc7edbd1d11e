import Foundation
import LandlordCore
import PluginProvider
import ProviderAPI
import Synchronization

/// The plugin processes this run started (platform.yaml's `provider` entries with a `command`),
/// so they are shut down when the command ends, whatever it did.
enum PluginHost {
    private static let running = Mutex<[PluginProvider]>([])

    /// Starts every plugin the platform names, side by side, and reads their schemas.
    /// Diagnostics point at the plugin's entry in platform.yaml and quote its stderr.
    static func start(_ specs: [String: PluginSpec], root: URL, global: GlobalOptions) async -> ([PluginProvider], Diagnostics) {
        var diags = Diagnostics()
        let builtIn = ProviderRegistry.prefixes(of: ProviderSchema(resources: Array(Context.schemas.values)))
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
        let echo = global.verbose
        let results = await withTaskGroup(of: Keyed<String, Result<PluginProvider, PluginStartError>>.self) { group in
            for spec in toStart {
                group.addTask {
                    let settings = settings(spec, root: root, verbose: echo)
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
        running.withLock { $0.append(contentsOf: started) }
        return (started, diags)
    }

    /// How the CLI runs a plugin: in the fleet directory, with only the variables it lists.
    static func settings(_ spec: PluginSpec, root: URL, verbose: Bool) -> PluginSettings {
        PluginSettings(
            name: spec.name, command: spec.command, directory: root, passedEnvironment: spec.env, config: spec.config, timeout: spec.timeout,
            stderrEcho: verbose ? stderrEcho(spec.name) : nil)
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
