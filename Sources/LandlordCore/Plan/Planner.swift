import Foundation
import ProviderAPI

/// What to plan.
public struct PlanOptions: Sendable {
    /// Only these tenants (nil: every tenant of the fleet and every tenant with state).
    public var tenants: Set<String>?
    /// Tenants whose resources are all deleted (`landlord destroy`); their files stay.
    public var destroy: Set<String>
    /// Let deletes and replacements of `protect: true` resources through.
    public var allowProtectedDeletes: Bool
    public var toolVersion: String
    /// Only the tenants of this part of the fleet (`--shard K/N`), within `tenants` and
    /// `destroy`; nil: every part.
    public var shard: Shard?

    public init(
        tenants: Set<String>? = nil, destroy: Set<String> = [], allowProtectedDeletes: Bool = false, toolVersion: String = LandlordVersion.current,
        shard: Shard? = nil
    ) {
        self.tenants = tenants
        self.destroy = destroy
        self.allowProtectedDeletes = allowProtectedDeletes
        self.toolVersion = toolVersion
        self.shard = shard
    }

    /// True when `tenant` is in this plan's part of the fleet (always, unsharded).
    func inShard(_ tenant: String) -> Bool { shard?.contains(tenant) ?? true }
}

/// The version of this build, the one place it is set: written into plan files (`tool_version`)
/// and printed by `landlord --version` with the commit (Sources/landlord/BuildInfo.swift).
public enum LandlordVersion {
    public static let current = "0.1.0"
}

/// Everything `plan` diffs: the specs, the recorded state, and (optionally) what the providers
/// report now.
public struct PlanInput: Sendable {
    public var fleet: Fleet
    public var states: [String: TenantState]
    public var platformState: PlatformState
    public var schemas: [String: ResourceSchema]
    /// Refreshed resources by address: present with nil when the resource is gone. Addresses
    /// missing from the map were not refreshed.
    public var refreshed: [String: ResourceObject?]
    /// Rule priorities on pool listeners held by rules Landlord does not own.
    public var foreignPriorities: [String: Set<Int>]
    /// Per type with an account-wide quota, the ids of every resource of it the account holds,
    /// where the provider could list them; those not in state were made outside Landlord.
    public var existing: [String: Set<String>]
    /// Tenants known to plan no changes (the plan cache found their inputs and state document
    /// the same as when they last planned none): counted as unchanged, not planned, their
    /// state need not be in `states`. Their allocations are read from `platformState`.
    public var skipped: Set<String> = []

    public init(
        fleet: Fleet, states: [String: TenantState], platformState: PlatformState, schemas: [String: ResourceSchema],
        refreshed: [String: ResourceObject?] = [:], foreignPriorities: [String: Set<Int>] = [:], existing: [String: Set<String>] = [:]
    ) {
        self.existing = existing
        self.fleet = fleet
        self.states = states
        self.platformState = platformState
        self.schemas = schemas
        self.refreshed = refreshed
        self.foreignPriorities = foreignPriorities
    }
}

/// Diffs desired resources against state. Tenants are planned independently and in parallel;
/// only the shared-capacity allocation runs as one sequential (linear) pass.
public enum Planner {
    /// Which tenants a plan covers and why.
    struct Scope {
        var provision: [TenantSpec] = []
        /// Tenants of `PlanInput.skipped` within the plan's scope.
        var skipped = 0
        var remove: [String] = []
        var destroy: [String] = []
        /// `approval: pending` tenants: listed in the plan, never provisioned.
        var awaiting: [String] = []
    }

    public static func plan(_ input: PlanInput, options: PlanOptions) -> (Plan, Diagnostics) {
        let o = outcome(input, options: options)
        return (o.plan, o.diagnostics)
    }

    /// A plan, its diagnostics, and the tenants it planned whose plan the cache may remember.
    struct Outcome {
        var plan: Plan
        var diagnostics: Diagnostics
        /// Tenants planned for provisioning with no changes, no diagnostics, and nothing
        /// allocated by this plan (their allocation is the platform document's as it is): the
        /// same inputs and state give them the same empty plan again.
        var clean: Set<String>
        /// Every tenant planned for provisioning (clean or not).
        var planned: Set<String>
    }

