import Foundation
import LandlordCore
import ProviderAPI

extension ErrorBody {
    /// `{"error": {"code", "message", "diagnostics"}}`: the body of an error answer.
    public var envelope: Value { .map(["error": ErrorBody.value(self)]) }

    /// The error as the API shows it: `{"code", "message", "diagnostics"}`.
    public static func value(_ e: ErrorBody) -> Value {
        .map([
            "code": .string(e.code), "message": .string(e.message),
            "diagnostics": .list(
                e.diagnostics.map { d in
                    var m: [String: Value] = ["severity": .string(d.severity), "message": .string(d.message)]
                    if let v = d.detail { m["detail"] = .string(v) }
                    if let v = d.file { m["file"] = .string(v) }
                    if let v = d.line { m["line"] = .int(v) }
                    if let v = d.column { m["column"] = .int(v) }
                    if let v = d.address { m["address"] = .string(v) }
                    if let v = d.parameter { m["parameter"] = .string(v) }
                    return .map(m)
                }),
        ])
    }
}

/// A tenant's outputs as the service shows and announces them: the blueprint's `outputs:` as
/// computed at the tenant's last apply (sensitive ones marked, so shown as `(sensitive)` and
/// left out of events).
func tenantOutputs(_ state: TenantState) -> [String: Value] {
    state.outputs
}

extension TenantRecord {
    /// The tenant as `GET /v1/tenants/{id}` answers it, with what its state records.
    func view(_ state: TenantState?) -> Value {
        let r = self
        var m: [String: Value] = [
            "id": .string(r.id), "blueprint": .string(r.blueprint), "status": .string(r.status.rawValue),
            "parameters": (try? JSON.parse(r.parametersJSON)) ?? .map([:]),
            "outputs": .map((state.map(tenantOutputs) ?? [:]).mapValues(TenantDocument.shown)),
            "resources": .int(state?.resources.count ?? 0),
            "createdAt": .string(StateDates.seconds(r.createdAt)),
            "history": .list(
                r.history.map { h in
                    var e: [String: Value] = ["status": .string(h.status.rawValue), "at": .string(StateDates.seconds(h.at))]
                    if let reason = h.reason { e["reason"] = .string(reason) }
                    return .map(e)
                }),
        ]
        if let e = r.error { m["error"] = ErrorBody.value(e) }
        if let u = r.pendingUpdate {
            m["pendingUpdate"] = .map(["parameters": (try? JSON.parse(u.parametersJSON)) ?? .map([:]), "changed": .list(u.changed.map(Value.string))])
        }
        if let d = r.deadline { m["approvalDeadline"] = .string(StateDates.seconds(d)) }
        return .map(m)
    }

}
