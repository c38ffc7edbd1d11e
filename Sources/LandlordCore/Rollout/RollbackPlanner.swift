import ProviderAPI

/// Plans one tenant back to the resources recorded before a rollout changed it (its rollback
/// point): resources the rollout created are deleted, updated ones updated back, replaced ones
/// replaced back, and a tenant that had nothing before is torn down. The plan goes through the
/// same applier as any other (locks, journal, crash safety).
///
/// The rollback point holds values, not templates: an input that held another resource's
/// computed attribute (a target group's ARN in a rule) is planned as a reference to that
/// resource again when the rollback replaces or re-creates it, so it gets the new value.
enum RollbackPlanner {
    /// Why a tenant is not rolled back: its rollback would delete or replace a protected
    /// resource, or replace a data-bearing one.
    struct Refusal: Error, Sendable {
        var reason: String
    }

    /// The plan that takes `tenant` from `current` back to `before` (nil: it had no state).
    static func plan(
        tenant: String, current: TenantState?, before: TenantState?, fleet: Fleet, schemas: [String: ResourceSchema], rollout: String
    ) -> Result<TenantPlan, Refusal> {
        let input = PlanInput(fleet: fleet, states: [:], platformState: PlatformState(), schemas: schemas)
        let planner = TenantPlanner(input: input, options: PlanOptions())
        var plan = TenantPlan(tenant: tenant, blueprint: before?.blueprint ?? current?.blueprint ?? "", operation: .provision)
        plan.rollback = true
        plan.lineage = current?.lineage
        plan.serial = current?.serial
        guard let current else { return .success(plan) }
        var diags = Diagnostics()
        let reason = "rollback of rollout \(rollout)"
        guard let before, !before.resources.isEmpty else {
            // A new tenant: nothing half-made is left (it stays, empty and rolled back, so a
            // fixed spec creates it again).
            plan.changes = planner.orderedDeletes(tenant, current.resources, reason: reason + ": the tenant is new", &diags)
            plan.changes.insert(contentsOf: pendingDeletes(tenant, current, keep: [:], reason: reason), at: 0)
            plan.outputChanges = TenantPlanner.outputChanges(from: current.outputs, to: [:])
            return refusal(plan, diags).map { .failure($0) } ?? .success(plan)
        }
        let blueprint = fleet.blueprints[before.blueprint]
        // Each recorded resource in dependency order, so a dependency's fate is known first.
        var renewed = Set<String>()  // replaced or created by the rollback: their outputs change
        for name in order(before.resources) {
            guard let recorded = before.resources[name], let schema = schemas[recorded.type] else { continue }
            var change = ResourceChange(address: tenant + "/" + name, tenant: tenant, name: name, type: recorded.type, action: .noop)
            change.dependencies = recorded.dependencies
            change.protect = recorded.protect
            change.dataBearing = schema.dataBearing
            change.wait = blueprint?.resourceIndex[name].map { blueprint!.resources[$0].wait } ?? nil
            change.after = recorded.inputs.mapValues { relink($0, recorded.dependencies, before, current, renewed) }
            var d = planner.diff(change, schema, prior: current.resources[name], pendingCreate: false, isNewTenant: false, &diags)
            for i in d.changes.indices { d.changes[i].reasons.insert(reason, at: 0) }
            if d.changes.isEmpty { plan.unchanged += 1 }
            if d.changes.contains(where: { $0.action == .create || $0.action == .replace }) { renewed.insert(name) }
            plan.changes.append(contentsOf: d.changes)
        }
        let created = current.resources.filter { before.resources[$0.key] == nil }
        plan.changes += planner.orderedDeletes(tenant, created, reason: reason + ": created by the rollout", &diags)
        plan.changes += pendingDeletes(tenant, current, keep: before.resources, reason: reason)
        plan.outputs = before.outputs.mapValues { relink($0, Array(renewed), before, current, renewed) }
        plan.outputChanges = TenantPlanner.outputChanges(from: current.outputs, to: plan.outputs)
        return refusal(plan, diags).map { .failure($0) } ?? .success(plan)
    }

    /// Interrupted creates of resources the rollback point does not have: deleted if they exist.
    static func pendingDeletes(_ tenant: String, _ current: TenantState, keep: [String: ResourceState], reason: String) -> [ResourceChange] {
        current.pending.sorted { $0.key < $1.key }.filter { current.resources[$0.key] == nil && keep[$0.key] == nil }.map { name, p in
            var c = ResourceChange(address: tenant + "/" + name, tenant: tenant, name: name, type: p.type, action: .delete)
            c.reasons = [reason + ": interrupted create, deleted if it exists"]
            c.before = p.inputs
            return c
        }
    }

    /// Why the plan cannot be applied as a rollback, if it cannot.
    static func refusal(_ plan: TenantPlan, _ diags: Diagnostics) -> Refusal? {
        for c in plan.changes {
            if c.protect && (c.action == .delete || c.action == .replace) {
                return Refusal(reason: "its rollback would \(c.action.rawValue) protected resource \(c.address)")
            }
            if c.dataBearing && c.action == .replace {
                return Refusal(reason: "its rollback would replace data-bearing resource \(c.address) (\(c.type)), losing its data")
            }
        }
        if let e = diags.items.first(where: { $0.severity == .error }) { return Refusal(reason: e.summary) }
        return nil
    }

    /// A recorded value with every value that was a dependency's computed attribute turned
    /// back into a reference to it when the rollback renews that dependency, or into the
    /// dependency's current value when it changed since (so the value points at what exists).
    static func relink(_ v: Value, _ deps: [String], _ before: TenantState, _ current: TenantState, _ renewed: Set<String>) -> Value {
        switch v {
        case .list(let items): return .list(items.map { relink($0, deps, before, current, renewed) })
        case .map(let m): return .map(m.mapValues { relink($0, deps, before, current, renewed) })
        case .string:
            for d in deps {
                guard let outputs = before.resources[d]?.outputs else { continue }
                for (k, o) in outputs.sorted(by: { $0.key < $1.key }) where o == v {
                    if renewed.contains(d) { return .deferred([.reference(resource: d, path: [k])]) }
                    if let now = current.resources[d]?.outputs[k] { return now }
                }
            }
            return v
        default: return v
        }
    }

    /// Resource names with dependencies first (recorded dependencies; a cycle falls back to
    /// name order).
    static func order(_ resources: [String: ResourceState]) -> [String] {
        let names = resources.keys.sorted()
        var index: [String: Int] = [:]
        for (i, n) in names.enumerated() { index[n] = i }
        var dag = DAG(count: names.count)
        for (i, n) in names.enumerated() {
            for d in resources[n]?.dependencies ?? [] { if let j = index[d] { dag.addEdge(i, dependsOn: j) } }
        }
        return (dag.topologicalOrder() ?? Array(0..<names.count)).map { names[$0] }
    }
}
