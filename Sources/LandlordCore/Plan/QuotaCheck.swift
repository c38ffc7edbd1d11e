import Foundation
import ProviderAPI

/// The plan-time check of account-wide quotas (`ResourceSchema.quotas`): how many resources
/// of a type the account will hold once the plan is applied, across the whole fleet.
///
/// Counted by address: every resource of the type recorded in any tenant's state (tenants
/// outside the plan included), minus those the plan deletes, plus those it creates at new
/// addresses. A replacement, or the re-creation of a recorded resource found gone, keeps the
/// count. When the count exceeds a quota and the plan creates resources of the type, the
/// creates beyond the limit (existing resources first, then the plan's in tenant order) are
/// the offending ones: one error per blueprint resource that makes them, at its position in
/// the blueprint, naming the tenants. A plan that creates none is never refused: it does not
/// make an over-full account fuller.
///
/// Where the provider listed the account's resources of the type (`existing`), those whose id
/// no state records were made outside Landlord and count too, less one for each create that
/// has a pending intent (a crashed apply may have made it; the plan adopts it, not a second).
enum QuotaCheck {
    static func check(
        _ plan: Plan, states: [String: TenantState], fleet: Fleet, schemas: [String: ResourceSchema], existing: [String: Set<String>] = [:]
    ) -> [Diagnostic] {
        let limited = schemas.filter { !$0.value.quotas.isEmpty }
        guard !limited.isEmpty else { return [] }
        var diagnostics: [Diagnostic] = []
        for (type, schema) in limited.sorted(by: { $0.key < $1.key }) {
            // By address: a create of a recorded resource that is gone re-makes it, and a
            // replacement keeps one.
            var recorded = Set<String>()
            var recordedIDs = Set<String>()
            for (tenant, s) in states {
                for (name, r) in s.resources where r.type == type {
                    recorded.insert("\(tenant)/\(name)")
                    recordedIDs.insert(r.id)
                }
            }
            var creates: [ResourceChange] = []
            var pendingCreates = 0
            for t in plan.tenants {
                for c in t.changes where c.type == type {
                    if c.action == .delete { recorded.remove(c.address) }
                    if c.action == .create && !recorded.contains(c.address) {
                        creates.append(c)
                        if states[c.tenant]?.pending[c.name] != nil { pendingCreates += 1 }
                    }
                }
            }
            guard !creates.isEmpty else { continue }
            let outside = max(0, (existing[type] ?? []).subtracting(recordedIDs).count - pendingCreates)
            let kept = recorded.count + outside
            let total = kept + creates.count
            for quota in schema.quotas where total > quota.limit {
                let room = max(0, quota.limit - kept)
                let offending = creates.dropFirst(room)
                // One error per blueprint resource that makes the extra ones.
                var byResource: [String: (location: SourceLocation?, tenants: [String])] = [:]
                var order: [String] = []
                for c in offending {
                    let bpName = plan.tenants.first { $0.tenant == c.tenant }?.blueprint ?? ""
                    let bp = fleet.blueprints[bpName]
                    let key = bpName + "/" + c.name
                    if byResource[key] == nil {
                        order.append(key)
                        let location = bp.flatMap { b in b.resourceIndex[c.name].map { b.resources[$0].location } }
                        byResource[key] = (location, [])
                    }
                    byResource[key]?.tenants.append(c.tenant)
                }
                for key in order {
                    let entry = byResource[key]!
                    let name = key.split(separator: "/").last.map(String.init) ?? key
                    let listed = entry.tenants.prefix(5).joined(separator: ", ") + (entry.tenants.count > 5 ? ", ..." : "")
                    diagnostics.append(
                        .error(
                            """
                            resource '\(name)' (\(type)) would exceed the quota of \(quota.limit) \(quota.name) per \
                            \(quota.scope.phrase): this plan leaves \(total) (\(kept) \
                            existing\(outside > 0 ? ", \(outside) of them made outside Landlord" : ""), \(creates.count) \
                            created) and \(entry.tenants.count) tenant(s) get one too many (\(listed))
                            """,
                            detail: quota.remedy.isEmpty
                                ? "remove the resource from the blueprint or delete others of its type first" : quota.remedy,
                            at: entry.location, address: "\(entry.tenants[0])/\(name)"))
                }
            }
        }
        return diagnostics
    }
}
