import Foundation
import ProviderAPI

/// Hears what a plan's refresh read and what it cost (the CLI prints calls per API).
public protocol RefreshObserver: Sendable {
    /// The refresh finished (also when it failed).
    func refreshed(_ report: RefreshReport)
}

/// What ``Workspace/plan(_:refresh:listing:observer:)`` made: the plan (none when any error
/// was found) and what it found.
public struct PlanOutcome: Sendable {
    public var plan: Plan?
    public var diagnostics: Diagnostics

    public init(plan: Plan?, diagnostics: Diagnostics) {
        self.plan = plan
        self.diagnostics = diagnostics
    }
}

/// Recorded state as ``Workspace/loadStates(shard:readAll:)`` reads it: the tenants' documents,
/// the platform document and, for a part of the fleet, how many tenants the part and the whole
/// fleet have.
public struct LoadedStates: Sendable {
    public var tenants: [String: TenantState]
    public var platform: PlatformState
    public var coverage: ShardCoverage?

    public init(tenants: [String: TenantState], platform: PlatformState, coverage: ShardCoverage? = nil) {
        self.tenants = tenants
        self.platform = platform
        self.coverage = coverage
    }
}

/// A fleet with its state store and providers: the engine's two verbs, `plan` and `apply`,
/// in one place for the CLI and for tests.
public struct Workspace: Sendable {
    public let fleet: Fleet
    public let store: any StateStore
    public let providers: ProviderRegistry
    /// The local plan cache `plan` uses to skip tenants whose last plan had no changes and
    /// whose inputs and state are the same (nil: every tenant is planned).
    public var planCache: PlanCacheSettings?
    /// The keys apply records in tenant documents and plans take as cache entries (`AppliedKey`):
    /// apply records them, and a plan skips a tenant whose document records its key (nil:
    /// neither; `LANDLORD_PLAN_STATE_KEYS=0` in the CLI).
    public var planKeys: PlanKeySettings?

    public init(fleet: Fleet, store: any StateStore, providers: ProviderRegistry) {
        self.fleet = fleet
        self.store = store
        self.providers = providers
    }

    /// Reads recorded state for every tenant of the fleet and every tenant with state.
    public func loadStates() async throws -> LoadedStates {
        try await loadStates(shard: nil)
    }

    /// Reads recorded state for the tenants of `shard` (nil: all): tenant files and tenants with
    /// state whose id falls in it. Only those documents are read, unless `readAll`. Also
    /// returns how many tenants of the part and of the whole fleet there are.
    public func loadStates(shard: Shard?, readAll: Bool = false) async throws -> LoadedStates {
        let all = Set(try await store.listTenants()).union(fleet.tenants.map(\.id))
        let ids = shard.map { s in all.filter { s.contains($0) } } ?? all
        // The platform document is decoded while the tenants' are (a serial tenth of a second
        // at 10,000 tenants when read after them).
        async let platform = store.loadPlatform()
        let states = try await store.loadTenants((readAll ? all : ids).sorted())
        let coverage = shard.map { ShardCoverage(shard: $0, tenants: ids.count, fleetTenants: all.count) }
        return LoadedStates(tenants: states, platform: try await platform, coverage: coverage)
    }

