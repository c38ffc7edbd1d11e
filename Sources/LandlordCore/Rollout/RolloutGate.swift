import Foundation
import ProviderAPI

/// What a rollout checks between waves, and what it does about a bad one: the platform's
/// `rollout:` policy (with the run's overrides), the probe that sends health checks, and the
/// source of fleet alarms.
public struct RolloutGate: Sendable {
    public var policy: RolloutPolicy
    public var probe: any HealthProbe
    public var alarms: (any AlarmSource)?
    /// `apply` or `destroy`, for the record.
    public var operation: RunOperation
    /// Health checks in flight at once.
    public var healthParallelism = 64
    /// Seconds between alarm reads during a bake.
    public var alarmInterval = 5.0
    /// Keep the rollout's record (`rollouts/current.json`, for `landlord rollout ...`); false for
    /// the service's own small rollouts, which must not replace the one an operator may resume.
    /// Their rollback points are removed when they end.
    public var keepsRecord = true

    public init(policy: RolloutPolicy, probe: any HealthProbe, alarms: (any AlarmSource)? = nil, operation: RunOperation = .apply) {
        self.policy = policy
        self.probe = probe
        self.alarms = alarms
        self.operation = operation
    }
}

/// A step of a gated rollout beyond applying, for observers: health, bake, alarms, halts and
/// rollbacks. (`landlord.rollout.*` lifecycle events are made from these.)
public struct RolloutNotice: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case started, unhealthy, baking
        case waveCompleted = "wave_completed"
        case halted
        case rollingBack = "rolling_back"
        case tenantRolledBack = "tenant_rolled_back"
        case notRolledBack = "not_rolled_back"
        case rolledBack = "rolled_back"
        case completed
    }
    public var kind: Kind
    public var rollout: String
    public var wave: Int?
    public var tenant: String?
    public var message: String

    public init(_ kind: Kind, rollout: String, wave: Int? = nil, tenant: String? = nil, _ message: String) {
        self.kind = kind
        self.rollout = rollout
        self.wave = wave
        self.tenant = tenant
        self.message = message
    }
}

/// How a wave was judged.
struct WaveVerdict {
    /// Why the rollout stops here (nil: it goes on).
    var halt: String?
    /// Tenants that failed (apply or health), with why.
    var failed: [String: String] = [:]
    /// Failed tenants the budget tolerated (the rollout went on).
    var tolerated: [String] = []
    var rolledBack: [String] = []
    var notRolledBack: [String: String] = [:]
}

/// A rollout under a gate: its record and the steps between waves.
struct GatedRun {
    let gate: RolloutGate
    let store: RolloutStore
    let workspace: Workspace
    let options: RolloutOptions
    let observer: any ApplyObserver
    var record: RolloutRecord

    func notice(_ n: RolloutNotice) { observer.handle(.rollout(n)) }

    /// Saves the record; a failed write is a warning (the rollout goes on, `status` is behind).
    func save() async {
        guard gate.keepsRecord else { return }
        do { try await store.save(record) } catch {
            observer.handle(.diagnostic(.warning("could not record the rollout's progress: \((error as? StateError)?.text ?? "\(error)")")))
        }
    }

    /// Keeps the wave's documents before it changes them. Throws when they cannot be kept:
    /// a wave that could not be rolled back is not started.
    func keepRollbackPoint(wave: Int, tenants: [String]) async throws {
        // A resumed wave keeps the point taken before it first started, not the state it was
        // killed in.
        if (try? await store.rollbackPoint(rollout: record.id, wave: wave)) != nil { return }
        let states = try await workspace.store.loadTenants(tenants)
        try await store.saveRollbackPoint(rollout: record.id, wave: wave, states: Array(states.values))
    }

