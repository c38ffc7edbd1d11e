import Foundation
import ProviderAPI

/// Why a saved plan cannot be applied.
public enum SavedPlanRejection: Error, Sendable {
    /// The state of the plan's tenants could not be read.
    case unreadableState(String)
    /// The plan no longer describes the world: one line per reason (``PlanFreshness``).
    case stale([String])
    /// A sensitive value taken again from the specs differs from the one planned.
    case secretChanged(String)
    /// The plan covers another part of the fleet than the one asked for (``Shard/mismatch(_:requested:)``).
    case otherShard(String)
}

extension Rollout {
    /// Readies a saved plan for ``run(plan:workspace:options:observer:replan:)``: checks that it
    /// still describes the world (specs on disk, each tenant's state) and takes its sensitive
    /// values, stored in the file only as hashes, again from the specs.
    ///
    /// Only the tenants of the plan not yet applied are read and re-expanded, each with the
    /// allocation the plan recorded: the rest of the fleet is neither loaded nor planned.
    ///
    /// A plan of one part of the fleet (`plan --shard K/N --out FILE`) is applied only as that
    /// part: `shard`, the part asked for at apply (nil: whatever part the plan covers), must be
    /// the plan's, and every tenant in the plan must belong to it.
    public static func prepare(saved plan: Plan, workspace: Workspace, shard: Shard? = nil) async -> Result<Plan, SavedPlanRejection> {
        if let wrong = Shard.mismatch(plan, requested: shard) { return .failure(.otherShard(wrong)) }
        let pending = plan.tenants.map(\.tenant).filter { !plan.appliedTenants.contains($0) }
        let states: [String: TenantState]
        let platform: PlatformState
        do {
            states = try await workspace.store.loadTenants(pending)
            platform = try await workspace.store.loadPlatform()
        } catch {
            return .failure(.unreadableState("\(error)"))
        }
        let problems = PlanFreshness.problems(plan, fleet: workspace.fleet, states: states)
        if !problems.isEmpty { return .failure(.stale(problems)) }
        let fresh = reexpand(plan, workspace, states, platform)
        var restored = plan
        do { try PlanFile.restoreSecrets(&restored, from: fresh) } catch {
            return .failure(.secretChanged(error.description))
        }
        return .success(restored)
    }

    /// The plan's pending tenants that hold a hashed sensitive value, expanded again from the
    /// specs against `states` (their changes carry the values in clear).
    static func reexpand(_ plan: Plan, _ workspace: Workspace, _ states: [String: TenantState], _ platform: PlatformState) -> Plan {
        let fleet = workspace.fleet
        let input = PlanInput(fleet: fleet, states: states, platformState: platform, schemas: workspace.providers.schemas)
        let planner = TenantPlanner(input: input, options: PlanOptions(tenants: Set(plan.tenants.map(\.tenant)), allowProtectedDeletes: true))
        var fresh = Plan(toolVersion: plan.toolVersion, platform: plan.platform, tenants: [], unchangedTenants: 0)
        for tp in plan.tenants where !plan.appliedTenants.contains(tp.tenant) && tp.operation == .provision {
            guard
                tp.changes.contains(where: { $0.after?.values.contains(where: PlanFile.containsHash) == true })
                    || tp.outputs.values.contains(where: PlanFile.containsHash),
                let spec = fleet.tenant(tp.tenant), let blueprint = fleet.blueprints[spec.blueprint]
            else { continue }
            // An adoption plan's changes were planned against the resources it adopts.
            var state = states[tp.tenant]
            if !tp.adoptions.isEmpty {
                var adopted = state ?? TenantState(tenant: tp.tenant, blueprint: spec.blueprint)
                for a in tp.adoptions { adopted.resources[a.name] = a.record }
                state = adopted
            }
            fresh.tenants.append(planner.provision(spec, blueprint, state: state, allocation: tp.allocation).0)
        }
        return fresh
    }
}
