import Foundation
import LandlordCore
import ProviderAPI

/// One tenant's drift as a refreshing plan found it: the changes whose reasons say `drift:`.
public struct TenantDrift: Sendable {
    /// The tenant's plan.
    public var tenant: TenantPlan
    /// Its changes caused by drift.
    public var changes: [ResourceChange]

    /// The drift of each tenant of `plan` that has any.
    public static func found(in plan: Plan) -> [TenantDrift] {
        plan.tenants.compactMap { t in
            let changes = t.changes.filter { c in c.reasons.contains { $0.hasPrefix("drift:") } }
            return changes.isEmpty ? nil : TenantDrift(tenant: t, changes: changes)
        }
    }

    /// The changes as events and the service show them: [{address, type, action, attributes, reasons}].
    public var resources: Value {
        .list(
            changes.map { c in
                .map([
                    "address": .string(c.address), "type": .string(c.type), "action": .string(c.action.rawValue),
                    "attributes": .list(c.changed.map { .string($0) }),
                    "reasons": .list(c.reasons.filter { $0.hasPrefix("drift:") }.map { .string($0) }),
                ])
            })
    }

    /// Its `landlord.tenant.drifted` CloudEvent (`data.drift`: ``resources``), nil when the
    /// outbox makes none. Shared by `landlord plan --emit-drift-events` and `landlord serve`.
    public func event(_ outbox: EventOutbox, at now: Date) -> Value? {
        guard
            case .map(var e) = outbox.event(
                tenant: tenant.tenant, blueprint: tenant.blueprint, status: .drifted, reason: nil, outputs: [:], at: now),
            case .map(var data)? = e["data"]
        else { return nil }
        data["drift"] = resources
        data.removeValue(forKey: "outputs")
        e["data"] = .map(data)
        return .map(e)
    }
}