    static func outcome(_ input: PlanInput, options: PlanOptions) -> Outcome {
        var diags = Diagnostics()
        let fleet = input.fleet
        let scope = scope(input, options, &diags)

        // Shared capacity, sequential and linear.
        let rules = AllocationRules(input.schemas)
        let pools = fleet.platform.pools
        let members = TenantPlanner.index(pools)
        var allocator = Allocator(
            pools: pools, capacities: rules.capacities.mapValues { $0.map(\.name) }, state: input.platformState, foreign: input.foreignPriorities)
        allocator.shard = options.shard
        var placements: [String: TenantAllocation] = [:]
        var full: [String: (pool: PoolDeclaration, needs: [String: Int], tenants: [String])] = [:]
        // Tenants without an allocation are not planned further: every error their expansion
        // would give (an attribute still `auto`) is caused by the one allocation error.
        var unallocated = Set<String>()
        for t in scope.provision {
            guard let whole = fleet.blueprints[t.blueprint] else { continue }
            // Tiers: a tenant needs capacity for the resources it has (diagnostics come from
            // its expansion).
            let bp = TierSelection(whole, for: t, platform: fleet.platform).blueprint
            switch allocate(t, bp, input.states[t.id], fleet.platform, rules, &allocator) {
            case .success(let a): if let a { placements[t.id] = a }
            case .failure(.poolFull(let pool)):
                full[t.blueprint, default: (pool, rules.needs(bp, pool: pool.name), [])].tenants.append(t.id)
                unallocated.insert(t.id)
            case .failure(.other(let d)):
                diags.append(d)
                unallocated.insert(t.id)
            }
        }
        for (bpName, f) in full.sorted(by: { $0.key < $1.key }) {
            let fits = allocator.remainingCapacity(pool: f.pool.name, for: f.needs)
            let listed = f.tenants.prefix(5).joined(separator: ", ") + (f.tenants.count > 5 ? ", ..." : "")
            let member = f.pool.member
            diags.append(
                .error(
                    "\(member) pool is full: \(f.tenants.count) tenant(s) of blueprint '\(bpName)' do not fit (\(listed))",
                    detail:
                        """
                        each needs \(rules.describe(f.needs, pool: f.pool.name)) on one \(member); the pool of \
                        \(pools[f.pool.name]?.count ?? 0) \(member)(s) has room for \(fits) more. Add a \(member) to \
                        inputs.\(f.pool.name) in \
                        \(fleet.platform.file)\(f.pool.whenFull.isEmpty ? "." : ", or " + f.pool.whenFull)
                        """,
                    at: f.tenants.first.flatMap { fleet.tenant($0)?.location }))
        }

        // Per tenant, in parallel.
        struct Job: Sendable {
            var spec: TenantSpec?
            var id: String
            var op: TenantOperation
        }
        var jobs = scope.provision.filter { !unallocated.contains($0.id) }.map { Job(spec: $0, id: $0.id, op: .provision) }
        jobs += scope.remove.map { Job(spec: nil, id: $0, op: .remove) }
        jobs += scope.destroy.map { Job(spec: nil, id: $0, op: .destroy) }
        let placed = placements
        let computedByType = input.schemas.mapValues(TenantPlanner.computedAttributes)
        let allocationRules = rules
        let results = ParallelMap.map(jobs) { job -> (TenantPlan, Diagnostics) in
            let state = input.states[job.id]
            if let spec = job.spec, let bp = fleet.blueprints[spec.blueprint] {
                return TenantPlanner(input: input, computedByType: computedByType, rules: allocationRules, members: members, options: options)
                    .provision(
                        spec, bp, state: state, allocation: placed[spec.id])
            }
            return TenantPlanner(input: input, computedByType: computedByType, rules: allocationRules, members: members, options: options).teardown(
                job.id, state: state, operation: job.op)
        }
        var tenants: [TenantPlan] = []
        var unchanged = scope.skipped
        var clean = Set<String>()
        var planned = Set<String>()
        for (job, (tp, d)) in zip(jobs, results) {
            diags.append(contentsOf: d)
            if tp.hasChanges { tenants.append(tp) } else { unchanged += 1 }
            guard job.op == .provision else { continue }
            planned.insert(job.id)
            if !tp.hasChanges && d.isEmpty && tp.sequences.isEmpty && tp.allocation == input.platformState.allocations[job.id] {
                clean.insert(job.id)
            }
        }
        tenants.sort { $0.tenant < $1.tenant }
        var plan = Plan(toolVersion: options.toolVersion, platform: fleet.platform.name, tenants: tenants, unchangedTenants: unchanged)
        plan.awaitingApproval = scope.awaiting
        diags.append(contentsOf: QuotaCheck.check(plan, states: input.states, fleet: fleet, schemas: input.schemas, existing: input.existing))
        diags.append(contentsOf: UniqueKeyCheck.check(plan, states: input.states, schemas: input.schemas))
        // Foreign priorities of the listeners this plan allocates on, for apply's re-allocation.
        for l in Set(tenants.compactMap { $0.allocation?.member }) {
            if let f = input.foreignPriorities[l], !f.isEmpty { plan.foreignPriorities[l] = f }
        }
        return Outcome(plan: plan, diagnostics: diags, clean: clean, planned: planned)
    }

