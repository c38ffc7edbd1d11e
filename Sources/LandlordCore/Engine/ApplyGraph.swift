/// The steps of an apply and their order, across every tenant of a plan.
///
/// A create or update is one step; a delete is one step; a replacement is two: create the new
/// resource then delete the old one (when their unique names differ), or delete first then
/// create (when the new one would collide with the old). Forward steps follow the desired
/// dependencies; deletes wait for everything that depended on the resource.
///
/// A `deletion: snapshot` delete is two steps: its export, then its delete; and every delete
/// of that tenant waits for every export of it (the export phase), so a failed export stops
/// the tenant's deletion before anything of it is deleted.
struct ApplyGraph {
    enum Kind: Sendable, Hashable {
        /// Create (or replace's create) / update.
        case create, update
        /// A resource removed from the spec.
        case delete
        /// The old object of a create-before-destroy replacement, after the new one exists.
        case deleteDeposed
        /// The old object of a delete-before-create replacement.
        case deleteForReplace
        /// The export of a `deletion: snapshot` resource, before any delete of its tenant.
        case export
    }

    struct Step: Sendable {
        var tenant: Int
        var change: Int
        var kind: Kind
    }

    var steps: [Step] = []
    var dag = DAG(count: 0)
    /// Tenants whose steps form a cycle (never expected; reported, not run).
    var cyclic: Set<Int> = []

    /// For each step, the number of steps on the longest chain that starts with it (waits
    /// count double: a readiness poll is a second provider call).
    func heights() -> [Int] {
        guard let order = dag.topologicalOrder() else { return Array(repeating: 1, count: steps.count) }
        var h = [Int](repeating: 0, count: steps.count)
        for i in order.reversed() {
            let own = weights[i]
            h[i] = own + (dag.dependents[i].map { h[$0] }.max() ?? 0)
        }
        return h
    }

    /// Provider calls a step makes (a create or update with a wait makes two).
    var weights: [Int] = []

    init(tenants: [TenantPlan]) {
        var edges: [(Int, Int)] = []
        for (ti, tp) in tenants.enumerated() {
            var forward: [String: Int] = [:]
            var deletes: [String: Int] = [:]
            var deleteKind: [String: Kind] = [:]
            var exports: [Int] = []
            for (ci, c) in tp.changes.enumerated() {
                switch c.action {
                case .create:
                    forward[c.name] = steps.count
                    steps.append(Step(tenant: ti, change: ci, kind: .create))
                case .update:
                    forward[c.name] = steps.count
                    steps.append(Step(tenant: ti, change: ci, kind: .update))
                case .delete:
                    if c.deletion == .snapshot {
                        exports.append(steps.count)
                        steps.append(Step(tenant: ti, change: ci, kind: .export))
                    }
                    deletes[c.name] = steps.count
                    deleteKind[c.name] = .delete
                    steps.append(Step(tenant: ti, change: ci, kind: .delete))
                case .replace:
                    forward[c.name] = steps.count
                    steps.append(Step(tenant: ti, change: ci, kind: .create))
                    let k: Kind = c.createBeforeDestroy ? .deleteDeposed : .deleteForReplace
                    deletes[c.name] = steps.count
                    deleteKind[c.name] = k
                    steps.append(Step(tenant: ti, change: ci, kind: k))
                default: break
                }
            }
            // The export phase: no delete of the tenant before all its exports landed.
            for del in deletes.values { for e in exports { edges.append((del, e)) } }
            // Who depended on what when it was recorded.
            var priorDependents: [String: [String]] = [:]
            for c in tp.changes { for d in c.priorDependencies { priorDependents[d, default: []].append(c.name) } }
            for c in tp.changes {
                if let f = forward[c.name] {
                    for d in c.dependencies { if let g = forward[d] { edges.append((f, g)) } }
                    if deleteKind[c.name] == .deleteForReplace, let del = deletes[c.name] { edges.append((f, del)) }
                }
                guard let del = deletes[c.name], let kind = deleteKind[c.name] else { continue }
                if kind == .deleteDeposed, let f = forward[c.name] { edges.append((del, f)) }
                // A `NAME#deposed` (or `NAME#2#deposed`) left by an interrupted replacement is
                // still used by whatever depended on NAME until those are updated to the new
                // object: delete it after them.
                var dependents = priorDependents[c.name] ?? []
                if kind == .delete, c.name.hasSuffix(TenantSession.deposedKey("")) {
                    dependents += priorDependents[StateChange.baseName(c.name)] ?? []
                }
                for y in dependents {
                    if kind != .deleteForReplace, let fy = forward[y] { edges.append((del, fy)) }
                    if let dy = deletes[y], kind != .deleteForReplace || deleteKind[y] != .deleteDeposed { edges.append((del, dy)) }
                }
            }
        }
        weights = steps.map { s in
            let c = tenants[s.tenant].changes[s.change]
            return (s.kind == .create || s.kind == .update) && c.wait != nil ? 2 : 1
        }
        dag = DAG(count: steps.count)
        for (a, b) in edges where a != b { dag.addEdge(a, dependsOn: b) }
        if dag.topologicalOrder() == nil, let cycle = dag.findCycle() {
            for s in cycle { cyclic.insert(steps[s].tenant) }
        }
    }
}
