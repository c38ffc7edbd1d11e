import ProviderAPI

/// Plans one tenant: expands its blueprint in dependency order, diffs every resource against
/// state, and orders deletes in reverse.
struct TenantPlanner {
    let input: PlanInput
    /// Each type's computed attributes, sorted: the same for every tenant, so worked out once.
    var computedByType: [String: [String]] = [:]
    /// What the schemas say is allocated, and the platform's pools (worked out once per plan).
    var rules = AllocationRules([:])
    var pools: [String: [PoolMember]] = [:]
    let options: PlanOptions

    func provision(_ t: TenantSpec, _ bp: Blueprint, state: TenantState?, allocation: TenantAllocation?) -> (TenantPlan, Diagnostics) {
        var diags = Diagnostics()
        var plan = TenantPlan(tenant: t.id, blueprint: bp.name, operation: .provision)
        plan.lineage = state?.lineage
        plan.serial = state?.serial
        plan.inputDigest = input.fleet.inputDigest(for: t)
        plan.allocation = allocation
        let platform = input.fleet.platform
        var ev = Evaluator(platform: platform, tenant: t)
        ev.numbers = input.platformState.numbers[t.id] ?? [:]
        for (name, start) in bp.sequences where ev.numbers[name] == nil { plan.sequences[name] = start }
        let isNewTenant = state == nil || state!.resources.isEmpty

        for res in bp.resources {
            let address = t.id + "/" + res.name
            guard let schema = input.schemas[res.type] else { continue }
            var raw: [String: Value] = [:]
            var failed = false
            for (attr, tmpl) in res.properties {
                do { raw[attr] = try ev.evaluate(tmpl) } catch {
                    diags.append(.error(error.message, detail: "tenant '\(t.id)' in \(t.file)", at: res.propertyLocations[attr], address: address))
                    failed = true
                }
            }
            applyAllocation(res, &raw, allocation)
            var inputs: [String: Value] = [:]
            for (attr, v0) in raw {
                let type = schema.attributes[attr]?.type ?? .any
                guard let v = NodeValues.coerce(v0, to: type) else {
                    diags.append(
                        .error(
                            "attribute '\(attr)' of \(res.type) must be \(type.withArticle); tenant '\(t.id)' gives '\(v0.isSensitive ? "(sensitive)" : v0.interpolationText)'",
                            detail: "fix the parameter in \(t.file) or the template in \(bp.file)", at: res.propertyLocations[attr], address: address)
                    )
                    failed = true
                    continue
                }
                if v != .null { inputs[attr] = v }
            }
            if failed {
                ev.known[res.name] = inputs
                continue
            }

            let prior = state?.resources[res.name]
            var change = ResourceChange(address: address, tenant: t.id, name: res.name, type: res.type, action: .noop)
            change.dependencies = res.dependencies
            change.wait = res.wait
            change.protect = res.protect
            change.dataBearing = schema.dataBearing
            change.after = inputs
            let computed = (computedByType[res.type] ?? Self.computedAttributes(schema)).filter { inputs[$0] == nil }

            if var prior, prior.type == res.type {
                change.priorID = prior.id
                change.priorDependencies = prior.dependencies
                var drifted: [String] = []
                if let refreshed = input.refreshed[address] {
                    if let now = refreshed {
                        for (k, old) in prior.inputs {
                            if let cur = now.attributes[k], cur.revealed != old.revealed {
                                prior.inputs[k] = cur
                                drifted.append(k)
                            }
                        }
                    } else {
                        change.action = .create
                        change.before = nil
                        change.priorID = nil
                        change.reasons = ["drift: deleted outside Landlord"]
                        change.computed = computed
                        plan.changes.append(change)
                        ev.known[res.name] = inputs.merging(computed.map { ($0, .unknown) }) { a, _ in a }
                        continue
                    }
                }
                var changed: [String] = []
                if inputs != prior.inputs {  // the common case, equal, costs one comparison
                    for k in Set(inputs.keys).union(prior.inputs.keys) {
                        let a = inputs[k] ?? .null
                        let b = prior.inputs[k] ?? .null
                        if !a.isKnown || a.revealed != b.revealed { changed.append(k) }
                    }
                }
                changed.sort()
                if changed.isEmpty {
                    plan.unchanged += 1
                    ev.known[res.name] = inputs.merging(prior.outputs) { a, _ in a }
                    continue
                }
                if change.before == nil { change.before = prior.attributes }
                let forced = changed.filter { schema.attributes[$0]?.forceNew == true }
                change.changed = changed
                change.forcedBy = forced
                let driftedChanged = drifted.filter(changed.contains)
                if !driftedChanged.isEmpty { change.reasons.append("drift: \(driftedChanged.joined(separator: ", ")) changed outside Landlord") }
                if forced.isEmpty {
                    change.action = .update
                    change.computed = []
                    ev.known[res.name] = inputs.merging(prior.outputs) { a, _ in a }
                } else {
                    change.action = .replace
                    change.reasons.append("requires replacement: \(forced.joined(separator: ", "))")
                    change.computed = computed
                    // Keeping every unique key means the names collide: delete the old one first.
                    let keys = schema.uniqueKeys
                    change.createBeforeDestroy =
                        keys.isEmpty
                        || keys.contains { forced.contains($0) || (inputs[$0] ?? .null).revealed != (prior.inputs[$0] ?? .null).revealed }
                    ev.known[res.name] = inputs.merging(computed.map { ($0, .unknown) }) { a, _ in a }
                    if change.protect && !options.allowProtectedDeletes {
                        diags.append(protectedError(address, "replace"))
                    }
                }
                if change.reasons.isEmpty { change.reasons = ["\(changed.joined(separator: ", ")) changed"] }
                plan.changes.append(change)
            } else {
                if let prior {
                    // The type changed: delete the old resource, create the new one.
                    var del = ResourceChange(address: address, tenant: t.id, name: res.name, type: prior.type, action: .delete)
                    del.before = prior.attributes
                    del.priorID = prior.id
                    del.priorDependencies = prior.dependencies
                    del.reasons = ["type changed to \(res.type)"]
                    del.dataBearing = input.schemas[prior.type]?.dataBearing ?? false
                    plan.changes.append(del)
                }
                change.action = .create
                change.computed = computed
                if state?.pending[res.name] != nil {
                    change.reasons = ["interrupted create: adopted by its tags if it exists, created otherwise"]
                } else {
                    change.reasons = [isNewTenant ? "new tenant" : "new resource"]
                }
                ev.known[res.name] = inputs.merging(computed.map { ($0, .unknown) }) { a, _ in a }
                plan.changes.append(change)
            }
        }

        // Recorded resources the blueprint no longer has.
        if let state {
            let gone = state.resources.filter { bp.resourceIndex[$0.key] == nil }
            let dels = orderedDeletes(t.id, gone, reason: "no longer in blueprint '\(bp.name)'", &diags)
            plan.changes.append(contentsOf: dels)
        }
        return (plan, diags)
    }