    static func scope(_ input: PlanInput, _ options: PlanOptions, _ diags: inout Diagnostics) -> Scope {
        var s = Scope()
        let wanted = options.tenants
        // A tenant of another part is that part's job, including telling that it is unknown
        // (each id falls in exactly one part, so a typo is still reported once).
        if let wanted {
            for id in wanted.sorted()
            where options.inShard(id) && input.fleet.tenant(id) == nil && input.states[id] == nil && !options.destroy.contains(id) {
                diags.append(
                    .error(
                        "unknown tenant '\(id)'\(Suggest.didYouMean(id, in: input.fleet.tenants.map(\.id)))",
                        detail: "no tenants/\(id).yaml and no state for it; check the id with `landlord status`"))
            }
        }
        if let shard = options.shard {
            let others = (wanted ?? []).union(options.destroy).filter { !shard.contains($0) }.sorted()
            if !others.isEmpty {
                let listed = others.prefix(5).map { "'\($0)' (\(Shard.part(of: $0, count: shard.count))/\(shard.count))" }.joined(separator: ", ")
                diags.append(
                    .warning(
                        """
                        \(others.count) named tenant\(others.count == 1 ? " is" : "s are") in other parts than \(shard): \
                        \(listed)\(others.count > 5 ? ", ..." : "")
                        """,
                        detail: "left to the jobs of those parts; drop --shard to act on them here"))
            }
        }
        for t in input.fleet.tenants {
            if options.destroy.contains(t.id) || !options.inShard(t.id) { continue }
            if let wanted, !wanted.contains(t.id) { continue }
            // Awaiting approval: its recorded resources (if any) are left as they are.
            if t.approvalPending {
                s.awaiting.append(t.id)
                continue
            }
            if input.skipped.contains(t.id) {
                s.skipped += 1
                continue
            }
            if input.states[t.id]?.status == .destroyed && wanted?.contains(t.id) != true {
                diags.append(
                    .warning(
                        "tenant '\(t.id)' was destroyed with `landlord destroy` and is left alone",
                        detail: "delete \(t.file) to forget it, or plan/apply with --tenant \(t.id) to provision it again"))
                continue
            }
            s.provision.append(t)
        }
        for (id, st) in input.states where input.fleet.tenant(id) == nil && !options.destroy.contains(id) && options.inShard(id) {
            if let wanted, !wanted.contains(id) { continue }
            if st.resources.isEmpty && st.pending.isEmpty { continue }
            s.remove.append(id)
        }
        for id in options.destroy.sorted() where options.inShard(id) {
            if input.states[id] == nil && input.fleet.tenant(id) == nil {
                // Most likely a typo: a destroy that silently does nothing would pass in CI.
                let known = Set(input.fleet.tenants.map(\.id)).union(input.states.keys)
                diags.append(
                    .error(
                        "unknown tenant '\(id)'\(Suggest.didYouMean(id, in: known.sorted()))",
                        detail: "no tenants/\(id).yaml and no state for it, so nothing was destroyed; check the id with `landlord status`"))
                continue
            }
            if input.states[id] == nil || input.states[id]!.resources.isEmpty {
                diags.append(
                    .warning(
                        "tenant '\(id)' has no resources to destroy",
                        detail: "it was never applied, or is already destroyed (`landlord status` shows which)"))
                if input.states[id] == nil { continue }
            }
            s.destroy.append(id)
        }
        s.remove.sort()
        return s
    }

    /// Why a tenant got no allocation.
    enum AllocationFailure: Error {
        /// No member of the pool has room for it (reported once for all such tenants).
        case poolFull(PoolDeclaration)
        /// Anything else, reported as it is.
        case other(Diagnostic)
    }

