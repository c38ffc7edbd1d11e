import ProviderAPI

/// Renders a plan for a pull-request comment: warnings for data loss first, a summary table
/// (totals, then changed tenants), then one collapsible block per tenant with its diff. Stays
/// readable at thousands of tenants: table rows and detail blocks are capped, and the comment
/// says how many were left out.
public struct MarkdownRenderer: Sendable {
    /// Most tenant rows in the summary table.
    public var maxTableRows: Int
    /// Most tenants with a detail block.
    public var maxDetails: Int
    /// Most characters of detail blocks (GitHub comments stop at 65,536).
    public var maxBodyCharacters: Int

    public init(maxTableRows: Int = 200, maxDetails: Int = 50, maxBodyCharacters: Int = 50_000) {
        self.maxTableRows = maxTableRows
        self.maxDetails = maxDetails
        self.maxBodyCharacters = maxBodyCharacters
    }

    public func render(_ plan: Plan) -> String {
        let s = plan.summary
        var out = "### Landlord plan: \(s.create) to create, \(s.update) to update, \(s.replace) to replace, \(s.delete) to delete"
        out += (s.retain > 0 ? ", \(s.retain) to retain" : "") + "\n\n"
        if let shard = plan.shard { out += shard.summary + "\n\n" }
        if plan.isEmpty {
            return out + "No changes. \(plan.unchangedTenants) tenant\(plan.unchangedTenants == 1 ? "" : "s") checked.\n" + awaiting(plan)
        }
        // Data loss first.
        var warnings: [String] = []
        for t in plan.tenants {
            for c in t.changes where (c.action == .delete || c.action == .replace) && (c.protect || c.dataBearing || c.deletion != .delete) {
                if let note = Self.policyNote(c) {
                    warnings.append(note)
                    continue
                }
                let what = c.action == .delete ? "deleted" : "replaced"
                warnings.append(
                    """
                    > :warning: **`\(c.address)`** (`\(c.type)`) will be \
                    **\(what)**\(c.protect ? " although it is protected" : ""): the data it holds is lost.
                    """
                )
            }
        }
        if !warnings.isEmpty {
            let shown = warnings.prefix(maxTableRows)
            out += shown.joined(separator: "\n>\n") + "\n"
            if warnings.count > shown.count { out += ">\n> … and \(warnings.count - shown.count) more resources holding data.\n" }
            out += "\n"
        }
        out += "| Tenant | Create | Update | Replace | Delete |\n|---|---:|---:|---:|---:|\n"
        out +=
            """
            | **All \(plan.tenants.count) changed tenant\(plan.tenants.count == 1 ? "" : "s")** | \
            **\(s.create)** | **\(s.update)** | **\(s.replace)** | **\(s.delete)** |\n
            """
        for t in plan.tenants.prefix(maxTableRows) {
            out += "| `\(t.tenant)`\(note(t)) | \(t.count(.create)) | \(t.count(.update)) | \(t.count(.replace)) | \(t.count(.delete)) |\n"
        }
        if plan.tenants.count > maxTableRows { out += "| … \(plan.tenants.count - maxTableRows) more tenants | | | | |\n" }
        if plan.unchangedTenants > 0 { out += "\n\(plan.unchangedTenants) tenant\(plan.unchangedTenants == 1 ? "" : "s") unchanged.\n" }
        out += "\n"
        var body = ""
        var shown = 0
        for t in plan.tenants {
            let block = details(t)
            if shown >= maxDetails || body.count + block.count > maxBodyCharacters { break }
            body += block
            shown += 1
        }
        out += body
        if shown < plan.tenants.count {
            out +=
                """
                _\(plan.tenants.count - shown) more tenant\(plan.tenants.count - shown == 1 ? "" : "s") with \
                changes not shown; run `landlord show PLANFILE` for the full plan._\n
                """
        }
        return out + awaiting(plan)
    }

    /// The tenants awaiting approval, which the plan leaves alone (capped like the table).
    func awaiting(_ plan: Plan) -> String {
        let ids = plan.awaitingApproval
        guard !ids.isEmpty else { return "" }
        let shown = ids.prefix(maxTableRows).map { "`\($0)`" }.joined(separator: ", ")
        return
            """
            \n**Awaiting approval** (not planned, nothing applied): \
            \(shown)\(ids.count > maxTableRows ? ", … \(ids.count - maxTableRows) more" : "").\n
            """
                + "Approve with `landlord tenant approve ID` (or `POST /v1/tenants/ID/approve` while `landlord serve` runs).\n"
    }

    func note(_ t: TenantPlan) -> String {
        switch t.operation {
        case .provision: return t.lineage == nil ? " (new)" : ""
        case .remove: return " (removed)"
        case .destroy: return " (destroy)"
        }
    }

    func details(_ t: TenantPlan) -> String {
        var parts: [String] = []
        for a in [Action.create, .update, .replace, .delete] where t.count(a) > 0 { parts.append("\(t.count(a)) to \(a.rawValue)") }
        if !t.outputChanges.isEmpty { parts.append("\(t.outputChanges.count) output change\(t.outputChanges.count == 1 ? "" : "s")") }
        var out = "<details><summary><b>\(t.tenant)</b>\(note(t)): \(parts.joined(separator: ", "))</summary>\n\n```diff\n"
        let text = TextRenderer(palette: Palette(enabled: false))
        for c in t.changes {
            // The text rendering, with diff markers in the first column for GitHub's highlighting.
            for line in text.change(c).split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
                let trimmed = line.drop { $0 == " " }
                let marker: Character =
                    trimmed.hasPrefix("-/+") ? "!" : trimmed.hasPrefix("+") ? "+" : trimmed.hasPrefix("-") ? "-" : trimmed.hasPrefix("~") ? "!" : " "
                out += String(marker) + String(line.dropFirst()) + "\n"
            }
        }
        if !t.outputChanges.isEmpty {
            for line in text.outputs(t.outputChanges).split(separator: "\n") {
                let trimmed = line.drop { $0 == " " }
                let marker: Character = trimmed.hasPrefix("+") ? "+" : trimmed.hasPrefix("-") ? "-" : trimmed.hasPrefix("~") ? "!" : " "
                out += String(marker) + String(line.dropFirst()) + "\n"
            }
        }
        out += "```\n\n</details>\n\n"
        return out
    }
}
