import ProviderAPI

/// Shared-capacity allocation as the schemas declare it (ProviderAPI/SharedCapacity.swift):
/// which pool member a tenant is placed on, and which numbers from a per-scope pool its
/// resources hold.
public enum Allocation {
    /// Reads `auto` or `{auto: true, band: [lo, hi]}`; nil when it is a number.
    static func autoBand(_ v: Value?) -> ClosedRange<Int>?? {
        switch v {
        case .string("auto"): return .some(nil)
        case .map(let m) where m["auto"]?.boolValue == true:
            if let b = m["band"]?.listValue, b.count == 2, let lo = b[0].intValue, let hi = b[1].intValue, lo <= hi { return .some(lo...hi) }
            return .some(nil)
        default: return .none
        }
    }
}

/// What the schemas of one fleet's types say the engine allocates, worked out once per plan
/// or apply.
struct AllocationRules: Sendable {
    /// A placed attribute of a type.
    struct Placement: Sendable {
        var attribute: String
        var pool: PoolDeclaration
        var fills: [String: String]
    }

    /// A numbered attribute of a type.
    struct Numbered: Sendable {
        var attribute: String
        var range: ClosedRange<Int>
        var scopedBy: String
    }

    /// Everything allocated for one type.
    struct TypeRules: Sendable {
        var placement: Placement?
        var number: Numbered?
    }

    /// Types with an allocated attribute.
    var types: [String: TypeRules] = [:]
    /// What each type consumes.
    var consumes: [String: [PoolUsage]] = [:]
    /// Each pool's capacities (sorted by name) with their unit: every allocation on the pool
    /// records all of them.
    var capacities: [String: [(name: String, unit: String)]] = [:]

    init(_ schemas: [String: ResourceSchema]) {
        var caps: [String: [String: String]] = [:]
        for (type, s) in schemas {
            var r = TypeRules()
            for a in s.allocation {
                switch a.kind {
                case .placement(let pool, let fills): r.placement = Placement(attribute: a.attribute, pool: pool, fills: fills)
                case .numberFromPool(let range, let scope): r.number = Numbered(attribute: a.attribute, range: range, scopedBy: scope)
                }
            }
            if r.placement != nil || r.number != nil { types[type] = r }
            if !s.consumes.isEmpty { consumes[type] = s.consumes }
            for u in s.consumes { caps[u.pool, default: [:]][u.capacity] = u.unit }
        }
        capacities = caps.mapValues { $0.sorted { $0.key < $1.key }.map { (name: $0.key, unit: $0.value) } }
    }

    /// Attributes that accept `auto` for a type.
    static func autoAttributes(_ schema: ResourceSchema) -> [String] { schema.allocation.map(\.attribute) }

    /// What one tenant of a blueprint takes from a member of `pool`: every capacity of the
    /// pool, zero when unused.
    func needs(_ bp: Blueprint, pool: String) -> [String: Int] {
        var n: [String: Int] = [:]
        for c in capacities[pool] ?? [] { n[c.name] = 0 }
        for r in bp.resources {
            for u in consumes[r.type] ?? [] where u.pool == pool { n[u.capacity, default: 0] += u.amount }
        }
        return n
    }

    /// "2 rule(s) and 1 target group(s)".
    func describe(_ needs: [String: Int], pool: String) -> String {
        let parts = (capacities[pool] ?? []).map { "\(needs[$0.name] ?? 0) \($0.unit)(s)" }
        return parts.count <= 1 ? parts.joined() : parts.dropLast().joined(separator: ", ") + " and " + parts.last!
    }
}

/// One member of a platform pool: its id (what a placed attribute is set to), fields placed
/// resources may copy, and its limit for each capacity (absent: no limit).
public struct PoolMember: Sendable, Hashable {
    public var id: String
    public var fields: [String: String]
    public var limits: [String: Int]

    public init(id: String, fields: [String: String] = [:], limits: [String: Int] = [:]) {
        self.id = id
        self.fields = fields
        self.limits = limits
    }
}

