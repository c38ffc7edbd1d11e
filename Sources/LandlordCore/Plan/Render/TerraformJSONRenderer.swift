import Foundation
import ProviderAPI

/// Renders a plan in Terraform's JSON plan format (`terraform show -json`, `format_version`
/// 1.2), so that review tools written for Terraform's plans (Checkov, OPA/conftest, Trivy,
/// Infracost) read Landlord's: `landlord plan --format terraform-json`.
///
/// A tenant is an instance of a module called `tenant`: `module.tenant["acme"].aws_lb_target_group.backend_tg`.
/// Types and attributes take the shapes their providers declare (``TerraformShape``), a
/// `landlord_*` name otherwise. Sensitive values are marked in `before_sensitive`,
/// `after_sensitive` and `sensitive_values` and left out of the values (Terraform writes them in
/// clear); unknown ones are marked in `after_unknown` and left out, as Terraform does.
///
/// What a Landlord plan does not hold is not invented: `prior_state` and `planned_values` list
/// the resources the plan changes (a plan records only changes); `resource_drift` says which
/// resources drifted and how they are now, with `before` null (the plan keeps what the refresh
/// read, not what was recorded). docs/review-tools.md has the whole mapping.
///
/// The document is written a tenant at a time, section by section: a caller that writes each
/// piece out at once never holds the text of a large plan whole.
public struct TerraformJSONRenderer: Sendable {
    /// The `format_version` written.
    public static let formatVersion = "1.2"
    /// The oldest Terraform whose `show -json` writes every key this renderer does (`applyable`
    /// and `complete` came in 1.8).
    public static let terraformFormatRelease = "1.8.0"
    /// `terraform_version`: not a Terraform release, so not a bare one. A semantic version whose
    /// precedence is that of the Terraform release whose format is written, and whose build
    /// metadata says who wrote it: `1.8.0+landlord.0.1.0`. Tools that check it compare it as 1.8.0.
    public static var terraformVersion: String { terraformFormatRelease + "+landlord." + LandlordVersion.current }

    /// The shape of a Landlord resource type.
    public var shape: @Sendable (String) -> TerraformShape

    /// A renderer; `shape` gives each type's shape (``TerraformShape/fallback(_:schema:)`` for
    /// types no Terraform provider has).
    public init(shape: @escaping @Sendable (String) -> TerraformShape = { TerraformShape.fallback($0) }) {
        self.shape = shape
    }

    /// The whole document as one string.
    public func render(_ plan: Plan) -> String {
        var out = ""
        render(plan) { out += $0 }
        return out
    }

    /// Renders `plan` in pieces, handing each to `write` as it is made: the header, then for each
    /// section one piece per tenant. The pieces joined are one JSON document.
    public func render(_ plan: Plan, into write: (String) -> Void) {
        let version = Self.terraformVersion
        let complete = plan.awaitingApproval.isEmpty && plan.shard == nil
        write(
            "{\"format_version\":\(quoted(Self.formatVersion)),\"terraform_version\":\(quoted(version)),"
                + "\"applyable\":\(!plan.isEmpty),\"complete\":\(complete),\"errored\":false,"
                + "\"timestamp\":\(quoted(Self.timestamp(plan.createdAt))),\n")

        // prior_state: the resources the plan changes, as recorded.
        write("\"prior_state\":{\"format_version\":\"1.0\",\"terraform_version\":\(quoted(version)),\"values\":{\"root_module\":{\"child_modules\":[")
        var first = true
        for t in plan.tenants {
            let resources = t.changes.compactMap { c in c.before.map { stateResource(c, $0) } }
            guard !resources.isEmpty else { continue }
            write((first ? "\n" : ",\n") + module(t.tenant, resources))
            first = false
        }
        write("]}}},\n")

        // planned_values: tenant outputs, and the resources as they will be (deletes left out).
        write("\"planned_values\":{\"outputs\":{")
        first = true
        for t in plan.tenants where !t.outputs.isEmpty {
            var piece = ""
            for name in t.outputs.keys.sorted() {
                let v = t.outputs[name]!
                var o: [String: Value] = ["sensitive": .bool(v.isSensitive)]
                if let known = TerraformJSONValues.known(v) { o["value"] = known }
                piece += (first ? "\n" : ",\n") + quoted(outputName(t.tenant, name)) + ":" + json(.map(o))
                first = false
            }
            write(piece)
        }
        write("},\"root_module\":{\"child_modules\":[")
        first = true
        for t in plan.tenants {
            let resources = t.changes.compactMap { c in c.action == .delete ? nil : plannedResource(c) }
            guard !resources.isEmpty else { continue }
            write((first ? "\n" : ",\n") + module(t.tenant, resources))
            first = false
        }
        write("]}},\n")

        // resource_drift: what changed outside Landlord, as the refresh read it.
        write("\"resource_drift\":[")
        first = true
        for t in plan.tenants {
            var piece = ""
            for c in t.changes {
                guard let entry = drift(c) else { continue }
                piece += (first ? "\n" : ",\n") + json(entry)
                first = false
            }
            if !piece.isEmpty { write(piece) }
        }
        write("],\n")

        // resource_changes, noting what configuration needs on the way.
        write("\"resource_changes\":[")
        first = true
        var providers: [String: String] = [:]
        var blueprints: [String: [String: TerraformShape]] = [:]
        for t in plan.tenants {
            var piece = ""
            for c in t.changes {
                let s = shape(c.type)
                providers[Self.localName(s)] = s.providerName
                if c.action != .delete, !t.blueprint.isEmpty { blueprints[t.blueprint, default: [:]][c.name] = s }
                piece += (first ? "\n" : ",\n") + json(resourceChange(c, t, s))
                first = false
            }
            if !piece.isEmpty { write(piece) }
        }
        write("],\n")

        write("\"output_changes\":{")
        first = true
        for t in plan.tenants where !t.outputChanges.isEmpty {
            var piece = ""
            for o in t.outputChanges {
                piece += (first ? "\n" : ",\n") + quoted(outputName(t.tenant, o.name)) + ":" + json(outputChange(o))
                first = false
            }
            write(piece)
        }
        write("},\n")
        write("\"configuration\":" + json(configuration(providers, blueprints)) + "}\n")
    }

