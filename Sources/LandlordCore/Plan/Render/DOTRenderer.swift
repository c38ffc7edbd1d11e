import ProviderAPI

/// A blueprint's dependency graph in Graphviz DOT (`landlord graph`): one node per resource
/// (`name` over its type), an edge from each resource to each one it depends on (references and
/// `dependsOn`), as Terraform's graph draws them. For one tenant, only the resources its `when:`
/// conditions keep; for a blueprint, every resource, those with `when:` dashed and labelled.
///
/// Given a plan, nodes are coloured by their planned action (green create, amber update, purple
/// replace, red delete; unchanged grey), a resource the plan deletes that the blueprint no
/// longer has is drawn too, and over a blueprint each node says how many tenants get each action.
public struct DOTRenderer: Sendable {
    public init() {}

    /// The graph of `blueprint`; `tenant`: only that tenant's resources; `plans`: the tenants'
    /// parts of a plan whose actions colour the nodes.
    public func render(blueprint: Blueprint, tenant: TenantSpec? = nil, platform: PlatformSpec, plans: [TenantPlan] = []) -> String {
        var bp = blueprint
        var excluded: [String: WhenClause] = [:]
        if let tenant {
            let selection = TierSelection(blueprint, for: tenant, platform: platform)
            bp = selection.blueprint
            excluded = selection.excluded
        }
        // Per resource name: how many tenants get each action.
        var actions: [String: [Action: Int]] = [:]
        var deletedTypes: [String: String] = [:]
        for t in plans {
            for c in t.changes {
                actions[c.name, default: [:]][c.action, default: 0] += 1
                if c.action == .delete, bp.resourceIndex[c.name] == nil, excluded[c.name] == nil { deletedTypes[c.name] = c.type }
            }
        }
        let title = tenant.map { "tenant \($0.id) (blueprint \(blueprint.name))" } ?? "blueprint \(blueprint.name)"
        var out = "digraph landlord {\n"
        out += "  label=\(Self.quoted(title + (plans.isEmpty ? "" : ": planned actions"))); labelloc=t; rankdir=RL; fontname=\"Helvetica\";\n"
        out += "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", fontname=\"Helvetica\"];\n"
        for r in bp.resources {
            var label = r.name + "\n" + r.type
            var style = "rounded,filled"
            if let w = r.when, tenant == nil {
                label += "\nwhen: " + w.text
                style = "rounded,filled,dashed"
            }
            var fill = "#ffffff"
            if !plans.isEmpty {
                let counts = actions[r.name] ?? [:]
                fill = Self.colour(Self.strongest(counts))
                if tenant == nil, !counts.isEmpty { label += "\n" + Self.summary(counts) }
            }
            out += "  \(Self.quoted(r.name)) [label=\(Self.quoted(label)), style=\(Self.quoted(style)), fillcolor=\(Self.quoted(fill))];\n"
        }
        for name in deletedTypes.keys.sorted() {
            let counts = actions[name] ?? [:]
            var label = name + "\n" + deletedTypes[name]! + "\n(no longer in the blueprint)"
            if tenant == nil { label += "\n" + Self.summary(counts) }
            out +=
                "  \(Self.quoted(name)) [label=\(Self.quoted(label)), style=\"rounded,filled,dashed\", "
                + "fillcolor=\(Self.quoted(Self.colour(.delete)))];\n"
        }
        for r in bp.resources {
            for d in r.dependencies where bp.resourceIndex[d] != nil {
                out += "  \(Self.quoted(r.name)) -> \(Self.quoted(d));\n"
            }
        }
        if !plans.isEmpty {
            out += "  subgraph cluster_legend { label=\"legend\"; fontsize=10;\n"
            for a in [Action.create, .update, .replace, .delete, .noop] {
                let name = a == .noop ? "unchanged" : a.rawValue
                out += "    \(Self.quoted("legend-" + name)) [label=\(Self.quoted(name)), fillcolor=\(Self.quoted(Self.colour(a)))];\n"
            }
            out += "  }\n"
        }
        return out + "}\n"
    }

    /// The action that says most about a node: delete, replace, update, create, else none.
    static func strongest(_ counts: [Action: Int]) -> Action {
        for a in [Action.delete, .replace, .update, .create] where (counts[a] ?? 0) > 0 { return a }
        return .noop
    }

    static func colour(_ a: Action) -> String {
        switch a {
        case .create: return "#b7e1a1"
        case .update: return "#ffe08a"
        case .replace: return "#d7b5f0"
        case .delete: return "#f4a3a3"
        case .noop: return "#eeeeee"
        }
    }

    /// `2 create, 1 replace`.
    static func summary(_ counts: [Action: Int]) -> String {
        [Action.create, .update, .replace, .delete].compactMap { a in counts[a].map { "\($0) \(a.rawValue)" } }.joined(separator: ", ")
    }

    /// A DOT string: quoted, with quotes and backslashes escaped and newlines as `\n`.
    static func quoted(_ s: String) -> String {
        var out = "\""
        for ch in s {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.append(ch)
            }
        }
        return out + "\""
    }
}
