import Foundation
import ProviderAPI

/// The states a plan reads, with the plan cache's part: which tenants it skips.
struct PlanStates: Sendable {
    var states: [String: TenantState]
    var platform: PlatformState
    var coverage: ShardCoverage?
    /// The cache's view of this plan (nil: no cache, or a store without stamps).
    var skipping: PlanSkipping?
    /// Tenants not planned: their cached empty plan holds (their documents were not read,
    /// unless a refresh needed them).
    var skipped: Set<String> = []
    /// For a refresh, the resources of the tenants whose documents are the ones their cached
    /// plan read (the skipped ones among them), read without the rest of their documents.
    var recorded: [String: [RecordedResource]] = [:]
}

/// The tenants a plan covers: what both ways of reading its states (`statesForPlan`) start from.
struct PlanScope: Sendable {
    /// Every tenant of the part planned (the whole fleet without a shard): tenant files and
    /// tenants with state.
    var ids: Set<String>
    /// How many tenants the part and the whole fleet hold (nil without a shard).
    var coverage: ShardCoverage?
    /// The tenant files planned for provisioning: of the part, not being destroyed, and among
    /// the tenants asked for (when some were). Only they can be skipped.
    var candidates: [TenantSpec]
}

extension Workspace {
    /// The tenants `options` plans, from the store's listing and the tenant files.
    func planScope(_ options: PlanOptions) async throws -> PlanScope {
        let all = Set(try await store.listTenants()).union(fleet.tenants.map(\.id))
        let ids = options.shard.map { s in all.filter { s.contains($0) } } ?? all
        let coverage = options.shard.map { ShardCoverage(shard: $0, tenants: ids.count, fleetTenants: all.count) }
        let candidates = fleet.tenants.filter { t in
            ids.contains(t.id) && !options.destroy.contains(t.id) && (options.tenants?.contains(t.id) ?? true)
        }
        return PlanScope(ids: ids, coverage: coverage, candidates: candidates)
    }

    /// Reads what a plan needs. With a plan cache (and no account quota to count, `readAll`),
    /// the stamps of the documents are taken first, and the documents of tenants whose cached
    /// plan holds are not read (a refresh reads their resources: it needs what state records).
    func statesForPlan(_ options: PlanOptions, readAll: Bool, refresh: Bool) async throws -> PlanStates {
        if let keys = planKeys, !readAll, store.readsAppliedKeys { return try await statesForPlan(options, keys: keys, refresh: refresh) }
        guard let settings = planCache, !readAll else {
            let loaded = try await loadStates(shard: options.shard, readAll: readAll)
            return PlanStates(states: loaded.tenants, platform: loaded.platform, coverage: loaded.coverage)
        }
        let scope = try await planScope(options)
        let (ids, coverage, candidates) = (scope.ids, scope.coverage, scope.candidates)
        // Stamps before documents: a document written after its stamp was taken has another.
        guard let skipping = try await PlanSkipping.start(settings, fleet: fleet, schemas: providers.schemas, store: store, ids: ids.sorted()) else {
            return PlanStates(states: try await store.loadTenants(ids.sorted()), platform: try await store.loadPlatform(), coverage: coverage)
        }
        guard refresh else {
            let platform = try await store.loadPlatform()
            let skipped = skipping.skippable(candidates, fleet: fleet, platform: platform)
            let states = try await store.loadTenants(ids.subtracting(skipped).sorted())
            return PlanStates(states: states, platform: platform, coverage: coverage, skipping: skipping, skipped: skipped)
        }
        // A refresh reads every tenant's resources, while the platform document is read and the
        // cache consulted. A tenant whose document is the one its cached plan read will most
        // likely be skipped, and then needs only its resources; the others are read whole.
        let same = skipping.sameDocuments(candidates)
        async let read = store.loadForRefresh(whole: ids.subtracting(same).sorted(), resources: same.sorted())
        let platform = try await store.loadPlatform()
        let skipped = skipping.skippable(candidates, fleet: fleet, platform: platform)
        let documents = try await read
        var states = documents.states
        // Not skipped after all (the platform or the tenant's spec changed): planned, so read whole.
        let planned = same.subtracting(skipped)
        if !planned.isEmpty { states.merge(try await store.loadTenants(planned.sorted())) { a, _ in a } }
        return PlanStates(states: states, platform: platform, coverage: coverage, skipping: skipping, skipped: skipped, recorded: documents.recorded)
    }

    /// `statesForPlan` with the keys apply recorded in the documents (`AppliedKey`): a tenant
    /// the plan cache (when there is one) does not skip is skipped when its document records
    /// the key of its inputs as they are now. Stamps (for the cache) first, then the platform
    /// document (the keys hold its allocations), then the keys, then the other documents.
    func statesForPlan(_ options: PlanOptions, keys: PlanKeySettings, refresh: Bool) async throws -> PlanStates {
        let scope = try await planScope(options)
        let (ids, coverage, candidates) = (scope.ids, scope.coverage, scope.candidates)
        var skipping: PlanSkipping?
        if let settings = planCache {
            skipping = try await PlanSkipping.start(settings, fleet: fleet, schemas: providers.schemas, store: store, ids: ids.sorted())
        }
        let platform = try await store.loadPlatform()
        var skipped = skipping?.skippable(candidates, fleet: fleet, platform: platform) ?? []
        let fleetKey = keys.fleetKey(fleet, schemas: providers.schemas)
        let rest = candidates.filter { !skipped.contains($0.id) }
        let wanted = ParallelMap.map(rest) { t in PlanSkipping.tenantKey(fleetKey, t, fleet: fleet, platform: platform) }
        skipped.formUnion(try await store.documentsApplied(from: Dictionary(uniqueKeysWithValues: zip(rest.map(\.id), wanted))))
        guard refresh else {
            let states = try await store.loadTenants(ids.subtracting(skipped).sorted())
            return PlanStates(states: states, platform: platform, coverage: coverage, skipping: skipping, skipped: skipped)
        }
        // A refresh reads the skipped tenants' resources (it needs what state records).
        let documents = try await store.loadForRefresh(whole: ids.subtracting(skipped).sorted(), resources: skipped.sorted())
        return PlanStates(
            states: documents.states, platform: platform, coverage: coverage, skipping: skipping, skipped: skipped, recorded: documents.recorded)
    }
}