    // MARK: Pieces

    /// `module.tenant["acme"]`.
    static func moduleAddress(_ tenant: String) -> String { "module.tenant[" + JSON.string(.string(tenant)) + "]" }

    /// The provider's local name: the Terraform type's prefix (`aws` of `aws_lb_target_group`).
    static func localName(_ s: TerraformShape) -> String { String(s.type.prefix { $0 != "_" }) }

    func outputName(_ tenant: String, _ name: String) -> String { Self.moduleAddress(tenant) + "." + name }

    func module(_ tenant: String, _ resources: [Value]) -> String {
        json(.map(["address": .string(Self.moduleAddress(tenant)), "resources": .list(resources)]))
    }

    func resourceHead(_ c: ResourceChange, _ s: TerraformShape) -> [String: Value] {
        [
            "address": .string(Self.moduleAddress(c.tenant) + "." + s.type + "." + c.name), "mode": "managed", "type": .string(s.type),
            "name": .string(c.name), "provider_name": .string(s.providerName),
        ]
    }

    func stateResource(_ c: ResourceChange, _ before: [String: Value]) -> Value {
        let s = shape(c.type)
        let values = s.terraformValues(before)
        var r = resourceHead(c, s)
        r["schema_version"] = 0
        r["values"] = TerraformJSONValues.known(.map(values)) ?? .map([:])
        r["sensitive_values"] = TerraformJSONValues.sensitiveMask(.map(values))
        return .map(r)
    }

    func plannedResource(_ c: ResourceChange) -> Value? {
        let s = shape(c.type)
        guard let after = after(c, s) else { return nil }
        let values = s.terraformValues(after)
        var r = resourceHead(c, s)
        r["schema_version"] = 0
        r["values"] = TerraformJSONValues.known(.map(values)) ?? .map([:])
        r["sensitive_values"] = TerraformJSONValues.sensitiveMask(.map(values))
        return .map(r)
    }

    /// The Landlord attributes after the change: computed ones unknown when the resource is
    /// created, their recorded values kept by an in-place update.
    func after(_ c: ResourceChange, _ s: TerraformShape) -> [String: Value]? {
        guard var after = c.after else { return nil }
        switch c.action {
        case .create, .replace:
            for k in c.computed where after[k] == nil { after[k] = .unknown }
        case .update:
            for k in s.computed where after[k] == nil { if let v = c.before?[k] { after[k] = v } }
        default: break
        }
        return after
    }

    /// Terraform's `actions`: a replacement's order is the type's.
    static func actions(_ c: ResourceChange) -> [Value] {
        switch c.action {
        case .create: return ["create"]
        case .update: return ["update"]
        case .replace: return c.createBeforeDestroy ? ["create", "delete"] : ["delete", "create"]
        case .delete: return c.deletion == .retain ? ["forget"] : ["delete"]  // Terraform 1.7's `removed {destroy = false}`
        case .noop: return ["no-op"]
        }
    }

