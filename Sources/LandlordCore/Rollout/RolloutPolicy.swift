import ProviderAPI

/// How many failed tenants a wave tolerates: `N` or `P%` of the wave.
public enum FailureBudget: Sendable, Hashable, CustomStringConvertible {
    case count(Int)
    case percent(Double)

    /// Reads `0`, `3` or `5%`: nil for anything else, a negative count or a percentage over 100.
    public static func parse(_ text: String) -> FailureBudget? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.hasSuffix("%"), let v = Double(t.dropLast()), v >= 0, v <= 100 { return .percent(v) }
        if let n = Int(t), n >= 0 { return .count(n) }
        return nil
    }

    /// Failed tenants tolerated in a wave of `tenants` (a percentage rounds down: 5% of a
    /// one-tenant canary tolerates none).
    public func allowed(of tenants: Int) -> Int {
        switch self {
        case .count(let n): return n
        case .percent(let p): return Int((Double(tenants) * p / 100).rounded(.down))
        }
    }

    public var description: String {
        switch self {
        case .count(let n): return "\(n)"
        case .percent(let p): return p.rounded() == p ? "\(Int(p))%" : "\(p)%"
        }
    }
}

/// What a rollout does with a wave over its failure budget.
public enum FailureAction: String, Sendable, Hashable, CaseIterable {
    /// Stop: later waves are not started; failed tenants stay as they are, held.
    case halt
    /// Stop, and roll the failed tenants back to the resources recorded before the rollout.
    case rollback
}

/// platform.yaml `rollout:`: how a change reaches the fleet. Every setting can be overridden
/// by an apply or destroy flag.
public struct RolloutPolicy: Sendable, Hashable {
    /// Wave sizes (empty: one wave of every tenant).
    public var waves: [WaveSize] = []
    /// Failed tenants tolerated per wave.
    public var failureBudget: FailureBudget = .count(0)
    /// Seconds a wave is watched after it is applied and healthy, before the next starts.
    public var bake: Double = 0
    /// CloudWatch alarm names or ARNs: any in ALARM during a wave or its bake halts the rollout.
    public var alarms: [String] = []
    /// Halt, or roll back, when a wave is over budget.
    public var onFailure: FailureAction = .halt
    /// Plans that meet this rule are applied without asking (`--auto-approve-if`).
    public var autoApprove: AutoApproveRule?

    public init() {}

    /// True when nothing is set beyond the defaults: a plain apply.
    public var isPlain: Bool { self == RolloutPolicy() }
}

/// Reads platform.yaml `rollout:`.
enum RolloutPolicyReader {
    static let fields = ["waves", "failureBudget", "bake", "alarms", "onFailure", "autoApprove"]

    static func read(_ node: YAMLNode?, _ r: inout DocumentReader) -> RolloutPolicy {
        var policy = RolloutPolicy()
        // `rollout:` left empty is absent (a plain apply), like the other settings of platform.yaml.
        let example = "write `rollout: {waves: [1, 5%, 100%], failureBudget: 0, onFailure: rollback}`"
        guard let node = r.mapping(node, named: "rollout", example: example, allowed: fields, what: "rollout field") else {
            return policy
        }
        if let w = node["waves"] {
            let parts = w.sequence.map { $0.map { ($0.scalar ?? "", $0.location) } } ?? [(w.scalar ?? "", w.location)]
            for (text, loc) in parts {
                for piece in text.split(separator: ",") {
                    let p = piece.trimmingCharacters(in: .whitespaces)
                    if let size = WaveSize.parse(p) {
                        policy.waves.append(size)
                    } else {
                        r.diagnostics.append(
                            .error(
                                "wave size '\(p)' is neither a positive count nor a percentage in (0, 100]",
                                detail: "write `waves: [1, 5%, 25%, 100%]`", at: loc))
                    }
                }
            }
        }
        if let b = node["failureBudget"] {
            if let budget = b.scalar.flatMap(FailureBudget.parse) {
                policy.failureBudget = budget
            } else {
                r.diagnostics.append(
                    .error(
                        "failureBudget '\(b.scalar ?? b.kindName)' must be a count of tenants or a percentage from 0% to 100%",
                        detail: "write `failureBudget: 2` or `failureBudget: 5%`", at: b.location))
            }
        }
        if let b = node["bake"] {
            if let secs = b.scalar.flatMap(SpecDuration.seconds) {
                policy.bake = secs
            } else {
                r.diagnostics.append(
                    .error("invalid bake '\(b.scalar ?? b.kindName)'", detail: "write a duration such as 30s, 5m or 1h", at: b.location))
            }
        }
        if let a = node["alarms"] {
            if let items = a.sequence, items.allSatisfy({ !($0.scalar ?? "").isEmpty }) {
                policy.alarms = items.compactMap(\.scalar)
            } else {
                r.diagnostics.append(
                    .error("'alarms' must be a list of CloudWatch alarm names or ARNs", detail: "write `alarms: [api-5xx-rate]`", at: a.location))
            }
        }
        if let f = node["onFailure"] {
            if let action = f.scalar.flatMap(FailureAction.init(rawValue:)) {
                policy.onFailure = action
            } else {
                r.diagnostics.append(
                    .error("onFailure '\(f.scalar ?? f.kindName)' is not halt or rollback", detail: "write `onFailure: rollback`", at: f.location))
            }
        }
        if let a = node["autoApprove"] {
            switch AutoApproveRule.parse(a.scalar ?? "") {
            case .success(let rule): policy.autoApprove = rule
            case .failure(let d):
                var d = d
                d.location = a.location
                r.diagnostics.append(d)
            }
        }
        return policy
    }
}
