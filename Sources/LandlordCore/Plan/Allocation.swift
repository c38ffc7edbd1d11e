import ProviderAPI

/// Shared-capacity allocation: which listener of the pool a tenant sits on, and which rule
/// priorities it holds. Priorities are unique per listener (1 to 50,000); a load balancer holds
/// a limited number of rules and target groups.
public enum Allocation {
    /// Attributes that accept `auto` for a type.
    static func autoAttributes(type: String) -> [String] {
        type == AWSResourceTypes.listenerRule ? ["listener", "priority"] : []
    }

    /// The full range AWS accepts for a rule priority.
    public static let priorityRange = 1...50_000

    /// Reads `priority: auto` or `priority: {auto: true, band: [lo, hi]}`; nil when it is a number.
    static func autoBand(_ v: Value?) -> ClosedRange<Int>?? {
        switch v {
        case .string("auto"): return .some(nil)
        case .map(let m) where m["auto"]?.boolValue == true:
            if let b = m["band"]?.listValue, b.count == 2, let lo = b[0].intValue, let hi = b[1].intValue, lo <= hi { return .some(lo...hi) }
            return .some(nil)
        default: return .none
        }
    }

    /// What a blueprint's tenant takes from a load balancer.
    struct Needs {
        var rules = 0
        var targetGroups = 0
    }

    static func needs(_ bp: Blueprint) -> Needs {
        var n = Needs()
        for r in bp.resources {
            if r.type == AWSResourceTypes.listenerRule { n.rules += 1 }
            if r.type == AWSResourceTypes.targetGroup { n.targetGroups += 1 }
        }
        return n
    }
}

/// Plans placements and priorities against the platform state, remembering what earlier
/// tenants of the same run took. Lookups are by dictionary; finding a free priority walks
/// forward from a per-listener cursor, so allocating for N tenants is linear.
struct Allocator {
    let pool: [ListenerSpec]
    let poolIndex: [String: Int]
    var allocations: [String: TenantAllocation]
    /// Priorities taken per listener (by any tenant, or by rules Landlord does not own).
    var taken: [String: Set<Int>] = [:]
    var rules: [String: Int] = [:]
    var targetGroups: [String: Int] = [:]
    var cursor: [String: Int] = [:]

    init(pool: [ListenerSpec], state: PlatformState, foreign: [String: Set<Int>] = [:]) {
        self.pool = pool
        var idx: [String: Int] = [:]
        for (i, l) in pool.enumerated() { idx[l.arn] = i }
        poolIndex = idx
        allocations = state.allocations
        taken = foreign
        for (_, a) in state.allocations {
            taken[a.listener, default: []].formUnion(a.priorities.values)
            rules[a.listener, default: 0] += a.rules
            targetGroups[a.listener, default: 0] += a.targetGroups
        }
    }

    /// The listener for a tenant: the one it already sits on, else the first with room for all
    /// its rules and target groups.
    mutating func place(tenant: String, needs: Allocation.Needs) -> ListenerSpec? {
        if let a = allocations[tenant], let i = poolIndex[a.listener] { return pool[i] }
        for l in pool {
            let r = rules[l.arn, default: 0]
            let t = targetGroups[l.arn, default: 0]
            if r + needs.rules <= l.maxRules && t + needs.targetGroups <= l.maxTargetGroups {
                allocations[tenant] = TenantAllocation(listener: l.arn, rules: needs.rules, targetGroups: needs.targetGroups)
                rules[l.arn] = r + needs.rules
                targetGroups[l.arn] = t + needs.targetGroups
                return l
            }
        }
        return nil
    }

    /// How many more tenants needing `needs` the pool has room for.
    func remainingCapacity(for needs: Allocation.Needs) -> Int {
        pool.reduce(0) { sum, l in
            let r = needs.rules > 0 ? (l.maxRules - rules[l.arn, default: 0]) / needs.rules : Int.max
            let t = needs.targetGroups > 0 ? (l.maxTargetGroups - targetGroups[l.arn, default: 0]) / needs.targetGroups : Int.max
            return sum + max(0, min(r, t))
        }
    }

    /// A priority for `resource` of `tenant` on `listener`: the one it holds, else `preferred`
    /// when free, else the lowest free one in `band`.
    mutating func priority(tenant: String, resource: String, listener: String, band: ClosedRange<Int>?, preferred: Int? = nil) -> Int? {
        if let held = allocations[tenant]?.priorities[resource], allocations[tenant]?.listener == listener { return held }
        let range = band ?? Allocation.priorityRange
        var chosen: Int?
        if let p = preferred, range.contains(p), !taken[listener, default: []].contains(p) {
            chosen = p
        } else {
            let key = listener + "#\(range.lowerBound)"
            var p = max(cursor[key] ?? range.lowerBound, range.lowerBound)
            let used = taken[listener, default: []]
            while p <= range.upperBound && used.contains(p) { p += 1 }
            guard p <= range.upperBound else { return nil }
            cursor[key] = p + 1
            chosen = p
        }
        guard let c = chosen else { return nil }
        taken[listener, default: []].insert(c)
        if allocations[tenant] == nil { allocations[tenant] = TenantAllocation(listener: listener) }
        allocations[tenant]!.priorities[resource] = c
        if let band { allocations[tenant]!.bands[resource] = band }
        return c
    }

    /// Apply's half: commits a planned allocation against the platform state as it is now.
    /// A planned priority still free is kept; one a concurrent apply (another tenant) took
    /// since planning is replaced by the lowest free one in the rule's band, skipping foreign
    /// priorities, exactly as planning would choose. Returns the priorities by resource, or
    /// the name of a rule whose band has no free priority left.
    mutating func commit(tenant: String, planned: TenantAllocation) -> Result<[String: Int], CommitFailure> {
        let listener = planned.listener
        var holders: [Int: String] = [:]
        for (t, a) in allocations where t != tenant && a.listener == listener {
            for p in a.priorities.values { holders[p] = t }
        }
        var mine = allocations[tenant] ?? TenantAllocation(listener: listener)
        mine.listener = listener
        mine.priorities = mine.priorities.filter { planned.priorities[$0.key] == nil }
        allocations[tenant] = mine
        var out: [String: Int] = [:]
        var conflicts: [String] = []
        // Planned priorities that are still free are claimed first, so a re-allocation below
        // never takes one another rule of this tenant planned.
        for (name, p) in planned.priorities.sorted(by: { $0.key < $1.key }) {
            if holders[p] == nil {
                taken[listener, default: []].insert(p)
                allocations[tenant]!.priorities[name] = p
                out[name] = p
            } else {
                conflicts.append(name)
            }
        }
        for name in conflicts {
            guard let p = priority(tenant: tenant, resource: name, listener: listener, band: planned.bands[name]) else {
                return .failure(CommitFailure(resource: name, band: planned.bands[name] ?? Allocation.priorityRange))
            }
            out[name] = p
        }
        return .success(out)
    }

    /// A rule whose band was full when apply had to re-allocate its priority.
    struct CommitFailure: Error {
        var resource: String
        var band: ClosedRange<Int>
    }
}
