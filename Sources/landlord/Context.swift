import AWSProvider
import ArgumentParser
import Foundation
import LandlordCore
import LandlordLocalState
import LandlordS3State
import MockProvider
import PluginProvider
import PostgresProvider
import ProviderAPI
import StripeProvider

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

    /// The providers this CLI can register, by the prefix of the types they serve.
    enum ProviderChoice {
        /// The simulated cloud (`provider: {aws: {use: mock}}`, no provider section, or `--mock`).
        case mock
        /// AWS itself.
        case aws

        init(settings aws: [String: Value], platform: PlatformSpec, forceMock: Bool) {
            // Plugins are not a choice of cloud: a platform that names only plugins gets the mock.
            let builtIn = platform.providers.keys.filter { platform.plugins[$0] == nil }
            self = forceMock || aws["use"]?.stringValue == "mock" || builtIn.isEmpty ? .mock : .aws
        }
    }

    /// Every resource type the providers this CLI can register serve, each as its provider
    /// declares it: specs are read against these before a provider is chosen (which needs
    /// platform.yaml), and without making one (so `validate` and `state` need no credentials).
    static let schemas: [String: ResourceSchema] = {
        var out: [String: ResourceSchema] = [:]
        for schema in [MockProvider.resourceSchema, AWSProvider.resourceSchema, StripeProvider.resourceSchema, PostgresProvider.resourceSchema] {
            out.merge(schema.resources) { a, _ in a }
        }
        return out
    }()

    /// Loads the fleet; prints diagnostics and exits 1 on any error. `unchanged` says what the
    /// verb then did not do (`nothing was applied`); nil for verbs that only read. `writes`:
    /// the command writes state, so it warns once when sensitive values will be stored in clear.
    ///
    /// Plugins platform.yaml names are started first (handshake and schema), so specs are read
    /// against their types too; a plugin that cannot start is an error at its entry.
    static func load(_ global: GlobalOptions, mock forceMock: Bool = false, unchanged: String? = nil, writes: Bool = false) async throws -> Context {
        let output = Output(global)
        let root = URL(fileURLWithPath: global.chdir).standardizedFileURL
        var known = schemas
        var plugins: [PluginProvider] = []
        if let platform = SpecLoader(schemas: schemas).readPlatform(directory: root).0, !platform.plugins.isEmpty {
            let (started, pluginDiags) = await PluginHost.start(platform.plugins, root: root, global: global)
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
        let aws = fleet.platform.providerSettings("aws")
        let cipher: StateCipher?
        do {
            cipher = try StateCipher.configured(fleet.platform.state, directory: root, environment: ProcessInfo.processInfo.environment)
        } catch {
            output.error("\(error)")
            throw ExitCode(1)
        }
        if cipher == nil && writes {
            output.warning(
                "sensitive values are stored in clear in the state; set \(StateCipher.environmentVariable) (or `state: {keyFile: PATH}` in \(fleet.platform.file)) to a 32-byte base64 key to encrypt them"
            )
        }
        let store: any StateStore
        switch fleet.platform.state.backend {
        case .s3:
            do {
                store = try S3StateStore(
                    config: fleet.platform.state, fallbackRegion: aws["region"]?.stringValue, environment: ProcessInfo.processInfo.environment,
                    cipher: cipher)
            } catch {
                output.error("\(fleet.platform.file): \(error)")
                throw ExitCode(1)
            }
        case .local:
            store = localStore(root, cipher: cipher)
        }
        var registry = ProviderRegistry()
        var mock: MockProvider?
        switch ProviderChoice(settings: aws, platform: fleet.platform, forceMock: forceMock) {
        case .mock:
            let env = ProcessInfo.processInfo.environment
            let path = env["LANDLORD_MOCK_CLOUD"] ?? root.appendingPathComponent(".landlord/mock-cloud.json").path
            var settings = MockSettings.fromEnvironment()
            settings.rateLimits = (aws["rateLimits"]?.mapValue ?? [:]).compactMapValues { v in
                v.intValue.map(Double.init) ?? { if case .double(let d) = v { return d } else { return nil } }()
            }
            if let r = aws["region"]?.stringValue { settings.region = r }
            let m = MockProvider(cloudPath: path, settings: settings)
            registry.register(m)
            // The simulated cloud serves every built-in type, whatever its prefix.
            for prefix in ProviderRegistry.prefixes(of: m.schema) { registry.register(m, prefix: prefix) }
            mock = m
        case .aws:
            registry.register(AWSProvider(settings: aws))
            // `provider: {stripe: {apiKeyEnv, apiBase}}`: Stripe itself (a missing key is a
            // diagnostic naming the variable at the first call, so `validate` needs none).
            if fleet.platform.providers["stripe"] != nil {
                registry.register(StripeProvider(settings: fleet.platform.providerSettings("stripe")))
            }
            // `provider: {postgres: {url: ..., passwordEnv: PGPASSWORD}}`: the server of the `postgres.*` types.
            let postgres = fleet.platform.providerSettings("postgres")
            if !postgres.isEmpty { registry.register(PostgresProvider(settings: postgres)) }
        }
        for p in plugins { registry.register(p) }
        return Context(global: global, root: root, fleet: fleet, store: store, registry: registry, mock: mock, output: output, cipher: cipher)
    }

    /// The local state under DIR/.landlord (whatever backend platform.yaml names).
    static func localStore(_ root: URL, cipher: StateCipher?) -> LocalStateStore {
        LocalStateStore(
            directory: root.appendingPathComponent(".landlord").path, durable: ProcessInfo.processInfo.environment["LANDLORD_STATE_FSYNC"] != "0",
            cipher: cipher)
    }

    /// The engine over this fleet, state and providers.
    var workspace: Workspace { Workspace(fleet: fleet, store: store, providers: registry) }

    /// Recorded state for the tenants of the fleet and every tenant with state.
    func loadStates() async throws -> (tenants: [String: TenantState], platform: PlatformState) {
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
