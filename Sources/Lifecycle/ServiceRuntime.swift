import AWSProvider
import FleetWiring
import Foundation
import LandlordCore
import LandlordLocalState
import LandlordS3State
import MockProvider
import PluginProvider
import PostgresProvider
import ProviderAPI
import StripeProvider

/// A service's fleet, state store and providers, built from a fleet directory the way the CLI
/// builds them (Sources/landlord/Context.swift, through ``FleetWiring``): the same providers
/// (the provider plugins platform.yaml names included), the same state backends, the same
/// locks, so a CLI apply and the service never apply one tenant at once.
public struct ServiceRuntime: Sendable {
    public let root: URL
    public let fleet: Fleet
    public let store: any StateStore
    public let registry: ProviderRegistry
    /// The simulated cloud, when the fleet uses it (its journal is compacted now and then).
    public let mock: MockProvider?
    /// The provider plugins this runtime started (``shutdown()`` stops them).
    public let plugins: [PluginProvider]
    /// Every resource type the fleet's specs may use: the built-in providers' and the plugins'.
    public let resourceSchemas: [String: ResourceSchema]

    /// What went wrong loading the fleet: the diagnostics and one line saying what to do.
    public struct LoadError: Error, CustomStringConvertible {
        public var diagnostics: Diagnostics
        public var message: String
        public var description: String {
            (diagnostics.items.map(\.description) + [message]).joined(separator: "\n")
        }
    }

    /// Every resource type the built-in providers serve.
    public static var schemas: [String: ResourceSchema] { FleetWiring.schemas }

    /// Loads the fleet under `root` and wires its state store and providers; `environment`
    /// is where `${env.NAME}`, the state key, the mock's settings and the variables passed to
    /// plugins are read. The plugins platform.yaml names are started first (their types are
    /// read with their schemas); `pluginEcho` receives the lines they write to stderr.
    public static func load(
        root: URL, environment: [String: String] = ProcessInfo.processInfo.environment,
        pluginEcho: (@Sendable (_ plugin: String, _ line: String) -> Void)? = nil
    ) async throws(LoadError) -> ServiceRuntime {
        var known = schemas
        var plugins: [PluginProvider] = []
        if let platform = SpecLoader(schemas: schemas, environment: environment).readPlatform(directory: root).0, !platform.plugins.isEmpty {
            let outcome = await FleetWiring.startPlugins(platform.plugins, root: root, environment: environment, echo: pluginEcho)
            let started = outcome.plugins
            let diags = outcome.diagnostics
            plugins = started
            for p in started { known.merge(p.schema.resources) { a, _ in a } }
            if diags.hasErrors {
                await shutdown(plugins)
                throw LoadError(
                    diagnostics: diags,
                    message: "fix the plugin settings or the plugin above (`landlord providers` starts them too) and start the service again")
            }
        }
        do throws(LoadError) {
            let (loaded, diags) = SpecLoader(schemas: known, environment: environment).load(directory: root)
            guard let fleet = loaded, !diags.hasErrors else {
                throw LoadError(
                    diagnostics: diags, message: "fix the \(diags.errors.count) error(s) above (`landlord validate`) and start the service again")
            }
            let cipher: StateCipher?
            do { cipher = try await FleetWiring.cipher(fleet, root: root, environment: environment) } catch {
                throw LoadError(diagnostics: Diagnostics(), message: "\(error)")
            }
            let store: any StateStore
            do { store = try FleetWiring.store(fleet, root: root, environment: environment, cipher: cipher) } catch {
                throw LoadError(diagnostics: Diagnostics(), message: "\(fleet.platform.file): \(error)")
            }
            let providers = FleetWiring.providers(fleet, root: root, environment: environment, forceMock: false)
            var registry = providers.registry
            for p in plugins { registry.register(p) }
            return ServiceRuntime(
                root: root, fleet: fleet, store: store, registry: registry, mock: providers.mock, plugins: plugins, resourceSchemas: known)
        } catch {
            await shutdown(plugins)
            throw error
        }
    }

    /// Stops the plugins this runtime started (`shutdown`, then a kill after 5 s), side by side.
    public func shutdown() async { await Self.shutdown(plugins) }

    static func shutdown(_ plugins: [PluginProvider]) async {
        await withTaskGroup(of: Void.self) { group in
            for p in plugins { group.addTask { _ = await p.shutdown() } }
        }
    }

    /// Why `platform` (re-read while the service runs) cannot be served by this runtime, whose
    /// state store, providers, plugins, event sinks and API tokens were built from the
    /// platform.yaml read at start; nil when only what plans read (inputs, pools) changed.
    func rewiring(_ platform: PlatformSpec) -> String? {
        let was = fleet.platform
        var changed: [String] = []
        if was.providers != platform.providers { changed.append("provider settings") }
        if FleetWiring.pluginIdentity(was.plugins) != FleetWiring.pluginIdentity(platform.plugins) { changed.append("provider plugins") }
        if was.state != platform.state { changed.append("state backend") }
        if was.events != platform.events { changed.append("event sinks") }
        if was.api != platform.api { changed.append("API settings") }
        guard !changed.isEmpty else { return nil }
        return "\(platform.file) changed its \(changed.joined(separator: ", ")) since the service started"
    }
}
