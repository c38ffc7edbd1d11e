import Foundation
import ProviderAPI

/// A fleet with its state store and providers: the engine's two verbs, `plan` and `apply`,
/// in one place for the CLI and for tests.
public struct Workspace: Sendable {
    public let fleet: Fleet
    public let store: any StateStore
    public let providers: ProviderRegistry

    public init(fleet: Fleet, store: any StateStore, providers: ProviderRegistry) {
        self.fleet = fleet
        self.store = store
        self.providers = providers
    }

    /// Reads recorded state for every tenant of the fleet and every tenant with state.
    public func loadStates() async throws -> (tenants: [String: TenantState], platform: PlatformState) {
        let ids = Set(try await store.listTenants()).union(fleet.tenants.map(\.id))
        let states = try await store.loadTenants(ids.sorted())
        return (states, try await store.loadPlatform())
    }

    /// Refreshes (when asked) and plans. Returns no plan when any error was found.
    public func plan(_ options: PlanOptions, refresh: Bool = true) async -> (Plan?, Diagnostics) {
        var diags = Diagnostics()
        let states: [String: TenantState]
        let platform: PlatformState
        do { (states, platform) = try await loadStates() } catch {
            diags.append(.error(error.text))
            return (nil, diags)
        }
        var refreshed: [String: ResourceObject?] = [:]
        if refresh {
            let scope = options.tenants.map { $0.union(options.destroy) } ?? (options.destroy.isEmpty ? nil : options.destroy)
            let (r, d) = await Refresher.refresh(states, tenants: scope, providers: providers)
            diags.append(contentsOf: d)
            if d.hasErrors { return (nil, diags) }
            refreshed = r
        }
        // Rules on the pool's listeners that Landlord does not own keep their priorities (read
        // only when some tenant needs new priorities).
        var foreign: [String: Set<Int>] = [:]
        let listeners = fleet.platform.listeners.map(\.arn)
        let allocating = fleet.tenants.contains { t in
            (options.tenants?.contains(t.id) ?? true) && platform.allocations[t.id] == nil
                && fleet.blueprints[t.blueprint]?.resources.contains { $0.type == AWSResourceTypes.listenerRule } == true
        }
        if allocating, !listeners.isEmpty, let reader = providers.provider(for: AWSResourceTypes.listenerRule) as? any CapacityReadingProvider {
            let (held, d) = await reader.occupiedPriorities(listeners: listeners, platform: fleet.platform.name)
            for p in d {
                diags.append(
                    Diagnostic(
                        p.severity, "could not read the listeners' rules: \(p.summary)",
                        detail: p.detail.isEmpty ? "check access to the load balancers, then plan again" : p.detail))
            }
            if d.hasErrors { return (nil, diags) }
            foreign = held
        }
        let input = PlanInput(
            fleet: fleet, states: states, platformState: platform, schemas: providers.schemas, refreshed: refreshed, foreignPriorities: foreign)
        let (plan, d) = Planner.plan(input, options: options)
        diags.append(contentsOf: d)
        return (diags.hasErrors ? nil : plan, diags)
    }

    /// Applies a plan.
    public func apply(_ plan: Plan, options: ApplyOptions, observer: any ApplyObserver = SilentObserver()) async -> ApplyResult {
        await Applier.apply(plan, providers: providers, store: store, options: options, observer: observer)
    }
}
