import Foundation
import LandlordCore
import ProviderAPI

/// Tenant lifecycle events as CloudEvents 1.0 structured JSON, the same from `landlord serve`
/// and from the CLI's apply and destroy.
public enum CloudEvent {
    /// The event announcing that `tenant` (of `blueprint`, on platform `platform`) reached
    /// `status`: `type` the status's (``EventStatus/type``), `source` `/landlord/PLATFORM`,
    /// `subject` the tenant, a fresh `id`, `data` {tenantId, blueprint, status, reason?, outputs
    /// (the non-sensitive ones)}. `exports` (a deleted tenant's `deletion: snapshot` exports) go in
    /// `data.exports` as [{resource, type, id, location, sha256, bytes, at}] when there are any.
    public static func make(
        platform: String, tenant: String, blueprint: String, status: EventStatus, reason: String?, outputs: [String: Value],
        at now: Date, exports: [String: ExportRecord] = [:]
    ) -> Value {
        var data: [String: Value] = [
            "tenantId": .string(tenant), "blueprint": .string(blueprint), "status": .string(status.rawValue),
            "outputs": .map(withoutSensitive(outputs)),
        ]
        if let reason { data["reason"] = .string(reason) }
        if !exports.isEmpty { data["exports"] = exportList(exports) }
        return .map([
            "specversion": "1.0", "type": .string(status.type), "source": .string("/landlord/\(platform)"), "subject": .string(tenant),
            "id": .string(UUID().uuidString.lowercased()), "time": .string(StateDates.seconds(now)),
            "datacontenttype": "application/json", "data": .map(data),
        ])
    }

    /// The event of a rollout's step (`landlord.rollout.started`, `.wave_completed`, `.halted`,
    /// `.rolled_back`, `.completed`): `subject` the rollout id, `data` {rolloutId, wave?,
    /// message}.
    public static func rollout(platform: String, step: String, rollout: String, wave: Int?, message: String, at now: Date) -> Value {
        var data: [String: Value] = ["rolloutId": .string(rollout), "message": .string(message)]
        if let wave { data["wave"] = .int(wave) }
        return .map([
            "specversion": "1.0", "type": .string("landlord.rollout." + step), "source": .string("/landlord/\(platform)"),
            "subject": .string(rollout), "id": .string(UUID().uuidString.lowercased()), "time": .string(StateDates.seconds(now)),
            "datacontenttype": "application/json", "data": .map(data),
        ])
    }

    /// Outputs with their sensitive ones left out, unknown values as null.
    public static func withoutSensitive(_ m: [String: Value]) -> [String: Value] {
        m.filter { !$0.value.isSensitive }.mapValues(plain)
    }

    private static func plain(_ v: Value) -> Value {
        switch v {
        case .unknown, .deferred: return .null
        case .list(let l): return .list(l.map(plain))
        case .map(let m): return .map(m.mapValues(plain))
        default: return v
        }
    }
}

extension CloudEvent {
    /// A deleted tenant's exports as its event lists them, by resource name.
    static func exportList(_ exports: [String: ExportRecord]) -> Value {
        .list(
            exports.sorted { $0.key < $1.key }.map { name, e in
                guard case .map(var m) = e.json else { return e.json }
                m["resource"] = .string(name)
                return .map(m)
            })
    }
}
