import AWSProvider
import Foundation
import LandlordCore
import LandlordLocalState
import LandlordS3State
import MockProvider
import PostgresProvider
import ProviderAPI
import StripeProvider

/// A service's fleet, state store and providers, built from a fleet directory the way the CLI
/// builds them (Sources/landlord/Context.swift): the same providers, the same state backends,
/// the same locks, so a CLI apply and the service never apply one tenant at once.
public struct ServiceRuntime: Sendable {
    public let root: URL
    public let fleet: Fleet
    public let store: any StateStore
    public let registry: ProviderRegistry
    /// The simulated cloud, when the fleet uses it (its journal is compacted now and then).
    public let mock: MockProvider?

    /// What went wrong loading the fleet: the diagnostics and one line saying what to do.
    public struct LoadError: Error, CustomStringConvertible {
        public var diagnostics: Diagnostics
        public var message: String
        public var description: String {
            (diagnostics.items.map(\.description) + [message]).joined(separator: "\n")
        }
    }

    /// Every resource type the providers the service can register serve.
    public static var schemas: [String: ResourceSchema] { FleetWiring.schemas }

    /// Loads the fleet under `root` and wires its state store and providers; `environment`
    /// is where `${env.NAME}`, the state key and the mock's settings are read.
    public static func load(root: URL, environment: [String: String] = ProcessInfo.processInfo.environment) throws(LoadError) -> ServiceRuntime {
        let (loaded, diags) = SpecLoader(schemas: schemas, environment: environment).load(directory: root)
        guard let fleet = loaded, !diags.hasErrors else {
            throw LoadError(
                diagnostics: diags, message: "fix the \(diags.errors.count) error(s) above (`landlord validate`) and start the service again")
        }
        if let plugin = fleet.platform.plugins.values.sorted(by: { $0.name < $1.name }).first {
            throw LoadError(
                diagnostics: Diagnostics(),
                message:
                    "\(fleet.platform.file): the service does not start provider plugins yet ('\(plugin.name)'); apply tenants of this fleet with the CLI"
            )
        }
        let cipher: StateCipher?
        do { cipher = try StateCipher.configured(fleet.platform.state, directory: root, environment: environment) } catch {
            throw LoadError(diagnostics: Diagnostics(), message: "\(error)")
        }
        let store: any StateStore
        do { store = try FleetWiring.store(fleet, root: root, environment: environment, cipher: cipher) } catch {
            throw LoadError(diagnostics: Diagnostics(), message: "\(fleet.platform.file): \(error)")
        }
        let providers = FleetWiring.providers(fleet, root: root, environment: environment, forceMock: false)
        return ServiceRuntime(root: root, fleet: fleet, store: store, registry: providers.registry, mock: providers.mock)
    }
}
