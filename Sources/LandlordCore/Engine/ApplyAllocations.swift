import Foundation
import ProviderAPI

/// Allocation at apply time: reserving each tenant's planned pool member and numbers when the
/// apply starts, and making allocations match what the states hold when it ends.
extension Applier {
    struct Committed: Sendable {
        /// Allocated numbers by resource name.
        var numbers: [String: Int] = [:]
        /// The tenant's sequence numbers (allocated now or earlier).
        var sequenceNumbers: [String: Int] = [:]
        var failure: String?
        /// The planned pool member has no room left: concurrent applies placed tenants there
        /// since planning. Planning again places the tenant elsewhere.
        var displaced = false
    }

    /// Reserves each tenant's planned pool member and numbers. A number another tenant took
    /// since planning is replaced by the lowest free one; a placement that no longer fits
    /// (`limits`: each member's limit per capacity, by member id) fails that tenant as
    /// displaced. Placements are checked against the platform state read inside the
    /// compare-and-swap (or lock), so two runs that planned the last room of a member for
    /// different tenants cannot both commit it: the second re-reads and finds it full.
    static func reserveAllocations(
        _ tenants: [TenantPlan], foreign: [String: Set<Int>] = [:], rules: AllocationRules, store: any StateStore,
        limits: [String: [String: Int]] = [:]
    ) async throws -> [String: Committed] {
        let wanted = tenants.compactMap { tp in tp.allocation.map { (tp.tenant, $0) } }
        // The full range of each planned number's type, for one that must move.
        var typeRanges: [String: [String: ClosedRange<Int>]] = [:]
        for tp in tenants where tp.allocation != nil {
            for c in tp.changes { if let r = rules.types[c.type]?.number?.range { typeRanges[tp.tenant, default: [:]][c.name] = r } }
        }
        let ranges = typeRanges
        let numbering = tenants.filter { !$0.sequences.isEmpty }.map { ($0.tenant, $0.sequences) }
        guard !wanted.isEmpty || !numbering.isEmpty else { return [:] }
        return try await store.updatePlatform { platform in
            var out: [String: Committed] = [:]
            // Sequence numbers: the counter only grows, under the same lock / compare-and-swap,
            // so two applies never hand out the same number.
            for (tenant, sequences) in numbering {
                var mine = platform.numbers[tenant] ?? [:]
                for (name, start) in sequences.sorted(by: { $0.key < $1.key }) where mine[name] == nil {
                    let n = max(platform.sequences[name] ?? start, start)
                    mine[name] = n
                    platform.sequences[name] = n + 1
                }
                platform.numbers[tenant] = mine
                out[tenant, default: Committed()].sequenceNumbers = mine
            }
            // The planner's allocator, over the platform state as it is now: a number a
            // concurrent apply took is re-allocated inside the band, around foreign numbers.
            var allocator = Allocator(state: platform, foreign: foreign)
            for (tenant, planned) in wanted {
                var c = out[tenant] ?? Committed()
                if let existing = platform.allocations[tenant], existing.member != planned.member, !existing.numbers.isEmpty {
                    c.failure =
                        """
                        tenant '\(tenant)' already sits on \(existing.member), not the planned \(planned.member); nothing \
                        was applied to it. Plan again.
                        """
                    out[tenant] = c
                    continue
                }
                let held = platform.allocations[tenant]
                var alloc = held ?? TenantAllocation(member: planned.member, usage: planned.usage)
                alloc.member = planned.member
                alloc.usage.merge(planned.usage) { max($0, $1) }
                // Room on the member for what the tenant takes beyond what it already holds there.
                let before = held?.member == planned.member ? held?.usage ?? [:] : [:]
                if let limit = limits[planned.member] {
                    let used = allocator.used[planned.member] ?? [:]
                    let short = alloc.usage.filter { cap, n in
                        n > before[cap, default: 0] && used[cap, default: 0] - before[cap, default: 0] + n > limit[cap, default: Int.max]
                    }.keys.sorted()
                    if !short.isEmpty {
                        c.failure =
                            """
                            \(planned.member) has no room left for tenant '\(tenant)' (\(short.joined(separator: ", ")) full: \
                            concurrent applies placed tenants there since this plan was made); nothing was applied to it. Plan \
                            again.
                            """
                        c.displaced = true
                        out[tenant] = c
                        continue
                    }
                }
                switch allocator.commit(tenant: tenant, planned: planned, ranges: ranges[tenant] ?? [:]) {
                case .success(let numbers):
                    alloc.numbers.merge(numbers) { $1 }
                    c.numbers = numbers
                case .failure(let full):
                    allocator.allocations[tenant] = platform.allocations[tenant]
                    c.failure =
                        """
                        no free number left in band \(full.band.lowerBound)-\(full.band.upperBound) on \(planned.member) \
                        for \(tenant)/\(full.resource) (concurrent applies took the rest); nothing was applied to it. Widen \
                        the band in the blueprint, then plan again.
                        """
                    out[tenant] = c
                    continue
                }
                platform.allocations[tenant] = alloc
                for (cap, n) in alloc.usage { allocator.used[planned.member, default: [:]][cap, default: 0] += n - before[cap, default: 0] }
                if let held, held.member != planned.member {
                    for (cap, n) in held.usage { allocator.used[held.member, default: [:]][cap, default: 0] -= n }
                }
                out[tenant] = c
            }
            return out
        }
    }

    /// Makes each tenant's allocation match what its state holds (`holds`, see ``ReleasedTenant``):
    /// numbers of resources that exist, nothing for a tenant with no resources left.
    static func releaseAllocations(_ holds: [String: ReleasedTenant], store: any StateStore) async throws {
        try await store.updatePlatform { platform in
            for (tenant, hold) in holds {
                if hold.empty {
                    platform.numbers[tenant] = nil  // the counter keeps going: numbers are never reused
                    platform.allocations[tenant] = nil
                    continue
                }
                guard var a = platform.allocations[tenant], hold.status == .active else { continue }
                a.numbers = hold.numbers
                // Capacity shrinks to what its resources use now (a tier downgrade deletes
                // the rules and target groups of the silo); it grows only at commit.
                for (cap, n) in a.usage { a.usage[cap] = Swift.min(n, hold.used[cap, default: 0]) }
                platform.allocations[tenant] = a
            }
        }
    }
}