/// Plans placements and numbers against the platform state, remembering what earlier
/// tenants of the same run took. Lookups are by dictionary; finding a free number walks
/// forward from a per-scope cursor, so allocating for N tenants is linear.
struct Allocator {
    let pools: [String: [PoolMember]]
    /// Each pool's members by id.
    let poolIndex: [String: [String: Int]]
    /// Each pool's capacity names: an allocation on it records all of them.
    let capacities: [String: [String]]
    var allocations: [String: TenantAllocation]
    /// Numbers taken per scope (by any tenant, or by resources Landlord does not own).
    var taken: [String: Set<Int>] = [:]
    /// Capacity used per member.
    var used: [String: [String: Int]] = [:]
    var cursor: [String: Int] = [:]
    /// The part of the fleet being planned (`--shard K/N`): placement searches from member
    /// ⌊(K-1)·M/N⌋ of a pool of M and wraps around, so N shards planning at once mostly place
    /// their new tenants on different members instead of all racing for the first one's room.
    var shard: Shard?
    /// Which tenant holds each number, per scope: built by the first `commit` (apply only,
    /// so planning pays nothing) and kept current by it, so committing N tenants is linear.
    private var holders: [String: [Int: String]]?

    init(pools: [String: [PoolMember]] = [:], capacities: [String: [String]] = [:], state: PlatformState, foreign: [String: Set<Int>] = [:]) {
        self.pools = pools
        self.capacities = capacities
        poolIndex = pools.mapValues { members in
            var idx: [String: Int] = [:]
            for (i, m) in members.enumerated() { idx[m.id] = i }
            return idx
        }
        allocations = state.allocations
        taken = foreign
        for (_, a) in state.allocations {
            taken[a.member, default: []].formUnion(a.numbers.values)
            for (c, n) in a.usage { used[a.member, default: [:]][c, default: 0] += n }
        }
    }

    /// For a tenant already placed on a member of `pool` that now needs more there than it
    /// holds (a tier upgrade adds the silo's rule and target group): the capacities its member
    /// has no room for, or nil when there is room (the growth is then recorded) or the tenant
    /// is not placed yet. A placed tenant is not moved: its rules would all be re-created.
    mutating func grow(tenant: String, pool: String, needs: [String: Int]) -> [String]? {
        guard let a = allocations[tenant], let i = poolIndex[pool]?[a.member] else { return nil }
        let m = (pools[pool] ?? [])[i]
        let more = needs.filter { c, n in n > a.usage[c, default: 0] }
        guard !more.isEmpty else { return nil }
        let u = used[m.id] ?? [:]
        let short = more.filter { c, n in u[c, default: 0] - a.usage[c, default: 0] + n > m.limits[c, default: Int.max] }.keys.sorted()
        if !short.isEmpty { return short }
        for (c, n) in more { used[m.id, default: [:]][c, default: 0] += n - a.usage[c, default: 0] }
        allocations[tenant]?.usage.merge(more) { Swift.max($0, $1) }
        return nil
    }

    /// The member of `pool` for a tenant: the one it already sits on, else the first with room
    /// for everything it needs (searching from the shard's starting member, see `shard`).
    mutating func place(tenant: String, pool: String, needs: [String: Int]) -> PoolMember? {
        let members = pools[pool] ?? []
        if let a = allocations[tenant], let i = poolIndex[pool]?[a.member] { return members[i] }
        let start = shard.map { ($0.index - 1) * members.count / $0.count } ?? 0
        for m in members[start...] + members[..<start] {
            let u = used[m.id] ?? [:]
            if needs.allSatisfy({ c, n in u[c, default: 0] + n <= m.limits[c, default: Int.max] }) {
                allocations[tenant] = TenantAllocation(member: m.id, usage: needs)
                for (c, n) in needs { used[m.id, default: [:]][c, default: 0] += n }
                return m
            }
        }
        return nil
    }

    /// How many more tenants needing `needs` the pool has room for.
    func remainingCapacity(pool: String, for needs: [String: Int]) -> Int {
        (pools[pool] ?? []).reduce(0) { sum, m in
            let u = used[m.id] ?? [:]
            let fits = needs.filter { $0.value > 0 }.map { c, n in (m.limits[c, default: Int.max] - u[c, default: 0]) / n }.min() ?? Int.max
            let (s, overflow) = sum.addingReportingOverflow(max(0, fits))
            return overflow ? Int.max : s
        }
    }

