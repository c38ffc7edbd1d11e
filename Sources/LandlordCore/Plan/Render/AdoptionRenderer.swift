import ProviderAPI

/// An adoption plan (`landlord adopt`) as text, markdown or JSON: per tenant, what is taken over
/// and the key it was found by, then the changes that make it match the spec (tags added,
/// updates, replacements flagged as such). Sensitive values are `(sensitive)`.
///
/// ```
/// = adopt aws.cognito_user_pool "acme/users" (us-east-1_AbC, found by name "acme-users")
/// ~ update aws.cognito_user_pool "acme/users" after adoption: mfa "OFF" -> "OPTIONAL"; + landlord tags
/// ```
public struct AdoptionRenderer: Sendable {
    public var palette: Palette
    public init(palette: Palette = Palette(enabled: false)) { self.palette = palette }

    /// Counts over the whole plan.
    public struct Summary: Sendable, Hashable {
        public var tenants = 0, adopt = 0, tag = 0, update = 0, replace = 0, other = 0
    }

    public static func summary(_ plan: Plan) -> Summary {
        var s = Summary()
        for t in plan.tenants where !t.adoptions.isEmpty {
            s.tenants += 1
            s.adopt += t.adoptions.count
            s.tag += t.adoptions.filter(\.tag).count
            for c in t.changes {
                switch c.action {
                case .update: s.update += 1
                case .replace: s.replace += 1
                default: s.other += 1
                }
            }
        }
        return s
    }

    /// The summary line.
    public static func headline(_ s: Summary) -> String {
        "Adoption: \(s.adopt) resource\(s.adopt == 1 ? "" : "s") of \(s.tenants) tenant\(s.tenants == 1 ? "" : "s") to adopt, "
            + "\(s.tag) to tag, \(s.update) to update after adoption, \(s.replace) to replace."
    }

    /// The lines of one tenant: adoptions, then changes.
    public func lines(_ t: TenantPlan) -> [String] {
        var out: [String] = []
        let adopted = Dictionary(t.adoptions.map { ($0.address, $0) }, uniquingKeysWith: { a, _ in a })
        for a in t.adoptions {
            out.append(palette.bold("= adopt") + " \(a.type) \"\(a.address)\" (\(a.id), found by \(a.keyText))")
        }
        var changed = Set<String>()
        for c in t.changes {
            changed.insert(c.address)
            let after = adopted[c.address] != nil ? " after adoption" : ""
            var parts = [attributeChanges(c)].filter { !$0.isEmpty }
            if adopted[c.address]?.tag == true { parts.append("+ landlord tags") }
            var line = palette.action(c.action, "\(c.action.symbol) \(c.action.rawValue)") + " \(c.type) \"\(c.address)\"\(after)"
            if !parts.isEmpty { line += ": " + parts.joined(separator: "; ") }
            if c.action == .replace { line += palette.magenta(" (requires replacement: \(c.forcedBy.joined(separator: ", ")))") }
            out.append(line)
        }
        for a in t.adoptions where a.tag && !changed.contains(a.address) {
            out.append(palette.yellow("~ tag") + " \(a.type) \"\(a.address)\": + landlord tags")
        }
        return out
    }

    /// `mfa "OFF" -> "OPTIONAL", ttl 60 -> 300`.
    func attributeChanges(_ c: ResourceChange) -> String {
        c.changed.map { k in
            let before = c.before?[k].map(DisplayValue.text) ?? "null"
            let after = c.after?[k].map(DisplayValue.text) ?? (c.computed.contains(k) ? DisplayValue.knownAfterApply : "null")
            return "\(k) \(before) -> \(after)"
        }.joined(separator: ", ")
    }

    public func text(_ plan: Plan) -> String {
        var out: [String] = []
        for t in plan.tenants {
            out.append(palette.bold("Tenant \(t.tenant)") + " (blueprint \(t.blueprint))")
            out.append(contentsOf: lines(t).map { "  " + $0 })
            out.append("")
        }
        out.append(Self.headline(Self.summary(plan)))
        return out.joined(separator: "\n") + "\n"
    }

    public func markdown(_ plan: Plan) -> String {
        var out = ["## Adoption plan", "", Self.headline(Self.summary(plan)), ""]
        for t in plan.tenants {
            out.append("### Tenant `\(t.tenant)` (blueprint `\(t.blueprint)`)")
            out.append("")
            out.append("| | resource | id | found by |")
            out.append("|---|---|---|---|")
            for a in t.adoptions {
                out.append("| adopt | `\(a.type)` `\(a.address)` | `\(a.id)` | \(a.keyText.replacingOccurrences(of: "|", with: "\\|")) |")
            }
            let changes = lines(t).dropFirst(t.adoptions.count)
            if !changes.isEmpty {
                out.append("")
                out.append("```")
                out.append(contentsOf: changes)
                out.append("```")
            }
            out.append("")
        }
        return out.joined(separator: "\n")
    }

    public func json(_ plan: Plan) -> String {
        var tenants: [Value] = []
        for t in plan.tenants {
            let adoptions: [Value] = t.adoptions.map { a in
                .map([
                    "address": .string(a.address), "type": .string(a.type), "id": .string(a.id),
                    "found_by": DisplayValue.redacted(.map(a.foundBy)), "source": .string(a.source), "tag": .bool(a.tag),
                ])
            }
            let changes: [Value] = t.changes.map { c in
                var m: [String: Value] = [
                    "address": .string(c.address), "type": .string(c.type), "action": .string(c.action.rawValue),
                    "reasons": .list(c.reasons.map { .string($0) }),
                ]
                var attrs: [String: Value] = [:]
                for k in c.changed {
                    attrs[k] = .map(["before": DisplayValue.redacted(c.before?[k] ?? .null), "after": DisplayValue.redacted(c.after?[k] ?? .null)])
                }
                m["changed"] = .map(attrs)
                if !c.forcedBy.isEmpty { m["replace_because"] = .list(c.forcedBy.map { .string($0) }) }
                return .map(m)
            }
            tenants.append(
                .map([
                    "tenant": .string(t.tenant), "blueprint": .string(t.blueprint), "adoptions": .list(adoptions), "changes": .list(changes),
                ]))
        }
        let s = Self.summary(plan)
        let doc: Value = .map([
            "format_version": .string(Plan.formatVersion), "kind": "adoption", "tenants": .list(tenants),
            "summary": .map([
                "tenants": .int(s.tenants), "adopt": .int(s.adopt), "tag": .int(s.tag), "update": .int(s.update), "replace": .int(s.replace),
            ]),
        ])
        return JSON.string(doc, sortedKeys: true, pretty: true) + "\n"
    }
}
