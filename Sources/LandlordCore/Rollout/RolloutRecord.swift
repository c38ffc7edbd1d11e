import Foundation
import ProviderAPI

/// The record of a rollout, kept in the state backend (`rollouts/current.json`) and written at
/// every step: which tenants each wave holds, how each ended, and why the rollout halted. It is
/// what `landlord rollout status` shows and what `rollout resume` and `abort` continue from, so
/// a rollout killed at any point (rolling back included) can be finished.
public struct RolloutRecord: Sendable {
    /// Where the rollout is.
    public enum Phase: String, Sendable, Hashable {
        case running, halted, completed, aborted
        /// Rolling tenants back (after a halt, or for `rollout abort`); `rollbackPending` says which.
        case rollingBack = "rolling_back"
    }

    /// How one tenant of the rollout stands.
    public enum Outcome: String, Sendable, Hashable, CaseIterable {
        /// Not applied yet.
        case pending
        /// Applied and healthy.
        case done
        /// Its apply or its health checks failed; held.
        case failed
        /// Rolled back to its rollback point; held.
        case rolledBack = "rolled_back"
        /// Its rollback was refused (protected or data-bearing resources) or failed: left as it
        /// is, held, reported.
        case notRolledBack = "not_rolled_back"
    }

    /// One tenant's entry.
    public struct Entry: Sendable, Hashable {
        /// The wave it is in (from 1).
        public var wave: Int
        public var outcome: Outcome = .pending
        /// Why it failed or was not rolled back.
        public var reason: String?
        /// The input digest it was planned with: `resume` refuses a tenant whose spec is no
        /// longer the one approved.
        public var inputDigest: String?
    }

    public var id: String
    /// `apply` or `destroy`.
    public var operation: String
    public var startedAt: Date
    public var updatedAt: Date
    public var phase: Phase = .running
    /// The policy it runs under, as text for `status` (`budget 5%, bake 30s, on failure rollback`).
    public var policy: String
    public var failureBudget: FailureBudget
    public var onFailure: FailureAction
    public var bake: Double
    public var alarms: [String]
    /// The tenants of each wave, in order.
    public var waves: [[String]]
    /// Waves finished (applied, checked and baked).
    public var wavesDone = 0
    public var tenants: [String: Entry] = [:]
    /// Why it halted.
    public var haltReason: String?
    /// Tenants whose rollback has been decided but not yet finished (crash safety).
    public var rollbackPending: [String] = []
    /// While a wave bakes: which, and until when.
    public var baking: (wave: Int, until: Date)?

    /// A new record for `waves`, every tenant pending, with the input digest of its spec
    /// (``Fleet/inputDigest(for:)``; none for a tenant whose file is gone).
    public init(id: String, operation: String, policy: RolloutPolicy, waves: [[String]], fleet: Fleet) {
        self.id = id
        self.operation = operation
        startedAt = Date()
        updatedAt = startedAt
        failureBudget = policy.failureBudget
        onFailure = policy.onFailure
        bake = policy.bake
        alarms = policy.alarms
        self.policy = "failure budget \(policy.failureBudget), bake \(Int(policy.bake))s, on failure \(policy.onFailure.rawValue)"
        self.waves = waves
        for (i, wave) in waves.enumerated() {
            for t in wave { tenants[t] = Entry(wave: i + 1, inputDigest: fleet.tenant(t).map(fleet.inputDigest(for:))) }
        }
    }

    /// A rollout id: `r-` and the UTC second of `date` (now), `yyyyMMdd-HHmmss`, with a random
    /// suffix of four hex digits: `r-20261122-180000-3fa2`. The second is the one a DateFormatter
    /// of that pattern writes (the time rounded to the millisecond, then floored, as
    /// ``StateDates/seconds(_:)`` does), without making a formatter per id.
    public static func newID(at date: Date = Date()) -> String {
        let digits = StateDates.seconds(date).filter(\.isNumber)  // 2026-11-22T18:00:00Z: 20261122180000
        return "r-" + digits.prefix(8) + "-" + digits.dropFirst(8) + "-" + UUID().uuidString.lowercased().prefix(4)
    }

    /// The tenants of wave `n` (from 1) with the outcome.
    public func tenants(inWave n: Int, _ outcome: Outcome) -> [String] {
        guard n >= 1, n <= waves.count else { return [] }
        return waves[n - 1].filter { tenants[$0]?.outcome == outcome }
    }

    /// True when `resume` has something to do.
    public var resumable: Bool { phase == .halted || phase == .running || phase == .rollingBack }
}