    /// A number for `resource` of `tenant` in `scope`: the one it holds, else `preferred`
    /// when free, else the lowest free one in `band` (or `range`). A tenant not placed yet is
    /// recorded in `scope`, with every capacity of `pool` at zero.
    mutating func number(
        tenant: String, resource: String, scope: String, band: ClosedRange<Int>?, range: ClosedRange<Int>, preferred: Int? = nil,
        pool: String? = nil
    ) -> Int? {
        if let held = allocations[tenant]?.numbers[resource], allocations[tenant]?.member == scope { return held }
        let range = band ?? range
        var chosen: Int?
        if let p = preferred, range.contains(p), !taken[scope, default: []].contains(p) {
            chosen = p
        } else {
            let key = scope + "#\(range.lowerBound)"
            var p = max(cursor[key] ?? range.lowerBound, range.lowerBound)
            let used = taken[scope, default: []]
            while p <= range.upperBound && used.contains(p) { p += 1 }
            guard p <= range.upperBound else { return nil }
            cursor[key] = p + 1
            chosen = p
        }
        guard let c = chosen else { return nil }
        taken[scope, default: []].insert(c)
        if allocations[tenant] == nil { allocations[tenant] = TenantAllocation(member: scope, usage: zeroUsage(pool)) }
        allocations[tenant]!.numbers[resource] = c
        if let band { allocations[tenant]!.bands[resource] = band }
        return c
    }

    /// Every capacity of `pool`, at zero.
    func zeroUsage(_ pool: String?) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: (pool.flatMap { capacities[$0] } ?? []).map { ($0, 0) })
    }

    /// Apply's half: commits a planned allocation against the platform state as it is now.
    /// A planned number still free is kept; one a concurrent apply (another tenant) took
    /// since planning is replaced by the lowest free one in the resource's band (or its
    /// type's range, from `ranges`), skipping foreign numbers, exactly as planning would
    /// choose. Returns the numbers by resource, or the resource whose band has none left.
    mutating func commit(tenant: String, planned: TenantAllocation, ranges: [String: ClosedRange<Int>] = [:]) -> Result<[String: Int], CommitFailure>
    {
        let scope = planned.member
        if holders == nil {
            var index: [String: [Int: String]] = [:]
            for (t, a) in allocations { for p in a.numbers.values { index[a.member, default: [:]][p] = t } }
            holders = index
        }
        var mine = allocations[tenant] ?? TenantAllocation(member: scope)
        for (name, old) in mine.numbers where planned.numbers[name] != nil && holders?[mine.member]?[old] == tenant {
            holders?[mine.member]?[old] = nil
        }
        mine.member = scope
        mine.numbers = mine.numbers.filter { planned.numbers[$0.key] == nil }
        allocations[tenant] = mine
        var out: [String: Int] = [:]
        var conflicts: [String] = []
        // Planned numbers that are still free are claimed first, so a re-allocation below
        // never takes one another resource of this tenant planned.
        for (name, p) in planned.numbers.sorted(by: { $0.key < $1.key }) {
            if (holders?[scope]?[p]).map({ $0 == tenant }) ?? true {
                taken[scope, default: []].insert(p)
                allocations[tenant]!.numbers[name] = p
                out[name] = p
            } else {
                conflicts.append(name)
            }
        }
        for name in conflicts {
            let range = ranges[name] ?? 1...Int.max
            guard let p = number(tenant: tenant, resource: name, scope: scope, band: planned.bands[name], range: range) else {
                return .failure(CommitFailure(resource: name, band: planned.bands[name] ?? range))
            }
            out[name] = p
        }
        for p in out.values { holders?[scope, default: [:]][p] = tenant }
        return .success(out)
    }

    /// A resource whose band was full when apply had to re-allocate its number.
    struct CommitFailure: Error {
        var resource: String
        var band: ClosedRange<Int>
    }
}
