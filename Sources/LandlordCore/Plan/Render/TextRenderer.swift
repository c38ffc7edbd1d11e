import ProviderAPI

/// Renders a plan as text in the manner of Terraform: `+` create, `~` update, `-/+` replace,
/// `-` delete, attribute lines, and a closing `Plan: ...` line.
public struct TextRenderer: Sendable {
    public var palette: Palette
    /// A fleet's plan in brief: when set and the plan has more tenants than its `above`, only the
    /// first `inFull` tenants are rendered in full and the others one line each (what each
    /// creates, updates, replaces and deletes), then `hint` (how to see every change). Nil
    /// (the default): every tenant in full.
    public var brief: Brief?

    /// When and how a large plan is rendered in brief (``TextRenderer/brief``).
    public struct Brief: Sendable {
        /// Plans of more tenants than this are rendered in brief.
        public var above: Int
        /// The tenants rendered in full, from the first.
        public var inFull: Int
        /// The line that says how to see the rest, e.g. "`landlord plan --full` shows every change".
        public var hint: String
        public init(above: Int, inFull: Int, hint: String) {
            self.above = above
            self.inFull = inFull
            self.hint = hint
        }
    }

    public init(palette: Palette = Palette(enabled: false), brief: Brief? = nil) {
        self.palette = palette
        self.brief = brief
    }

    public func render(_ plan: Plan) -> String {
        var out = ""
        render(plan) { out += $0 }
        return out
    }

    /// Renders `plan` in pieces, handing each to `write` as it is made: the header, one piece
    /// per tenant, then the closing line. The pieces joined are `render(plan)`; a caller that
    /// writes each out at once never holds the text of a large plan whole.
    public func render(_ plan: Plan, into write: (String) -> Void) {
        let head = plan.shard.map { $0.summary + "\n" } ?? ""
        if plan.isEmpty {
            var out = head + palette.green("No changes.") + " The specs and the recorded state match"
            out += plan.unchangedTenants > 0 ? " (\(plan.unchangedTenants) tenant\(plan.unchangedTenants == 1 ? "" : "s") checked).\n" : ".\n"
            write(out + awaiting(plan) + held(plan))
            return
        }
        var out = head
        // Drift first, on lines of its own: what changed outside Landlord since the last apply.
        let drifted = plan.tenants.flatMap(\.changes).filter { c in c.reasons.contains { $0.hasPrefix("drift:") } }
        if !drifted.isEmpty {
            out += palette.bold("Objects have changed outside of Landlord:") + "\n"
            for c in drifted {
                for r in c.reasons where r.hasPrefix("drift:") { out += "  " + palette.yellow("~") + " \(c.address): \(r.dropFirst(7))\n" }
            }
            out += "The plan below puts them back as the specs say.\n\n"
        }
        out += "Landlord will perform the following actions:\n"
        write(out)
        let inFull = brief.flatMap { plan.tenants.count > $0.above ? $0.inFull : nil } ?? plan.tenants.count
        for t in plan.tenants.prefix(inFull) {
            var piece = "\n" + palette.bold("Tenant \(t.tenant)") + " (" + tenantLine(t) + ")\n"
            for c in t.changes { piece += "\n" + change(c) }
            if !t.outputChanges.isEmpty { piece += "\n" + outputs(t.outputChanges) }
            write(piece)
        }
        if inFull < plan.tenants.count, let brief {
            let rest = plan.tenants.count - inFull
            write("\n" + palette.bold("The other \(rest) tenant\(rest == 1 ? "" : "s"), one line each") + " (\(brief.hint)):\n")
            for t in plan.tenants.dropFirst(inFull) { write(briefLine(t)) }
        }
        let s = plan.summary
        var tail = "\n" + palette.bold("Plan:") + " \(s.create) to create, \(s.update) to update, \(s.replace) to replace, \(s.delete) to delete."
        let outputs = plan.tenants.reduce(0) { $0 + $1.outputChanges.count }
        if outputs > 0 { tail += " \(outputs) output change\(outputs == 1 ? "" : "s")." }
        if s.retain > 0 { tail += " \(s.retain) to retain (deletion: retain)." }
        if plan.unchangedTenants > 0 { tail += " \(plan.unchangedTenants) tenant\(plan.unchangedTenants == 1 ? "" : "s") unchanged." }
        write(tail + "\n" + awaiting(plan) + held(plan))
    }

    /// The tenants held after a rollout (``HeldTenant``), which the plan leaves alone until their
    /// spec changes, and how to release them; nothing when there are none.
    public func held(_ plan: Plan) -> String {
        guard !plan.held.isEmpty else { return "" }
        var out = "\n" + palette.yellow("Held:") + " \(plan.held.count) tenant\(plan.held.count == 1 ? "" : "s") not planned after a rollout:\n"
        for h in plan.held.sorted(by: { $0.tenant < $1.tenant }).prefix(20) { out += "  \(h.tenant): \(h.summary)\n" }
        if plan.held.count > 20 { out += "  ... (\(plan.held.count - 20) more: `landlord rollout status`)\n" }
        return out + "  Change the tenant's file or blueprint to apply it again, or `landlord rollout release TENANT` (or --all).\n"
    }

    /// The tenants awaiting approval (`approval: pending`), which the plan leaves alone, and
    /// how to approve them; nothing when there are none.
    public func awaiting(_ plan: Plan) -> String {
        let ids = plan.awaitingApproval
        guard !ids.isEmpty else { return "" }
        let listed = ids.prefix(20).joined(separator: ", ") + (ids.count > 20 ? ", ... (\(ids.count - 20) more)" : "")
        let who = ids.count == 1 ? ids[0] : "ID"
        return "\n" + palette.yellow("Awaiting approval:") + " \(listed) (`approval: pending`: not planned until approved).\n"
            + "  Approve with `landlord tenant approve \(who)`, or POST /v1/tenants/\(who)/approve while `landlord serve` runs.\n"
    }