    /// Judges wave `n` (from 1) once applied: health checks, the failure budget, alarms, the
    /// bake; rolls back what the policy says; holds the failed tenants; records it all.
    mutating func judge(wave n: Int, tenants: [String], applied: ApplyResult, early: EarlyHealthChecks?) async -> WaveVerdict {
        var v = WaveVerdict()
        for o in applied.tenants where o.status == .failed || o.failed > 0 {
            v.failed[o.tenant] = o.errors.first?.summary ?? "its apply failed"
        }
        // A destroy has nothing left to check (and its tenants' files still name their checks).
        let ok = gate.operation == .destroy ? [] : tenants.filter { v.failed[$0] == nil }
        let checking = ContinuousClock.now
        let unhealthy: [String: String]
        if let early {
            unhealthy = await early.results(ok)
        } else {
            unhealthy = await HealthChecker.run(ok, workspace: workspace, probe: gate.probe, parallelism: gate.healthParallelism)
        }
        let checked = ContinuousClock.now - checking
        for (t, why) in unhealthy.sorted(by: { $0.key < $1.key }) {
            v.failed[t] = why
            notice(RolloutNotice(.unhealthy, rollout: record.id, wave: n, tenant: t, why))
        }
        let allowed = gate.policy.failureBudget.allowed(of: tenants.count)
        if v.failed.count > allowed {
            v.halt =
                "wave \(n): \(v.failed.count) of \(tenants.count) tenant\(tenants.count == 1 ? "" : "s") failed, "
                + "over its failure budget of \(allowed)"
                + (allowed.description == gate.policy.failureBudget.description ? "" : " (\(gate.policy.failureBudget))")
        } else {
            v.tolerated = v.failed.keys.sorted()
        }
        var alarmHalt = false
        if v.halt == nil, let why = await firingAlarms() {
            v.halt = "wave \(n): \(why)"
            alarmHalt = true
        }
        if v.halt == nil, gate.policy.bake > 0 {
            notice(RolloutNotice(.baking, rollout: record.id, wave: n, "baking wave \(n) for \(Int(gate.policy.bake))s"))
            record.baking = (n, Date().addingTimeInterval(gate.policy.bake))
            await save()
            defer { record.baking = nil }
            if let why = await bake() {
                v.halt = "wave \(n): \(why) during its bake"
                alarmHalt = true
            }
        }
        for (t, why) in v.failed {
            record.tenants[t]?.outcome = .failed
            record.tenants[t]?.reason = why
        }
        for t in tenants where v.failed[t] == nil { record.tenants[t]?.outcome = .done }
        // What goes back: the failed tenants when the policy rolls back; the whole wave when a
        // fleet alarm fired (it does not say which tenant is at fault).
        var back: [String] = []
        // A destroy is not rolled back (that would create what was asked to go): it halts.
        if gate.policy.onFailure == .rollback && gate.operation != .destroy {
            back = alarmHalt ? tenants : v.failed.keys.sorted()
        }
        record.wavesDone = n
        record.haltReason = v.halt
        if !back.isEmpty {
            record.phase = .rollingBack
            record.rollbackPending = back
            await save()
            let reason = v.halt ?? "failed its health checks"
            let done = await RollbackRun.rollBack(back, wave: n, run: self, why: reason)
            v.rolledBack = done.rolledBack
            v.notRolledBack = done.refused
            record.note(done)
            notice(
                RolloutNotice(
                    .rolledBack, rollout: record.id, wave: n,
                    "wave \(n): \(done.rolledBack.count) tenant\(done.rolledBack.count == 1 ? "" : "s") rolled back"
                        + (done.refused.isEmpty ? "" : ", \(done.refused.count) not rolled back")))
        }
        record.phase = v.halt == nil ? .running : .halted
        await save()
        await hold(wave: n, v)
        if let h = v.halt {
            notice(RolloutNotice(.halted, rollout: record.id, wave: n, h))
        } else {
            notice(
                RolloutNotice(
                    .waveCompleted, rollout: record.id, wave: n,
                    "wave \(n) completed: \(tenants.count - v.failed.count) healthy, \(v.failed.count) failed within the budget of \(allowed)"
                        + " (health checks of \(ok.count) tenant\(ok.count == 1 ? "" : "s") done \(early == nil ? "in" : "after the apply in") "
                        + "\(checked.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 2)))))"
                ))
        }
        return v
    }

    /// Holds every failed or rolled-back tenant at its spec digest.
    func hold(wave n: Int, _ v: WaveVerdict) async {
        var toHold: [String: String] = [:]
        for (t, why) in v.failed { toHold[t] = "failed: \(why)" }
        for t in v.rolledBack { toHold[t] = "rolled back: " + (v.failed[t] ?? v.halt ?? "the rollout halted") }
        for (t, why) in v.notRolledBack { toHold[t] = "not rolled back (\(why)): " + (v.failed[t] ?? v.halt ?? "") }
        guard !toHold.isEmpty else { return }
        let fleet = workspace.fleet
        let id = record.id
        do {
            try await store.updateHeld { held in
                for (t, reason) in toHold {
                    guard let spec = fleet.tenant(t) else { continue }
                    held[t] = HeldTenant(tenant: t, specDigest: fleet.specDigest(for: spec), rollout: id, wave: n, reason: reason)
                }
            }
        } catch {
            observer.handle(.diagnostic(.warning("could not record the held tenants: \((error as? StateError)?.text ?? "\(error)")")))
        }
    }

