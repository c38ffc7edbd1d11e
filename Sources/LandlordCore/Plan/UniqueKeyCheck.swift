import Foundation
import ProviderAPI

/// The plan-time check of unique keys (`ResourceSchema.uniqueKeys`): the attributes whose
/// values name a resource uniquely in its account (a target group's name, a table and key).
/// Two resources claiming the same values, in two tenants or in one, cannot both exist: the
/// second create fails at apply, after the first tenant's resources are made. The plan says so
/// first, with an error naming both addresses.
///
/// Only what the plan creates or changes is checked (an unchanged resource already holds its
/// key), against every other resource the plan creates or changes and every resource recorded
/// in the states it read, except those the plan deletes or moves to another key. Values not
/// known until apply (references to computed attributes) are not compared. A plan that creates
/// or changes no resource of a type with unique keys costs nothing.
enum UniqueKeyCheck {
    /// One error per address whose unique key another address already claims.
    static func check(_ plan: Plan, states: [String: TenantState], schemas: [String: ResourceSchema]) -> [Diagnostic] {
        // Keys claimed by the plan's creates, updates and replacements, in plan order.
        var claims: [(key: String, change: ResourceChange)] = []
        var moved = Set<String>()  // addresses whose recorded key the plan gives up
        for t in plan.tenants {
            for c in t.changes {
                guard let keys = schemas[c.type]?.uniqueKeys, !keys.isEmpty else { continue }
                switch c.action {
                case .create, .update, .replace:
                    moved.insert(c.address)
                    if let after = c.after, let key = key(c.type, keys, after) { claims.append((key, c)) }
                case .delete:
                    moved.insert(c.address)
                default: break
                }
            }
        }
        guard !claims.isEmpty else { return [] }
        // Only the types the plan claims keys of are looked up in state; no sorting (a key held
        // twice in state names the smaller address, so messages do not depend on hash order).
        let claimed = Set(claims.map(\.change.type))
        var holder: [String: String] = [:]  // key -> the address that holds it
        for (tenant, s) in states {
            // A deposed object (NAME#deposed) is on its way out: it claims nothing.
            for (name, r) in s.resources where claimed.contains(r.type) && !name.contains("#") {
                guard let keys = schemas[r.type]?.uniqueKeys, !keys.isEmpty else { continue }
                let address = tenant + "/" + name
                guard !moved.contains(address), let key = key(r.type, keys, r.inputs) else { continue }
                if let held = holder[key], held < address { continue }
                holder[key] = address
            }
        }
        var diagnostics: [Diagnostic] = []
        for (key, c) in claims {
            if let other = holder[key], other != c.address {
                let keys = schemas[c.type]?.uniqueKeys ?? []
                let values = keys.map { k in "\(k) \(describe(c.after?[k]))" }.joined(separator: ", ")
                diagnostics.append(
                    .error(
                        "\(c.address) and \(other) claim the same unique key of \(c.type) (\(values))",
                        detail: "no two \(c.type) resources may share \(keys.joined(separator: " and ")): the second create would fail at apply; "
                            + "give one of them another value (in its blueprint or tenant parameters) and plan again",
                        address: c.address))
            } else {
                holder[key] = c.address
            }
        }
        return diagnostics
    }

    /// `TYPE` and the key attributes' values, or nil when one is unset or not known until apply.
    static func key(_ type: String, _ keys: [String], _ inputs: [String: Value]) -> String? {
        var parts: [Value] = [.string(type)]
        for k in keys {
            guard let v = inputs[k], v != .null, v.isKnown else { return nil }
            parts.append(v.revealed)
        }
        return JSON.string(.list(parts))
    }

    static func describe(_ v: Value?) -> String {
        guard let v else { return "unset" }
        if v.isSensitive { return "(sensitive)" }
        return JSON.string(v.revealed)
    }
}