    /// `  + t6 (new, blueprint web): 14 to create`: a tenant of a plan in brief.
    func briefLine(_ t: TenantPlan) -> String {
        var counts: [Action: Int] = [:]
        for c in t.changes { counts[c.action, default: 0] += 1 }
        var parts: [String] = []
        for (action, verb) in [(Action.create, "create"), (.update, "update"), (.replace, "replace"), (.delete, "delete")] {
            if let n = counts[action] { parts.append("\(n) to \(verb)") }
        }
        if !t.outputChanges.isEmpty { parts.append("\(t.outputChanges.count) output change\(t.outputChanges.count == 1 ? "" : "s")") }
        let action: Action = t.operation != .provision ? .delete : t.lineage == nil ? .create : .update
        let symbol = action == .create ? "+" : action == .delete ? "-" : "~"
        return "  " + palette.action(action, symbol) + " \(t.tenant) (\(tenantLine(t))): " + parts.joined(separator: ", ") + "\n"
    }

    func tenantLine(_ t: TenantPlan) -> String {
        switch t.operation {
        case .provision: return t.lineage == nil ? "new, blueprint \(t.blueprint)" : "blueprint \(t.blueprint)"
        case .remove: return "tenant file removed: every resource is deleted"
        case .destroy: return "destroy: every resource is deleted"
        }
    }

    /// `Changes to outputs:` then one line per output: `+ output url = "..."`,
    /// `~ output url = "old" -> "new"`, `- output url = "old"`.
    public func outputs(_ changes: [OutputChange]) -> String {
        var out = "  Changes to outputs:\n"
        let width = changes.map(\.name.count).max() ?? 0
        for o in changes {
            let name = o.name + String(repeating: " ", count: width - o.name.count)
            let sym = o.action == .delete ? "-" : o.action == .create ? "+" : "~"
            var line = "output \(name) = "
            switch o.action {
            case .create: line += DisplayValue.text(o.after ?? .null)
            case .delete: line += DisplayValue.text(o.before ?? .null)
            default: line += DisplayValue.text(o.before ?? .null) + " -> " + DisplayValue.text(o.after ?? .null)
            }
            out += "    " + palette.action(o.action, sym) + " " + line + "\n"
        }
        return out
    }

    public func change(_ c: ResourceChange) -> String {
        if c.action == .delete && c.deletion == .retain { return retained(c) }
        let verb: String
        switch c.action {
        case .create: verb = "will be created"
        case .update: verb = "will be updated in place"
        case .replace: verb = "must be replaced"
        case .delete: verb = c.deletion == .snapshot ? "will be exported, then destroyed (deletion: snapshot)" : "will be destroyed"
        default: verb = "is unchanged"
        }
        var out = "  # \(palette.bold(c.address)) \(verb)"
        if !c.reasons.isEmpty { out += " (" + c.reasons.joined(separator: "; ") + ")" }
        out += "\n"
        let sym = c.action.symbol
        out += palette.action(c.action, sym.count == 1 ? "  \(sym)" : sym) + " resource \"\(c.type)\" \"\(c.address)\" {\n"
        var lines: [(String, String)] = []
        let before = c.before ?? [:]
        let after = c.after ?? [:]
        var hidden = 0
        switch c.action {
        case .create:
            for k in Set(after.keys).union(c.computed).sorted() {
                lines.append(("+", "\(k) = \(DisplayValue.text(after[k] ?? .unknown))"))
            }
        case .delete:
            for k in before.keys.sorted() { lines.append(("-", "\(k) = \(DisplayValue.text(before[k]!))")) }
        case .update, .replace:
            for k in Set(after.keys).union(before.keys).union(c.computed).sorted() {
                let changedAttr = c.changed.contains(k)
                let computedAttr = c.action == .replace && c.computed.contains(k)
                guard changedAttr || computedAttr else {
                    hidden += 1
                    continue
                }
                let old = before[k]
                let new = computedAttr ? Value.unknown : after[k]
                var line: String
                switch (old, new) {
                case (nil, let n?):
                    line = "\(k) = \(DisplayValue.text(n))"
                    lines.append(("+", line))
                    continue
                case (let o?, nil): line = "\(k) = \(DisplayValue.text(o)) -> null"
                case (let o?, let n?): line = "\(k) = \(DisplayValue.text(o)) -> \(DisplayValue.text(n))"
                default: continue
                }
                if c.forcedBy.contains(k) { line += palette.red(" # forces replacement") }
                lines.append(("~", line))
            }
        default: break
        }
        let width = lines.map { $0.1.split(separator: "=", maxSplits: 1).first?.count ?? 0 }.max() ?? 0
        for (s, l) in lines {
            let parts = l.split(separator: "=", maxSplits: 1).map(String.init)
            // (Foundation's `padding(toLength:)` was a seventh of a 1,000-tenant plan.)
            let padded = parts.count == 2 ? parts[0] + String(repeating: " ", count: max(0, width - parts[0].count)) + "=" + parts[1] : l
            out += "      " + palette.action(s == "+" ? .create : s == "-" ? .delete : .update, s) + " " + padded + "\n"
        }
        if hidden > 0 { out += palette.dim("        (\(hidden) unchanged attribute\(hidden == 1 ? "" : "s") hidden)") + "\n" }
        out += "    }\n"
        return out
    }
}
