import Foundation
import ProviderAPI

/// A blueprint's `updates:`: whether a change of a provisioned tenant's parameters through the
/// service (`PATCH /v1/tenants/{id}`, `landlord tenant update`) waits for an operator's approval.
public struct UpdatesSpec: Sendable, Hashable {
    /// `approval: required` (default: none).
    public var approvalRequired: Bool
    public init(approvalRequired: Bool = false) { self.approvalRequired = approvalRequired }
}

/// A blueprint's `reconcile:`: what `landlord serve`'s scheduled drift detection does with the
/// drift it finds in this blueprint's tenants.
public enum ReconcileMode: String, Sendable, Hashable, CaseIterable {
    /// Report it (GET, events) and leave the cloud as it is (the default).
    case report
    /// Put it back: the tenant is applied again, health-checked like any change.
    case auto
}

/// platform.yaml `drift: {every: 6h, callsPerSecond: 20}`: `landlord serve` plans the fleet with
/// a refresh on that schedule, within that many provider calls per second.
public struct DriftSchedule: Sendable, Hashable {
    /// Seconds between two refreshing plans of the fleet.
    public var every: Double
    /// The provider calls per second the refresh may make (nil: no limit).
    public var callsPerSecond: Double?
    public init(every: Double, callsPerSecond: Double? = nil) {
        self.every = every
        self.callsPerSecond = callsPerSecond
    }
}

/// Reads `updates:` and `reconcile:` of a blueprint and `drift:` of platform.yaml.
enum DayTwoSettingsReader {
    static func readUpdates(_ node: YAMLNode?, _ r: inout DocumentReader) -> UpdatesSpec {
        let example = "write `updates: {approval: required}`"
        guard let node = r.mapping(node, named: "updates", example: example, allowed: ["approval"], what: "updates field"),
            let a = node["approval"]
        else { return UpdatesSpec() }
        switch a.scalar {
        case "required": return UpdatesSpec(approvalRequired: true)
        case "none": return UpdatesSpec()
        default:
            let text = a.scalar ?? a.kindName
            r.diagnostics.append(
                .error(
                    "unknown approval '\(text)'\(Suggest.didYouMean(text, in: ["required", "none"]))",
                    detail: "use `approval: required` or `approval: none` (the default)", at: a.location))
            return UpdatesSpec()
        }
    }

    static func readReconcile(_ node: YAMLNode?, _ r: inout DocumentReader) -> ReconcileMode {
        guard let node, !node.isNull else { return .report }
        let names = ReconcileMode.allCases.map(\.rawValue)
        if let s = node.scalar, let mode = ReconcileMode(rawValue: s) { return mode }
        let text = node.scalar ?? node.kindName
        r.diagnostics.append(
            .error(
                "unknown reconcile '\(text)'\(Suggest.didYouMean(text, in: names))",
                detail: "use `reconcile: auto` (put drift back) or `reconcile: report` (the default)", at: node.location))
        return .report
    }

    static func readDrift(_ node: YAMLNode?, _ r: inout DocumentReader) -> DriftSchedule? {
        let example = "write `drift: {every: 6h, callsPerSecond: 20}`"
        guard let node = r.mapping(node, named: "drift", example: example, allowed: ["every", "callsPerSecond"], what: "drift field") else {
            return nil
        }
        guard let e = node["every"] else {
            r.diagnostics.append(.error("'drift' needs 'every', how often the fleet is checked", detail: example, at: node.location))
            return nil
        }
        guard let every = e.scalar.flatMap(SpecDuration.seconds), every >= 1 else {
            r.diagnostics.append(
                .error("invalid drift period '\(e.scalar ?? e.kindName)'", detail: "write a duration of at least 1s, such as 6h", at: e.location))
            return nil
        }
        var out = DriftSchedule(every: every)
        if let c = node["callsPerSecond"] {
            guard let n = c.scalar.flatMap(Double.init), n > 0, n.isFinite else {
                r.diagnostics.append(
                    .error("invalid callsPerSecond '\(c.scalar ?? c.kindName)'", detail: "write a positive number such as 20", at: c.location))
                return nil
            }
            out.callsPerSecond = n
        }
        return out
    }

    /// The schema of a blueprint's `updates:`.
    static let updatesSchema: Value = [
        "type": "object", "additionalProperties": false,
        "description": "changes through `landlord serve` (PATCH, `landlord tenant update`): wait for approval (`approval: required`)",
        "properties": ["approval": ["enum": ["required", "none"]]],
    ]

    /// The schema of a blueprint's `reconcile:`.
    static let reconcileSchema: Value = [
        "enum": ["report", "auto"],
        "description": "what `landlord serve`'s scheduled drift detection does with drift: report it (default) or put it back (auto)",
    ]

    /// The schema of platform.yaml's `drift:`.
    static let driftSchema: Value = [
        "type": "object", "required": ["every"], "additionalProperties": false,
        "description": "`landlord serve` plans the fleet with a refresh every `every`, within `callsPerSecond` provider calls",
        "properties": [
            "every": ["type": "string", "description": "a duration such as 6h, 30m or 90s"],
            "callsPerSecond": ["type": "number", "exclusiveMinimum": 0],
        ],
    ]
}