    /// Chooses the pool member and numbers for one tenant's resources, as their schemas
    /// declare (AllocationRules).
    static func allocate(
        _ t: TenantSpec, _ bp: Blueprint, _ state: TenantState?, _ platform: PlatformSpec, _ rules: AllocationRules, _ allocator: inout Allocator
    ) -> Result<TenantAllocation?, AllocationFailure> {
        let allocating = bp.resources.compactMap { r in rules.types[r.type].map { (r, $0) } }
        guard !allocating.isEmpty else { return .success(nil) }
        func isAuto(_ r: ResourceTemplate, _ attr: String?) -> Bool {
            guard let attr, case .literal(.string("auto")) = r.properties[attr] else { return false }
            return true
        }
        var anyAuto = false
        for (r, tr) in allocating {
            if isAuto(r, tr.placement?.attribute) { anyAuto = true }
            if let n = tr.number, case .literal(let v) = r.properties[n.attribute], Allocation.autoBand(v) != nil { anyAuto = true }
        }
        guard anyAuto else { return .success(nil) }
        var placed: (attribute: String, member: String)?
        // A tenant sits on one member of one pool (TenantAllocation has one member).
        let placedPools = Set(allocating.compactMap { r, tr in isAuto(r, tr.placement?.attribute) ? tr.placement?.pool.name : nil })
        if placedPools.count > 1 {
            return .failure(
                .other(
                    .error(
                        "blueprint '\(bp.name)' places a tenant on more than one pool (\(placedPools.sorted().joined(separator: ", ")))",
                        detail: "a tenant sits on one member of one pool; set the others' placement explicitly in \(bp.file)")))
        }
        if let first = allocating.first(where: { isAuto($0.0, $0.1.placement?.attribute) }), let placement = first.1.placement {
            let pool = placement.pool
            let needs = rules.needs(bp, pool: pool.name)
            if let existing = allocating.lazy.compactMap({ r, tr in
                tr.placement.flatMap { state?.resources[r.name]?.inputs[$0.attribute]?.stringValue }
            })
            .first, allocator.allocations[t.id] == nil {
                allocator.allocations[t.id] = TenantAllocation(member: existing, usage: needs)
            }
            if allocator.pools[pool.name]?.isEmpty ?? true {  // built once per plan, not per tenant
                return .failure(
                    .other(
                        .error(
                            "`\(placement.attribute): auto` needs a \(pool.member) pool",
                            detail: "add `\(pool.name): [...]` under inputs in \(platform.file)", at: first.0.location)))
            }
            if let short = allocator.grow(tenant: t.id, pool: pool.name, needs: needs), let member = allocator.allocations[t.id]?.member {
                let limits = allocator.pools[pool.name]?.first { $0.id == member }?.limits ?? [:]
                let what = short.map { "\(needs[$0] ?? 0) \($0) (limit \(limits[$0].map(String.init) ?? "none"))" }.joined(separator: ", ")
                return .failure(
                    .other(
                        .error(
                            "tenant '\(t.id)' now needs \(what) on \(pool.member) \(member), which has no room for the increase",
                            detail:
                                """
                                a placed tenant stays on its \(pool.member); raise its limits in \(platform.file) or make room on \
                                it (e.g. move other tenants), then plan again
                                """,
                            at: t.location)))
            }
            guard let m = allocator.place(tenant: t.id, pool: pool.name, needs: needs) else {
                return .failure(.poolFull(pool))
            }
            placed = (placement.attribute, m.id)
        }
        for (r, tr) in allocating {
            guard let n = tr.number, case .literal(let v) = r.properties[n.attribute], let band = Allocation.autoBand(v) else { continue }
            let scope: String
            if let placed, placed.attribute == n.scopedBy {
                scope = placed.member
            } else if case .literal(.string(let s)) = r.properties[n.scopedBy] {
                scope = s
            } else {
                continue
            }
            let preferred = state?.resources[r.name]?.inputs[n.attribute]?.intValue
            let pool = tr.placement.flatMap { $0.attribute == n.scopedBy ? $0.pool.name : nil }
            guard
                allocator.number(tenant: t.id, resource: r.name, scope: scope, band: band, range: n.range, preferred: preferred, pool: pool) != nil
            else {
                let within = band ?? n.range
                return .failure(
                    .other(
                        .error(
                            """
                            no free \(n.attribute) on \(n.scopedBy) \(scope) in \
                            \(band == nil ? "" : "band ")\(within.lowerBound)-\(within.upperBound)
                            """,
                            detail: "widen the band in \(bp.file) or move tenants to another \(n.scopedBy)", at: r.location)))
            }
        }
        return .success(allocator.allocations[t.id])
    }
}
