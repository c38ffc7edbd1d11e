import ProviderAPI

/// The part of a blueprint one tenant is made of: resources whose `when:` holds for it (all of
/// them when none has a `when:`), and the outputs it has.
struct TierSelection {
    /// The blueprint with only this tenant's resources (dependencies on absent ones dropped).
    var blueprint: Blueprint
    /// Resources left out, with the condition that left them out.
    var excluded: [String: WhenClause] = [:]
    var diagnostics = Diagnostics()

    /// What a condition reads: the tenant's parameters and the platform's inputs.
    static func lookup(_ t: TenantSpec, _ platform: PlatformSpec) -> (Reference) -> Value? {
        { ref in
            switch ref {
            case .parameter(let p): return t.parameters[p]
            case .tenantSuspended: return .bool(t.suspended)
            case .platform(let path):
                guard let first = path.first else { return nil }
                return platform.inputs[first]?.at(path.dropFirst())
            default: return nil
            }
        }
    }

    /// Decides `w` for tenant `t`; false, with a diagnostic, when it cannot be decided.
    static func holds(_ w: WhenClause, _ t: TenantSpec, _ platform: PlatformSpec, _ diags: inout Diagnostics, address: String) -> Bool {
        switch w.condition.evaluate(lookup(t, platform)) {
        case .success(let b): return b
        case .failure(let p):
            diags.append(
                .error(
                    "cannot decide `when: \"\(w.text)\"` for tenant '\(t.id)': \(p.text)",
                    detail: "give the parameter a value in \(t.file) or the input in \(platform.file)", at: w.location, address: address))
            return false
        }
    }

    init(_ bp: Blueprint, for t: TenantSpec, platform: PlatformSpec) {
        blueprint = bp
        // A suspended tenant's resources take their `suspended:` properties.
        if t.suspended {
            for i in blueprint.resources.indices { blueprint.resources[i].properties.merge(blueprint.resources[i].suspendedProperties) { _, s in s } }
        }
        guard bp.hasConditions else { return }
        var kept: [ResourceTemplate] = []
        for res in blueprint.resources {
            if let w = res.when, !Self.holds(w, t, platform, &diagnostics, address: t.id + "/" + res.name) {
                excluded[res.name] = w
                continue
            }
            kept.append(res)
        }
        // A kept resource's `dependsOn` may name an absent one (ordering only): drop the edge.
        // References to absent resources are refused at load unless guarded the same way.
        for i in kept.indices { kept[i].dependencies.removeAll { excluded[$0] != nil } }
        blueprint.resources = kept
        var index: [String: Int] = [:]
        for (i, r) in kept.enumerated() { index[r.name] = i }
        blueprint.resourceIndex = index
    }
}

/// One output's planned change.
public struct OutputChange: Sendable, Hashable {
    /// The output's name in the blueprint's `outputs:`.
    public var name: String
    /// `create`, `update` or `delete`.
    public var action: Action
    /// As recorded (nil for create).
    public var before: Value?
    /// As planned (nil for delete); deferred parts are known after apply.
    public var after: Value?

    /// A change of output `name` from `before` to `after`.
    public init(name: String, action: Action, before: Value?, after: Value?) {
        self.name = name
        self.action = action
        self.before = before
        self.after = after
    }
}

extension TenantPlanner {
    /// The tenant's outputs, evaluated once its resources are planned (what is not known yet
    /// stays deferred), and how they differ from the recorded ones.
    func planOutputs(_ t: TenantSpec, _ bp: Blueprint, _ ev: Evaluator, state: TenantState?, _ plan: inout TenantPlan, _ diags: inout Diagnostics) {
        var outputs: [String: Value] = [:]
        for o in bp.outputs {
            if let w = o.when, !TierSelection.holds(w, t, input.fleet.platform, &diags, address: t.id) { continue }
            do {
                var v = try ev.evaluate(o.value)
                if o.sensitive && !v.isSensitive { v = .sensitive(v) }
                if v != .null { outputs[o.name] = v }
            } catch {
                diags.append(.error("output '\(o.name)': \(error.message)", detail: "tenant '\(t.id)' in \(t.file)", at: o.location, address: t.id))
            }
        }
        plan.outputs = outputs
        plan.outputChanges = Self.outputChanges(from: state?.outputs ?? [:], to: outputs)
    }

    /// Creates, updates and deletes from `before` to `after`, by name.
    static func outputChanges(from before: [String: Value], to after: [String: Value]) -> [OutputChange] {
        if before.isEmpty && after.isEmpty { return [] }  // blueprints without outputs: every tenant, every plan
        var out: [OutputChange] = []
        for name in Set(before.keys).union(after.keys).sorted() {
            switch (before[name], after[name]) {
            case (nil, let a?): out.append(OutputChange(name: name, action: .create, before: nil, after: a))
            case (let b?, nil): out.append(OutputChange(name: name, action: .delete, before: b, after: nil))
            case (let b?, let a?):
                if !a.isKnown || a.revealed != b.revealed || a.isSensitive != b.isSensitive {
                    out.append(OutputChange(name: name, action: .update, before: b, after: a))
                }
            default: break
            }
        }
        return out
    }
}

extension TenantSession {
    /// Records the tenant's outputs as planned, with their deferred parts resolved against the
    /// resources as they now are. An output that cannot be resolved yet (a resource it needs
    /// failed) keeps its recorded value; the next plan shows it again.
    func settleOutputs(_ planned: [String: Value]) async throws {
        let attrs = attributes()
        var out: [String: Value] = [:]
        for (k, v) in planned {
            switch DeferredResolver.resolve(v, { name, path in ResourceOps.lookup(attrs, name, path) }) {
            case .success(let r): out[k] = r
            case .failure: if let old = state.outputs[k] { out[k] = old }
            }
        }
        guard out != state.outputs else { return }
        try await recordOutputs(out)
    }
}

/// A tenant's recorded outputs, for callers of the engine (the CLI's `landlord output`, the
/// onboarding service). Never prints.
public enum TenantOutputs {
    /// The outputs recorded for `tenant`, sensitive ones still marked `.sensitive`; nil when the
    /// tenant has no state.
    public static func load(_ tenant: String, from store: any StateStore) async throws -> [String: Value]? {
        try await store.loadTenant(tenant)?.outputs
    }

    /// The outputs as shown to people and in JSON: sensitive values as `(sensitive)` unless
    /// `showSensitive`.
    public static func displayed(_ outputs: [String: Value], showSensitive: Bool = false) -> [String: Value] {
        outputs.mapValues { showSensitive ? $0.revealed : DisplayValue.redacted($0) }
    }
}
