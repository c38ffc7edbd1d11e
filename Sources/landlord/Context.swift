import ArgumentParser
import FleetWiring
import Foundation
import LandlordBasics
import LandlordCore
import LandlordLifecycle
import LandlordLocalState
import MockProvider
import PluginProvider
import ProviderAPI

/// A run's fleet, state store and providers, built from the global options.
struct Context {
    let global: GlobalOptions
    let root: URL
    let fleet: Fleet
    let store: any StateStore
    let registry: ProviderRegistry
    let mock: MockProvider?
    let output: Output
    /// Seals sensitive values in state (nil: no key configured).
    let cipher: StateCipher?

    /// Every resource type the providers this CLI can register serve, each as its provider
    /// declares it: specs are read against these before a provider is chosen (which needs
    /// platform.yaml), and without making one (so `validate` and `state` need no credentials).
    static var schemas: [String: ResourceSchema] { FleetWiring.schemas }

    /// Loads the fleet; prints diagnostics and exits 1 on any error. `unchanged` says what the
    /// verb then did not do (`nothing was applied`); nil for verbs that only read. `writes`:
    /// the command writes state, so it warns once when sensitive values will be stored in clear.
    ///
    /// `keys: false`: the verb never reads state (validate, graph), so no state key is loaded
    /// (a KMS key would need credentials and a call).
    ///
    /// Plugins platform.yaml names are started first (handshake and schema), so specs are read
    /// against their types too; a plugin that cannot start is an error at its entry.
    static func load(_ global: GlobalOptions, mock forceMock: Bool = false, unchanged: String? = nil, writes: Bool = false, keys: Bool = true)
        async throws
        -> Context
    {
        let output = Output(global)
        let root = URL(fileURLWithPath: global.chdir).standardizedFileURL
        var known = schemas
        var plugins: [PluginProvider] = []
        if let platform = SpecLoader(schemas: schemas).readPlatform(directory: root).0, !platform.plugins.isEmpty {
            let outcome = await PluginHost.start(platform.plugins, root: root, global: global)
            let started = outcome.plugins
            let pluginDiags = outcome.diagnostics
            plugins = started
            for p in started { known.merge(p.schema.resources) { a, _ in a } }
            if pluginDiags.hasErrors {
                output.diagnostics(pluginDiags)
                output.error((unchanged.map { "\($0): " } ?? "") + "fix the plugin settings or the plugin above and run again")
                throw ExitCode(1)
            }
        }
        let (fleet, diags) = SpecLoader(schemas: known).load(directory: root)
        output.diagnostics(diags)
        guard let fleet, !diags.hasErrors else {
            output.error(
                (unchanged.map { "\($0): " } ?? "") + "fix the \(diags.errors.count) error\(diags.errors.count == 1 ? "" : "s") above and run again")
            throw ExitCode(1)
        }
        var cipher: StateCipher? = nil
        do {
            if keys { cipher = try await FleetWiring.cipher(fleet, root: root, environment: ProcessInfo.processInfo.environment) }
        } catch {
            output.error("\(error)")
            throw ExitCode(1)
        }
        if cipher == nil && writes && firstClearWrite(fleet.platform.state, root: root) {
            output.warning(
                """
                sensitive values are stored in clear in the state; set \(StateCipher.environmentVariable) (or \
                `state: {keyFile: PATH}` in \(fleet.platform.file)) to a 32-byte base64 key to encrypt them
                """
                    + " (said once for this state on this machine; `state: {encryption: required}` refuses to run without a key)"
            )
        }
        let env = ProcessInfo.processInfo.environment
        let store: any StateStore
        do { store = try FleetWiring.store(fleet, root: root, environment: env, cipher: cipher) } catch {
            output.error("\(fleet.platform.file): \(error)")
            throw ExitCode(1)
        }
        let providers = FleetWiring.providers(fleet, root: root, environment: env, forceMock: forceMock)
        var registry = providers.registry
        let mock = providers.mock
        for p in plugins { registry.register(p) }
        return Context(global: global, root: root, fleet: fleet, store: store, registry: registry, mock: mock, output: output, cipher: cipher)
    }

    /// Whether this is the first run on this machine to write `state` without a key: true
    /// once per state (its backend, bucket and prefix), remembered in `.landlord/cache/`
    /// (this machine's, whatever the backend), so the warning is said once, not every command.
    static func firstClearWrite(_ state: StateBackendConfig, root: URL) -> Bool {
        let which = state.backend == .local ? "local" : "\(state.backend) \(state.bucket ?? "") \(state.prefix ?? "")"
        let marker = root.appendingPathComponent(".landlord/cache/clear-state-warned")
        let seen = (try? String(contentsOf: marker, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
        if seen.contains(which) { return false }
        // Private like everything under .landlord/ (AtomicFile: 0700 directories, 0600 files).
        try? AtomicFile.makeDirectory(marker.deletingLastPathComponent().path, tightenExisting: false)
        try? AtomicFile.write(Array((seen + [which]).map { $0 + "\n" }.joined().utf8), to: marker.path, durable: false)
        return true
    }

    /// The local state under DIR/.landlord (whatever backend platform.yaml names).
    static func localStore(_ root: URL, cipher: StateCipher?) -> LocalStateStore {
        FleetWiring.localStore(root, environment: ProcessInfo.processInfo.environment, cipher: cipher)
    }

    /// The engine over this fleet, state and providers.
    /// With the keys apply records and plans read (`Planning.planKeys`).
    var workspace: Workspace {
        var w = Workspace(fleet: fleet, store: store, providers: registry)
        w.planKeys = Planning.planKeys(self)
        return w
    }

    /// Recorded state for the tenants of the fleet and every tenant with state.
    func loadStates() async throws -> LoadedStates {
        do {
            return try await workspace.loadStates()
        } catch {
            output.error("\(error)")
            throw ExitCode(1)
        }
    }

    /// Folds the simulated cloud's journal into its JSON file.
    func finish() {
        try? mock?.cloud.compactIfWorthIt()
    }
}