extension RolloutRecord {
    /// The record as JSON (`landlord rollout status --json` prints it).
    public var json: Value {
        var ts: [String: Value] = [:]
        for (t, e) in tenants {
            var m: [String: Value] = ["wave": .int(e.wave), "outcome": .string(e.outcome.rawValue)]
            if let r = e.reason { m["reason"] = .string(r) }
            if let d = e.inputDigest { m["input_digest"] = .string(d) }
            ts[t] = .map(m)
        }
        var m: [String: Value] = [
            "id": .string(id), "operation": .string(operation), "started_at": .string(StateDates.string(startedAt)),
            "updated_at": .string(StateDates.string(updatedAt)), "phase": .string(phase.rawValue), "policy": .string(policy),
            "failure_budget": .string(failureBudget.description), "on_failure": .string(onFailure.rawValue), "bake_seconds": .double(bake),
            "alarms": .list(alarms.map { .string($0) }), "waves": .list(waves.map { .list($0.map { .string($0) }) }),
            "waves_done": .int(wavesDone), "tenants": .map(ts), "rollback_pending": .list(rollbackPending.map { .string($0) }),
        ]
        if let h = haltReason { m["halt_reason"] = .string(h) }
        if let b = baking { m["baking"] = .map(["wave": .int(b.wave), "until": .string(StateDates.string(b.until))]) }
        return .map(m)
    }

    /// Reads a record written by ``json``.
    public init(json v: Value) throws {
        guard case .map(let m) = v, let id = m["id"]?.stringValue, let waves = m["waves"]?.listValue,
            let phase = m["phase"]?.stringValue.flatMap(Phase.init(rawValue:))
        else { throw StateError.io("the rollout record is damaged: delete rollouts/current.json beside the state to forget it") }
        self.id = id
        operation = m["operation"]?.stringValue ?? "apply"
        startedAt = StateDates.date(m["started_at"]?.stringValue)
        updatedAt = StateDates.date(m["updated_at"]?.stringValue)
        self.phase = phase
        policy = m["policy"]?.stringValue ?? ""
        failureBudget = m["failure_budget"]?.stringValue.flatMap(FailureBudget.parse) ?? .count(0)
        onFailure = m["on_failure"]?.stringValue.flatMap(FailureAction.init(rawValue:)) ?? .halt
        bake =
            m["bake_seconds"].flatMap { v -> Double? in
                if case .double(let d) = v { return d }
                return v.intValue.map(Double.init)
            } ?? 0
        alarms = m["alarms"]?.listValue?.compactMap(\.stringValue) ?? []
        self.waves = waves.map { $0.listValue?.compactMap(\.stringValue) ?? [] }
        wavesDone = m["waves_done"]?.intValue ?? 0
        haltReason = m["halt_reason"]?.stringValue
        rollbackPending = m["rollback_pending"]?.listValue?.compactMap(\.stringValue) ?? []
        if case .map(let b)? = m["baking"], let w = b["wave"]?.intValue { baking = (w, StateDates.date(b["until"]?.stringValue)) }
        if case .map(let ts)? = m["tenants"] {
            for (t, ev) in ts {
                guard case .map(let e) = ev else { continue }
                var entry = Entry(wave: e["wave"]?.intValue ?? 0)
                entry.outcome = e["outcome"]?.stringValue.flatMap(Outcome.init(rawValue:)) ?? .pending
                entry.reason = e["reason"]?.stringValue
                entry.inputDigest = e["input_digest"]?.stringValue
                tenants[t] = entry
            }
        }
    }
}

/// A tenant held after a rollout: it failed or was rolled back. Plans show it as held and apply
/// skips it until its tenant file or blueprint changes, or `landlord rollout release` frees it,
/// so the next CI run does not push the same bad change again.
public struct HeldTenant: Sendable, Hashable {
    public var tenant: String
    /// The digest of its tenant file and blueprint when it was held (``Fleet/specDigest(for:)``).
    public var specDigest: String
    public var rollout: String
    public var wave: Int
    /// `rolled back` or `failed`, and why.
    public var reason: String

    public init(tenant: String, specDigest: String, rollout: String, wave: Int, reason: String) {
        self.tenant = tenant
        self.specDigest = specDigest
        self.rollout = rollout
        self.wave = wave
        self.reason = reason
    }

    /// `held: rolled back in rollout R at wave 2: GET https://.../health -> 500`.
    public var summary: String { "held: \(reason) in rollout \(rollout) at wave \(wave)" }
}

extension Fleet {
    /// The digest a hold is keyed on: the tenant's file and its blueprint (not the platform
    /// file, whose rollout settings a team may change while a tenant is held).
    public func specDigest(for tenant: TenantSpec) -> String {
        Digest.sha256Hex((blueprints[tenant.blueprint]?.digest ?? "") + "\n" + tenant.digest)
    }
}
