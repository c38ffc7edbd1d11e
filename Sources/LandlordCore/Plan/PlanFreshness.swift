import Foundation

/// Whether a saved plan still describes the world: the specs it was made from are unchanged
/// on disk, and each tenant's state is the one it was planned against (a plan made against no
/// state is stale once the tenant has state).
public enum PlanFreshness {
    /// Every reason the plan is stale; empty when it may be applied.
    public static func problems(_ plan: Plan, fleet: Fleet, states: [String: TenantState]) -> [String] {
        var out: [String] = []
        if plan.platform != fleet.platform.name {
            out.append("the plan is for platform '\(plan.platform)', this fleet is '\(fleet.platform.name)'")
        }
        for t in plan.tenants where !plan.appliedTenants.contains(t.tenant) {
            switch t.operation {
            case .provision:
                guard let spec = fleet.tenant(t.tenant) else {
                    out.append("tenant '\(t.tenant)': its tenant file is gone since planning")
                    continue
                }
                if fleet.inputDigest(for: spec) != t.inputDigest {
                    out.append("tenant '\(t.tenant)': platform.yaml, blueprint '\(spec.blueprint)' or \(spec.file) changed since planning")
                }
            case .remove:
                if let spec = fleet.tenant(t.tenant) { out.append("tenant '\(t.tenant)': planned as removed, but \(spec.file) exists again") }
            case .destroy:
                break
            }
            let s = states[t.tenant]
            switch (t.lineage, s) {
            case (nil, nil): break
            case (nil, let s?):
                out.append("tenant '\(t.tenant)': planned against no state, but it now has state (serial \(s.serial))")
            case (let l?, nil):
                out.append("tenant '\(t.tenant)': planned against state lineage \(l), which is gone")
            case (let l?, let s?):
                if l != s.lineage || t.serial != s.serial {
                    out.append(
                        """
                        tenant '\(t.tenant)': state changed since planning (planned against serial \(t.serial ?? 0), now \
                        \(s.serial)\(l != s.lineage ? ", different lineage" : ""))
                        """
                    )
                }
            }
        }
        return out
    }
}