    /// Refreshes (when asked) and plans. Returns no plan when any error was found. The refresh
    /// reads by listing where providers can (`listing`; false: every resource on its own);
    /// `observer` hears what it read and how many provider calls it took.
    public func plan(
        _ options: PlanOptions, refresh: Bool = true, listing: Bool = true, observer: (any RefreshObserver)? = nil
    ) async -> PlanOutcome {
        var diags = Diagnostics()
        var read: PlanStates
        // A quota is account-wide: a part's plan counts every tenant's recorded resources of a
        // type with one, so it reads every document when a blueprint makes such a type.
        let quotaTypes = Set(providers.schemas.filter { !$0.value.quotas.isEmpty }.keys)
        let readAll = fleet.blueprints.values.contains { bp in bp.resources.contains { quotaTypes.contains($0.type) } }
        // The providers get ready to read while state is read.
        let preparing = refresh ? Task { [providers] in await providers.prepareToRead() } : nil
        do { read = try await statesForPlan(options, readAll: readAll, refresh: refresh) } catch {
            diags.append(.error(error.text))
            return PlanOutcome(plan: nil, diagnostics: diags)
        }
        await preparing?.value
        var states = read.states
        read.states = [:]
        let (platform, coverage) = (read.platform, read.coverage)
        var skipped = read.skipped
        var refreshed: [String: ResourceObject?] = [:]
        if refresh {
            let scope = options.tenants.map { $0.union(options.destroy) } ?? (options.destroy.isEmpty ? nil : options.destroy)
            let mine = options.shard.map { s in states.filter { s.contains($0.key) } } ?? states
            let result = await Refresher.refresh(mine, recorded: read.recorded, tenants: scope, providers: providers, listing: listing)
            // Freeing ten thousand tenants' resources takes a while; the plan need not wait for it.
            releaseInBackground(read.recorded)
            read.recorded = [:]
            observer?.refreshed(result.report)
            diags.append(contentsOf: result.diagnostics)
            if result.diagnostics.hasErrors { return PlanOutcome(plan: nil, diagnostics: diags) }
            refreshed = result.refreshed
            // A skipped tenant's cached plan holds only when the providers report what state
            // records: any drift and it is planned, from its document read whole.
            let drifted = skipped.intersection(result.driftedTenants)
            skipped.subtract(drifted)
            if !drifted.isEmpty {
                do { states.merge(try await store.loadTenants(drifted.sorted())) { a, _ in a } } catch {
                    diags.append(.error(error.text))
                    return PlanOutcome(plan: nil, diagnostics: diags)
                }
            }
        }
        // Numbers on the pools' members held by resources Landlord does not own (read only
        // when some tenant needs new ones, from the provider of each type numbered per member).
        var foreign: [String: Set<Int>] = [:]
        let schemas = providers.schemas
        let rules = AllocationRules(schemas)
        let pools = fleet.platform.pools
        for (type, tr) in rules.types.sorted(by: { $0.key < $1.key }) {
            guard let n = tr.number, let placement = tr.placement, placement.attribute == n.scopedBy,
                let members = pools[placement.pool.name]?.map(\.id), !members.isEmpty
            else { continue }
            let allocating = fleet.tenants.contains { t in
                (options.tenants?.contains(t.id) ?? true) && options.inShard(t.id) && platform.allocations[t.id] == nil
                    && fleet.blueprints[t.blueprint]?.resources.contains { $0.type == type } == true
            }
            guard allocating, let reader = providers.provider(for: type) as? any CapacityReadingProvider else { continue }
            let inUse = await reader.numbersInUse(members: members, platform: fleet.platform.name)
            let d = inUse.diagnostics
            for p in d {
                diags.append(
                    Diagnostic(
                        p.severity, "could not read the \(n.attribute) values in use on the \(placement.pool.name): \(p.summary)",
                        detail: p.detail.isEmpty ? "check access to the \(placement.pool.name), then plan again" : p.detail))
            }
            if d.hasErrors { return PlanOutcome(plan: nil, diagnostics: diags) }
            foreign.merge(inUse.numbers) { $0.union($1) }
        }
        // Resources of types with an account-wide quota, listed where a blueprint makes them
        // and the provider can list them (those not in state were made outside Landlord).
        var existing: [String: Set<String>] = [:]
        for (type, schema) in schemas.sorted(by: { $0.key < $1.key }) where !schema.quotas.isEmpty {
            guard fleet.blueprints.values.contains(where: { bp in bp.resources.contains { $0.type == type } }),
                let reader = providers.provider(for: type) as? any QuotaReadingProvider
            else { continue }
            let found = await reader.existingResources(type: type)
            if found.diagnostics.contains(where: { $0.severity == .error }) {
                // The count is a courtesy: Landlord's own resources are still counted, and the
                // provider refuses what the account cannot hold at apply.
                let why = found.diagnostics.first { $0.severity == .error }
                diags.append(
                    .warning(
                        "could not list the \(type) resources the account holds: \(why?.summary ?? "")",
                        detail: "the quota check counts only those in Landlord's state; \(why?.detail ?? "check the credentials' access")"))
                continue
            }
            existing[type] = found.ids
        }
        var input = PlanInput(
            fleet: fleet, states: states, platformState: platform, schemas: schemas, refreshed: refreshed, foreignPriorities: foreign,
            existing: existing)
        input.skipped = skipped
        states = [:]
        let outcome = Planner.outcome(input, options: options)
        // Freeing every tenant's state (a serial tenth of a second at 10,000 tenants) need not
        // hold up the plan either.
        releaseInBackground(input.states)
        input.states = [:]
        var plan = outcome.plan
        plan.shard = coverage
        // Tenants a rollout failed or rolled back stay as they are until their spec changes.
        if let rollouts = RolloutStore(store), options.destroy.isEmpty {
            do { HeldTenants.filter(&plan, held: try await rollouts.held(), fleet: fleet) } catch { diags.append(.error(error.text)) }
        }
        diags.append(contentsOf: outcome.diagnostics)
        if let skipping = read.skipping, !diags.hasErrors {
            skipping.save(skipping.updated(clean: outcome.clean, planned: outcome.planned, fleet: fleet, platform: platform))
        }
        return PlanOutcome(plan: diags.hasErrors ? nil : plan, diagnostics: diags)
    }

    /// Applies a plan.
    public func apply(_ plan: Plan, options: ApplyOptions, observer: any ApplyObserver = SilentObserver()) async -> ApplyResult {
        // Only stores whose plans read the keys get them (and only then is the program digested).
        let recorder = store.readsAppliedKeys ? planKeys.map { AppliedKeyRecorder($0, fleet: fleet, schemas: providers.schemas) } : nil
        return await Applier.apply(
            plan, providers: providers, store: store, options: options, observer: observer, pools: fleet.platform.pools, recorder: recorder)
    }
}