    /// The alarms in ALARM, worded; nil when none (or none are configured).
    func firingAlarms() async -> String? {
        guard !gate.policy.alarms.isEmpty, let source = gate.alarms else { return nil }
        do {
            let firing = try await source.firing(gate.policy.alarms)
            return firing.isEmpty ? nil : "alarm\(firing.count == 1 ? "" : "s") \(firing.joined(separator: ", ")) in ALARM"
        } catch {
            return "could not read alarms (\(error)); a rollout that cannot see its alarms stops"
        }
    }

    /// Waits out the bake, reading alarms as it goes; the alarm that fired, if one did.
    func bake() async -> String? {
        let clock = ContinuousClock()
        let end = clock.now + .seconds(gate.policy.bake)
        while clock.now < end {
            let left = end - clock.now
            try? await Task.sleep(for: min(left, .seconds(gate.alarmInterval)))
            if let why = await firingAlarms() { return why }
        }
        return nil
    }
}

/// Rolls tenants back to a wave's rollback point through the ordinary applier.
enum RollbackRun {
    struct Done {
        var rolledBack: [String] = []
        var refused: [String: String] = [:]
    }

    static func rollBack(_ tenants: [String], wave n: Int, run: GatedRun, why: String) async -> Done {
        var done = Done()
        let id = run.record.id
        run.notice(
            RolloutNotice(
                .rollingBack, rollout: id, wave: n, "rolling back \(tenants.count) tenant\(tenants.count == 1 ? "" : "s") of wave \(n): \(why)"))
        let point: [String: TenantState]
        let current: [String: TenantState]
        do {
            point = try await run.store.rollbackPoint(rollout: id, wave: n)
            current = try await run.workspace.store.loadTenants(tenants)
        } catch {
            let text = (error as? StateError)?.text ?? "\(error)"
            for t in tenants { done.refused[t] = text }
            return finish(done, tenants, run)
        }
        var plan = Plan(toolVersion: LandlordVersion.current, platform: run.workspace.fleet.platform.name, tenants: [], unchangedTenants: 0)
        var nothing: [String] = []
        for t in tenants {
            switch RollbackPlanner.plan(
                tenant: t, current: current[t], before: point[t], fleet: run.workspace.fleet, schemas: run.workspace.providers.schemas, rollout: id)
            {
            case .success(let tp): if tp.hasChanges { plan.tenants.append(tp) } else { nothing.append(t) }
            case .failure(let r): done.refused[t] = r.reason
            }
        }
        done.rolledBack = nothing
        if !plan.tenants.isEmpty {
            var options = run.options.apply
            options.adopt = true  // a create interrupted before it was recorded is found by its tags
            let result = await run.workspace.apply(plan, options: options, observer: run.observer)
            for o in result.tenants {
                if o.status == .failed {
                    done.refused[o.tenant] = "its rollback failed: " + (o.errors.first?.summary ?? "see the errors above")
                } else {
                    done.rolledBack.append(o.tenant)
                }
            }
        }
        return finish(done, tenants, run)
    }

    static func finish(_ done: Done, _ tenants: [String], _ run: GatedRun) -> Done {
        var done = done
        done.rolledBack.sort()
        for t in done.rolledBack {
            run.notice(RolloutNotice(.tenantRolledBack, rollout: run.record.id, tenant: t, "\(t): rolled back"))
        }
        for (t, why) in done.refused.sorted(by: { $0.key < $1.key }) {
            run.notice(RolloutNotice(.notRolledBack, rollout: run.record.id, tenant: t, "\(t): not rolled back: \(why)"))
        }
        return done
    }
}

extension RolloutRecord {
    /// Records how a rollback went: its tenants rolled back or not, nothing pending.
    mutating func note(_ done: RollbackRun.Done) {
        for t in done.rolledBack { tenants[t]?.outcome = .rolledBack }
        for (t, why) in done.refused {
            tenants[t]?.outcome = .notRolledBack
            tenants[t]?.reason = why
        }
        rollbackPending = []
    }
}
