import ProviderAPI

/// The machine-readable plan: `{"format_version", "changes": [...], "summary": {...}}` with
/// only non-noop changes, tenants sorted, changes in dependency order, keys sorted. Sensitive
/// values are `(sensitive)`; values known only after apply are `(known after apply)`.
public struct JSONRenderer: Sendable {
    public init() {}

    public func value(_ plan: Plan) -> Value {
        var changes: [Value] = []
        for t in plan.tenants {
            for c in t.changes {
                var m: [String: Value] = [
                    "address": .string(c.address), "tenant": .string(c.tenant), "name": .string(c.name), "type": .string(c.type),
                    "action": .string(c.action.rawValue), "reasons": .list(c.reasons.map { .string($0) }),
                    "before": c.before.map { DisplayValue.redacted(.map($0)) } ?? .null,
                    "after": c.after.map { after in
                        var a = after
                        for k in c.computed where a[k] == nil { a[k] = .unknown }
                        return DisplayValue.redacted(.map(a))
                    } ?? .null,
                ]
                if !c.changed.isEmpty { m["changed"] = .list(c.changed.map { .string($0) }) }
                if !c.forcedBy.isEmpty { m["replace_because"] = .list(c.forcedBy.map { .string($0) }) }
                if c.action == .delete && c.deletion != .delete { m["deletion"] = .string(c.deletion.rawValue) }
                changes.append(.map(m))
            }
        }
        // Output changes, only when there are any (so plans of blueprints without outputs keep
        // their shape).
        var outputChanges: [Value] = []
        for t in plan.tenants {
            for o in t.outputChanges {
                outputChanges.append(
                    .map([
                        "tenant": .string(t.tenant), "name": .string(o.name), "action": .string(o.action.rawValue),
                        "before": o.before.map(DisplayValue.redacted) ?? .null, "after": o.after.map(DisplayValue.redacted) ?? .null,
                    ]))
            }
        }
        let s = plan.summary
        var doc: [String: Value] = [
            "format_version": .string(Plan.formatVersion),
            "changes": .list(changes),
            "summary": .map(["create": .int(s.create), "update": .int(s.update), "replace": .int(s.replace), "delete": .int(s.delete)]),
            "unchanged_tenants": .int(plan.unchangedTenants),
        ]
        if !outputChanges.isEmpty { doc["output_changes"] = .list(outputChanges) }
        if s.retain > 0, case .map(var m)? = doc["summary"] {
            m["retain"] = .int(s.retain)
            doc["summary"] = .map(m)
        }
        if let shard = plan.shard { doc["shard"] = PlanFile.shardJSON(shard) }
        // Only when there are any, like output changes.
        if !plan.awaitingApproval.isEmpty { doc["awaiting_approval"] = .list(plan.awaitingApproval.map { .string($0) }) }
        if !plan.held.isEmpty {
            doc["held"] = .list(
                plan.held.sorted { $0.tenant < $1.tenant }.map {
                    .map(["tenant": .string($0.tenant), "rollout": .string($0.rollout), "wave": .int($0.wave), "reason": .string($0.reason)])
                })
        }
        return .map(doc)
    }

    public func render(_ plan: Plan) -> String { JSON.string(value(plan), sortedKeys: true, pretty: true) }
}
