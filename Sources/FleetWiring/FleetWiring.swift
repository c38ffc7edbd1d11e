import AWSProvider
import Foundation
import LandlordCore
import LandlordLocalState
import LandlordS3State
import MockProvider
import PostgresProvider
import ProviderAPI
import StripeProvider

/// How a fleet's platform.yaml becomes a state store and built-in providers: one place for the
/// CLI (Sources/landlord/Context.swift) and the service (``ServiceRuntime``), so the two never
/// choose differently for one fleet. Plugins are the CLI's own (the service refuses them).
public enum FleetWiring {
    /// Every resource type the built-in providers serve, each as its provider declares it:
    /// specs are read against these before a provider is made (so `validate` needs no credentials).
    public static let schemas: [String: ResourceSchema] = {
        var out: [String: ResourceSchema] = [:]
        for schema in [MockProvider.resourceSchema, AWSProvider.resourceSchema, StripeProvider.resourceSchema, PostgresProvider.resourceSchema] {
            out.merge(schema.resources) { a, _ in a }
        }
        return out
    }()

    /// The state store platform.yaml names: S3 (compare-and-swap documents, lock objects) or
    /// the local disk under `root/.landlord`. Throws when the S3 settings are unusable.
    public static func store(
        _ fleet: Fleet, root: URL, environment: [String: String], cipher: StateCipher?
    ) throws -> any StateStore {
        switch fleet.platform.state.backend {
        case .s3:
            return try S3StateStore(
                config: fleet.platform.state, fallbackRegion: fleet.platform.providerSettings("aws")["region"]?.stringValue,
                environment: environment, cipher: cipher)
        case .local:
            return localStore(root, environment: environment, cipher: cipher)
        }
    }

    /// The local state under `root/.landlord` (whatever backend platform.yaml names);
    /// `LANDLORD_STATE_FSYNC=0` skips fsync (benchmarks).
    public static func localStore(_ root: URL, environment: [String: String], cipher: StateCipher?) -> LocalStateStore {
        LocalStateStore(
            directory: root.appendingPathComponent(".landlord").path, durable: environment["LANDLORD_STATE_FSYNC"] != "0", cipher: cipher)
    }

    /// The built-in providers of a fleet, and the simulated cloud when it is the one chosen.
    public struct Providers: Sendable {
        public var registry: ProviderRegistry
        /// Set when the mock serves every built-in type.
        public var mock: MockProvider?
    }

    /// The mock (`--mock`, `provider: {aws: {use: mock}}`, or no built-in provider named: a
    /// platform naming only plugins gets the mock too), serving every built-in prefix from one
    /// simulated cloud; otherwise AWS, plus Stripe and PostgreSQL where platform.yaml names them.
    public static func providers(_ fleet: Fleet, root: URL, environment: [String: String], forceMock: Bool) -> Providers {
        let platform = fleet.platform
        let aws = platform.providerSettings("aws")
        let builtIn = platform.providers.keys.filter { platform.plugins[$0] == nil }
        var registry = ProviderRegistry()
        registry.exports = exportStore(fleet, root: root, environment: environment)
        if forceMock || aws["use"]?.stringValue == "mock" || builtIn.isEmpty {
            let path = environment["LANDLORD_MOCK_CLOUD"] ?? root.appendingPathComponent(".landlord/mock-cloud.json").path
            var settings = MockSettings.fromEnvironment(environment)
            settings.rateLimits = (aws["rateLimits"]?.mapValue ?? [:]).compactMapValues { v in
                v.intValue.map(Double.init) ?? { if case .double(let d) = v { return d } else { return nil } }()
            }
            if let r = aws["region"]?.stringValue { settings.region = r }
            let mock = MockProvider(cloudPath: path, settings: settings)
            registry.register(mock)
            for prefix in ProviderRegistry.prefixes(of: mock.schema) { registry.register(mock, prefix: prefix) }
            return Providers(registry: registry, mock: mock)
        }
        registry.register(AWSProvider(settings: aws))
        // `provider: {stripe: {apiKeyEnv, apiBase}}`: Stripe itself (a missing key is a
        // diagnostic naming the variable at the first call, so `validate` needs none).
        if platform.providers["stripe"] != nil { registry.register(StripeProvider(settings: platform.providerSettings("stripe"))) }
        // `provider: {postgres: {url: ..., passwordEnv: PGPASSWORD}}`: the server of the `postgres.*` types.
        let postgres = platform.providerSettings("postgres")
        if !postgres.isEmpty { registry.register(PostgresProvider(settings: postgres)) }
        return Providers(registry: registry, mock: nil)
    }
}