    /// A type's computed attributes, sorted (the schema is the same for every tenant).
    static func computedAttributes(_ schema: ResourceSchema) -> [String] {
        schema.attributes.filter { $0.value.computed }.map(\.key).sorted()
    }

    /// Every recorded resource deleted: the tenant file is gone, or `destroy`.
    func teardown(_ id: String, state: TenantState?, operation: TenantOperation) -> (TenantPlan, Diagnostics) {
        var diags = Diagnostics()
        var plan = TenantPlan(tenant: id, blueprint: state?.blueprint ?? "", operation: operation)
        plan.lineage = state?.lineage
        plan.serial = state?.serial
        guard let state else { return (plan, diags) }
        let reason = operation == .destroy ? "tenant destroyed" : "tenant removed: tenants/\(id).yaml is gone"
        plan.changes = orderedDeletes(id, state.resources, reason: reason, &diags)
        // Pending creates of an interrupted apply: look them up and delete them too.
        for (name, p) in state.pending.sorted(by: { $0.key < $1.key }) where state.resources[name] == nil {
            var c = ResourceChange(address: id + "/" + name, tenant: id, name: name, type: p.type, action: .delete)
            c.reasons = [reason + "; interrupted create, deleted if it exists"]
            c.before = p.inputs
            plan.changes.insert(c, at: 0)
        }
        return (plan, diags)
    }

    /// Deletes ordered so that a resource goes after everything that depends on it.
    func orderedDeletes(_ tenant: String, _ resources: [String: ResourceState], reason: String, _ diags: inout Diagnostics) -> [ResourceChange] {
        let names = resources.keys.sorted()
        var index: [String: Int] = [:]
        for (i, n) in names.enumerated() { index[n] = i }
        var dag = DAG(count: names.count)
        // Reverse edges: a dependency is deleted after its dependents.
        for (i, n) in names.enumerated() {
            for d in resources[n]!.dependencies { if let j = index[d] { dag.addEdge(j, dependsOn: i) } }
        }
        let order = dag.topologicalOrder() ?? Array(0..<names.count)
        return order.map { i in
            let r = resources[names[i]]!
            var c = ResourceChange(address: tenant + "/" + names[i], tenant: tenant, name: names[i], type: r.type, action: .delete)
            c.before = r.attributes
            c.priorID = r.id
            c.priorDependencies = r.dependencies
            c.protect = r.protect
            c.dataBearing = input.schemas[r.type]?.dataBearing ?? false
            c.reasons = [reason]
            if r.protect && !options.allowProtectedDeletes { diags.append(protectedError(c.address, "delete")) }
            return c
        }
    }

    func protectedError(_ address: String, _ what: String) -> Diagnostic {
        .error(
            "plan would \(what) protected resource \(address)",
            detail: "it holds data that would be lost; if that is intended, plan again with --allow-protected-deletes", address: address)
    }

    /// Puts the planned pool member, the member's fields and the allocated number into a
    /// resource's inputs.
    func applyAllocation(_ res: ResourceTemplate, _ inputs: inout [String: Value], _ allocation: TenantAllocation?) {
        guard let tr = rules.types[res.type] else { return }
        if let p = tr.placement, inputs[p.attribute] == .string("auto"), let a = allocation { inputs[p.attribute] = .string(a.member) }
        if let n = tr.number, let band = Allocation.autoBand(inputs[n.attribute]), band != nil || inputs[n.attribute] == .string("auto"),
            let number = allocation?.numbers[res.name]
        {
            inputs[n.attribute] = .int(number)
        }
        if let p = tr.placement, !p.fills.isEmpty, let id = inputs[p.attribute]?.stringValue,
            let m = pools[p.pool.name]?.first(where: { $0.id == id })
        {
            for (attr, field) in p.fills where inputs[attr] == nil {
                if let v = m.fields[field] { inputs[attr] = .string(v) }
            }
        }
    }
}