    /// Terraform's `action_reason` where it has one.
    static func actionReason(_ c: ResourceChange, _ t: TenantPlan) -> String? {
        switch c.action {
        case .replace: return "replace_because_cannot_update"
        case .delete where t.operation == .remove: return "delete_because_no_module"
        case .delete where t.operation == .provision && c.reasons.contains(where: { $0.hasPrefix("not part of this tenant") }):
            return "delete_because_no_resource_config"
        default: return nil
        }
    }

    func resourceChange(_ c: ResourceChange, _ t: TenantPlan, _ s: TerraformShape) -> Value {
        let before = c.before.map(s.terraformValues)
        let after = after(c, s).map(s.terraformValues)
        var change: [String: Value] = [
            "actions": .list(Self.actions(c)),
            "before": before.flatMap { TerraformJSONValues.known(.map($0)) } ?? .null,
            "after": after.flatMap { TerraformJSONValues.known(.map($0)) } ?? .null,
            "after_unknown": TerraformJSONValues.afterUnknown(after),
            "before_sensitive": TerraformJSONValues.sensitiveOrFalse(before),
            "after_sensitive": TerraformJSONValues.sensitiveOrFalse(after),
        ]
        if c.action == .replace, !c.forcedBy.isEmpty {
            var seen = Set<[Value]>()
            change["replace_paths"] = .list(c.forcedBy.map { s.path(of: $0) }.filter { seen.insert($0).inserted }.map { .list($0) })
        }
        var r = resourceHead(c, s)
        r["module_address"] = .string(Self.moduleAddress(c.tenant))
        r["change"] = .map(change)
        if let reason = Self.actionReason(c, t) { r["action_reason"] = .string(reason) }
        return .map(r)
    }

    /// A `resource_drift` entry for a change the refresh explains: deleted outside Landlord, or
    /// attributes changed outside it (`after` as read; `before` null, not recorded in the plan).
    func drift(_ c: ResourceChange) -> Value? {
        guard c.reasons.contains(where: { $0.hasPrefix("drift:") }) else { return nil }
        let s = shape(c.type)
        let deleted = c.before == nil
        let now = deleted ? nil : c.before.map(s.terraformValues)
        var r = resourceHead(c, s)
        r["module_address"] = .string(Self.moduleAddress(c.tenant))
        r["change"] = .map([
            "actions": deleted ? ["delete"] : ["update"], "before": .null,
            "after": now.flatMap { TerraformJSONValues.known(.map($0)) } ?? .null,
            "after_unknown": .map([:]), "before_sensitive": .bool(false), "after_sensitive": TerraformJSONValues.sensitiveOrFalse(now),
        ])
        return .map(r)
    }

    func outputChange(_ o: OutputChange) -> Value {
        let actions: [Value]
        switch o.action {
        case .create: actions = ["create"]
        case .delete: actions = ["delete"]
        case .noop: actions = ["no-op"]
        default: actions = ["update"]
        }
        return .map([
            "actions": .list(actions),
            "before": o.before.flatMap(TerraformJSONValues.known) ?? .null,
            "after": o.after.flatMap(TerraformJSONValues.known) ?? .null,
            "after_unknown": o.after.map(TerraformJSONValues.unknownMask) ?? .bool(false),
            "before_sensitive": .bool(o.before?.isSensitive ?? false),
            "after_sensitive": .bool(o.after?.isSensitive ?? false),
        ])
    }

    /// `provider_config` for the providers the plan's resources use; one `module_calls` entry per
    /// blueprint, listing the blueprint's resources the plan creates or changes.
    func configuration(_ providers: [String: String], _ blueprints: [String: [String: TerraformShape]]) -> Value {
        var calls: [String: Value] = [:]
        for (name, resources) in blueprints {
            let list: [Value] = resources.keys.sorted().map { r in
                let s = resources[r]!
                return .map([
                    "address": .string(s.type + "." + r), "mode": "managed", "type": .string(s.type), "name": .string(r),
                    "provider_config_key": .string(Self.localName(s)), "schema_version": 0,
                ])
            }
            calls[name] = .map(["source": .string("./blueprints/\(name).yaml"), "module": .map(["resources": .list(list)])])
        }
        return .map([
            "provider_config": .map(
                providers.mapValues { .map(["name": .string(String($0.split(separator: "/").last ?? "")), "full_name": .string($0)]) }),
            "root_module": .map(["module_calls": .map(calls)]),
        ])
    }

    func json(_ v: Value) -> String { JSON.string(v, sortedKeys: true) }
    func quoted(_ s: String) -> String { JSON.string(.string(s)) }

    /// RFC 3339 in UTC, as Terraform writes `timestamp`.
    static func timestamp(_ date: Date) -> String {
        StateDates.seconds(date)
    }
}
