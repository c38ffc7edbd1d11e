import Foundation
import LandlordBasics

/// One wave of a rollout: a number of tenants, or a percentage of the tenants the run applies.
/// After the last size, that size repeats until every tenant is applied.
public enum WaveSize: Hashable, Sendable {
    case count(Int)
    case percent(Double)

    /// Reads `1,10%,100%`; throws naming the first part that is neither a positive count nor a
    /// percentage in (0, 100].
    public static func parseList(_ text: String) throws(InvalidWaveSize) -> [WaveSize] {
        var sizes: [WaveSize] = []
        for part in text.split(separator: ",") {
            let p = part.trimmingCharacters(in: .whitespaces)
            guard let size = parse(p) else { throw InvalidWaveSize(part: p) }
            sizes.append(size)
        }
        return sizes
    }

    /// Reads one part: `3` or `10%`.
    public static func parse(_ part: String) -> WaveSize? {
        if part.hasSuffix("%"), let v = Double(part.dropLast()), v > 0, v <= 100 { return .percent(v) }
        if let n = Int(part), n > 0 { return .count(n) }
        return nil
    }

    /// How many of `total` tenants this wave takes (at least one).
    func tenants(of total: Int) -> Int {
        switch self {
        case .count(let c): return max(1, c)
        case .percent(let p): return max(1, Int((Double(total) * p / 100).rounded(.up)))
        }
    }
}

/// A part of a wave list that is neither a count nor a percentage.
public struct InvalidWaveSize: Error, Sendable {
    public var part: String
}

/// How much of a plan one run carries out, and how.
public struct RolloutOptions: Sendable {
    /// How each wave is applied (parallelism, locks, adoption, batching).
    public var apply: ApplyOptions
    /// Apply at most this many tenants; the rest are left for the next run.
    public var maxTenants: Int?
    /// Wave sizes, in order (empty: one wave of every tenant).
    public var waves: [WaveSize]
    /// The file a saved plan was read from: after each wave the tenants done are written into
    /// it (`applied_tenants`), so the next run of the same file picks up where this one stopped.
    public var planFile: String?

    /// Health checks, failure budget, bake, alarms and rollback between waves; nil: a wave
    /// with a failed tenant stops the run, nothing is checked or rolled back.
    public var gate: RolloutGate?

    /// Tenants per apply run when a spooled plan is applied (``Rollout/run(spool:workspace:options:observer:replan:)``);
    /// nil: ``segmentSize``'s default.
    public var segment: Int?

    /// Tenants per apply run of a spooled plan: `segment`, or ten times the parallelism (at
    /// least 500), which keeps every slot busy but for a short tail at each segment's end.
    public var segmentSize: Int { max(1, segment ?? max(500, 10 * apply.parallelism)) }

    public init(apply: ApplyOptions, maxTenants: Int? = nil, waves: [WaveSize] = [], planFile: String? = nil) {
        self.apply = apply
        self.maxTenants = maxTenants
        self.waves = waves
        self.planFile = planFile
    }

    /// Splits tenants into waves, in order. Returns the waves and the tenants beyond
    /// `maxTenants`, left for a later run.
    public func split(_ tenants: [String]) -> (waves: [[String]], later: [String]) {
        let cap = min(maxTenants ?? tenants.count, tenants.count)
        let todo = Array(tenants[..<cap])
        let later = Array(tenants[cap...])
        guard !waves.isEmpty else { return (todo.isEmpty ? [] : [todo], later) }
        var out: [[String]] = []
        var rest = todo[...]
        while !rest.isEmpty {
            let take = min(waves[min(out.count, waves.count - 1)].tenants(of: todo.count), rest.count)
            out.append(Array(rest.prefix(take)))
            rest = rest.dropFirst(take)
        }
        return (out, later)
    }
}

/// How a rollout ended: every tenant's outcome and what was left undone.
public struct RolloutResult: Sendable {
    /// One outcome per tenant applied, wave after wave.
    public var tenants: [TenantOutcome] = []
    public var diagnostics = Diagnostics()
    /// Number of waves the run was split into.
    public var waves = 0
    /// Tenants of the waves after the failed one: not touched.
    public var untouched: [String] = []
    /// Tenants beyond `maxTenants`, left for the next run (empty when the run stopped after a
    /// failed wave: they are then among `untouched`).
    public var later: [String] = []
    /// The replanner could not plan the tenants whose state moved (it said why): the run
    /// stopped there.
    public var replanFailed = false
    /// The plan with `appliedTenants` grown by every tenant this run finished.
    public var progress: Plan
    /// Wall-clock seconds of the run.
    public var seconds: Double = 0
    /// A gated rollout's id (``RolloutRecord``).
    public var rollout: String?
    /// Why a gated rollout halted.
    public var halt: String?
    /// Tenants that failed (their apply or their health checks) within the failure budget,
    /// with why; held.
    public var tolerated: [String: String] = [:]
    /// Tenants whose health checks failed, with the last answer.
    public var unhealthy: [String: String] = [:]
    /// Tenants rolled back, and those whose rollback was refused or failed (with why).
    public var rolledBack: [String] = []
    public var notRolledBack: [String: String] = [:]

    public init(progress: Plan) { self.progress = progress }

    /// Changes applied, failed and not attempted, over every tenant.
    public var applied: Int { tenants.reduce(0) { $0 + $1.applied } }
    public var failedChanges: Int { tenants.reduce(0) { $0 + $1.failed } }
    public var skipped: Int { tenants.reduce(0) { $0 + $1.skipped } }
    /// Tenants that ended failed, sorted.
    public var failedTenants: [String] { tenants.filter { $0.status == .failed }.map(\.tenant).sorted() }
    /// True when the rollout halted, or a tenant failed outside a failure budget, or an error
    /// not about such a tenant was reported.
    public var failed: Bool {
        if halt != nil { return true }
        if tolerated.isEmpty { return diagnostics.hasErrors || !failedTenants.isEmpty }
        let ok = { (address: String?) in address.map { self.tolerated[String($0.split(separator: "/").first ?? "")] != nil } ?? false }
        return failedTenants.contains { tolerated[$0] == nil } || diagnostics.items.contains { $0.severity == .error && !ok($0.address) }
    }
}

/// Rolls a plan out: the one entry point for applying, whoever asks (CLI, service, tests).
///
/// The plan's pending tenants (those with changes, not yet applied from a saved plan) are cut at
/// `maxTenants` and split into waves; each wave is applied with ``Applier`` and heard through
/// the observer, which gets `.waveFinished` after every wave. The first wave with a failed
/// tenant ends the run: later waves are left untouched. When a lock wait found a tenant's state
/// moved (another run applied it meanwhile), `replan` plans those tenants again and they are
/// applied at once (`.replanning` tells the observer). With `planFile` set, the tenants done are
/// written into the saved plan after every wave. The engine never prints.
public enum Rollout {
    /// Plans the named tenants again, against the state they have now. Returns nil when it
    /// cannot (having reported why); the rollout then stops.
    public typealias Replanner = (Set<String>) async -> Plan?

    /// Applies `plan` wave by wave through `workspace`; see ``Rollout``. `replan` is used only
    /// when `options.apply.lockTimeout` is positive (without a wait, state cannot move under a
    /// run); pass nil for a saved plan, which is applied exactly or not at all.
    public static func run(
        plan: Plan, workspace: Workspace, options: RolloutOptions, observer: any ApplyObserver = SilentObserver(), replan: Replanner? = nil
    ) async -> RolloutResult {
        let pending = plan.tenants.filter { !plan.appliedTenants.contains($0.tenant) && $0.hasChanges }.map(\.tenant)
        let source = Source(pending: pending, segment: Int.max) { names in
            let wanted = Set(names)
            var sub = plan
            sub.tenants = plan.tenants.filter { wanted.contains($0.tenant) }
            return sub
        }
        return await run(source, progress: plan, workspace: workspace, options: options, observer: observer, replan: replan)
    }

    /// Applies a spooled plan (``PlanSpool``) as `run(plan:...)` applies one in memory, reading
    /// its tenants back a segment at a time: each wave is applied in runs of at most
    /// ``RolloutOptions/segmentSize`` tenants, one after the other, each with its own locks,
    /// allocations and journal (as a wave has), so memory follows the segment, not the fleet.
    /// Segments are not waves: a failed tenant does not stop the next segment. A spool is not
    /// a saved plan: `options.planFile` is not written.
    public static func run(
        spool: PlanSpool, workspace: Workspace, options: RolloutOptions, observer: any ApplyObserver = SilentObserver(),
        replan: Replanner? = nil
    ) async -> RolloutResult {
        let header = spool.header
        // The spool holds no tenants to write back into a saved plan's file.
        var options = options
        options.planFile = nil
        let source = Source(pending: spool.pending.map(\.tenant), segment: options.segmentSize) { names in
            var sub = header
            sub.tenants = try spool.read(names)
            return sub
        }
        return await run(source, progress: header, workspace: workspace, options: options, observer: observer, replan: replan)
    }

    /// Where a rollout takes its tenants' plans from.
    struct Source: Sendable {
        /// The tenants to apply, in plan order.
        var pending: [String]
        /// Tenants per apply run within a wave.
        var segment: Int
        /// The plan restricted to the named tenants, in their order.
        var load: @Sendable ([String]) throws -> Plan
    }

    static func run(
        _ source: Source, progress: Plan, workspace: Workspace, options: RolloutOptions, observer: any ApplyObserver, replan: Replanner?,
        resuming: RolloutRecord? = nil
    ) async -> RolloutResult {
        let started = Date()
        var result = RolloutResult(progress: progress)
        var (waves, later) = options.split(source.pending)
        var first = 0
        var gated: GatedRun?
        if let gate = options.gate {
            guard let store = RolloutStore(workspace.store) else {
                result.diagnostics.append(
                    .error("this state backend keeps no rollout records", detail: "apply without health checks, budgets or rollback"))
                return result
            }
            var record: RolloutRecord
            if let resuming {
                record = resuming
                waves = resuming.waves
                first = resuming.wavesDone
                later = []
                record.phase = .running
                record.haltReason = nil
            } else {
                record = RolloutRecord(
                    id: RolloutRecord.newID(), operation: gate.operation.rawValue, policy: gate.policy, waves: waves, fleet: workspace.fleet)
                // The last rollout's rollback points go with its record (`abort` is for the current one).
                if gate.keepsRecord, let previous = try? await store.current() { await store.removeRollbackPoints(of: previous) }
                // Holds whose tenant file or blueprint changed since no longer apply.
                let fleet = workspace.fleet
                try? await store.updateHeld { held in
                    for (t, h) in held { if let spec = fleet.tenant(t), fleet.specDigest(for: spec) != h.specDigest { held[t] = nil } }
                }
            }
            result.rollout = record.id
            gated = GatedRun(gate: gate, store: store, workspace: workspace, options: options, observer: observer, record: record)
            await gated?.save()
            let n = waves[first...].reduce(0) { $0 + $1.count }
            gated?.notice(
                RolloutNotice(
                    .started, rollout: record.id,
                    resuming == nil
                        ? """
                        rollout \(record.id): \(n) tenant\(n == 1 ? "" : "s") in \(waves.count) \
                        wave\(waves.count == 1 ? "" : "s") (\(record.policy))
                        """
                        : "rollout \(record.id) resumed at wave \(first + 1) of \(waves.count): \(n) tenant\(n == 1 ? "" : "s") (\(record.policy))"
                ))
        }
        result.waves = waves.count
        result.later = later
        // Each tenant's health checks start as soon as its apply finishes.
        var early: EarlyHealthChecks?
        var observer = observer
        if let gate = options.gate, gate.operation != .destroy, workspace.fleet.blueprints.values.contains(where: { !$0.health.isEmpty }) {
            let checks = EarlyHealthChecks(inner: observer, workspace: workspace, probe: gate.probe, parallelism: gate.healthParallelism)
            early = checks
            observer = checks
        }
        rollout: for i in first..<waves.count {
            let wave = waves[i]
            if gated != nil {
                do { try await gated?.keepRollbackPoint(wave: i + 1, tenants: wave) } catch {
                    let text = (error as? StateError)?.text ?? "\(error)"
                    result.diagnostics.append(.error("could not keep wave \(i + 1)'s rollback point, so it was not started: \(text)"))
                    result.untouched = waves[i...].flatMap { $0 } + later
                    result.halt = "wave \(i + 1) could not keep its rollback point"
                    break
                }
            }
            var applied = ApplyResult(tenants: [], diagnostics: Diagnostics())
            for start in stride(from: 0, to: wave.count, by: max(1, source.segment)) {
                let part = Array(wave[start..<min(wave.count, start + max(1, source.segment))])
                let sub: Plan
                do { sub = try source.load(part) } catch {
                    // Nothing of this segment was touched: it and what follows are left as they are.
                    applied.diagnostics.append(.error("\(error)"))
                    result.tenants += applied.tenants
                    result.diagnostics.append(contentsOf: applied.diagnostics)
                    record(applied, into: &result.progress, options.planFile, observer)
                    result.untouched = Array(wave[start...]) + waves[(i + 1)...].flatMap { $0 } + later
                    result.later = []
                    break rollout
                }
                guard let r = await applyWave(sub, workspace, options, observer, replan) else {
                    result.replanFailed = true
                    result.tenants += applied.tenants
                    result.diagnostics.append(contentsOf: applied.diagnostics)
                    if !applied.tenants.isEmpty { record(applied, into: &result.progress, options.planFile, observer) }
                    break rollout
                }
                applied.tenants += r.tenants
                applied.diagnostics.append(contentsOf: r.diagnostics)
            }
            result.tenants += applied.tenants
            result.diagnostics.append(contentsOf: applied.diagnostics)
            record(applied, into: &result.progress, options.planFile, observer)
            let failedHere = applied.tenants.filter { $0.status == .failed }.count
            observer.handle(.waveFinished(wave: i + 1, waves: waves.count, tenants: wave.count, failed: failedHere))
            if var run = gated {
                let verdict = await run.judge(wave: i + 1, tenants: wave, applied: applied, early: early)
                gated = run
                for t in verdict.failed.keys where !applied.tenants.contains(where: { $0.tenant == t && $0.status == .failed }) {
                    result.unhealthy[t] = verdict.failed[t]
                }
                for t in verdict.tolerated { result.tolerated[t] = verdict.failed[t] }
                result.rolledBack += verdict.rolledBack
                result.notRolledBack.merge(verdict.notRolledBack) { a, _ in a }
                if let h = verdict.halt {
                    result.halt = h
                    result.untouched = waves[(i + 1)...].flatMap { $0 } + later
                    result.later = []
                    break
                }
                continue
            }
            if applied.failed {
                result.untouched = waves[(i + 1)...].flatMap { $0 } + later
                result.later = []
                break
            }
        }
        if var run = gated, result.halt == nil, !result.replanFailed, result.untouched.isEmpty {
            run.record.phase = .completed
            await run.save()
            run.notice(RolloutNotice(.completed, rollout: run.record.id, "rollout \(run.record.id) completed"))
        }
        if let run = gated, !run.gate.keepsRecord { await run.store.removeRollbackPoints(of: run.record) }
        result.seconds = Date().timeIntervalSince(started)
        return result
    }

    /// Rounds of planning again after the first apply of a wave: each round's concurrent runs
    /// can take the room of the next, but every round commits some tenants, so a few suffice.
    public static let maxReplanRounds = 6

    /// Applies `sub` (one wave's tenants, or a segment of them), then plans again and applies those a lock wait
    /// found stale and those displaced from a pool member that concurrent runs filled (other
    /// shards placing tenants on the same listeners), up to ``maxReplanRounds`` times. Nil when
    /// the replanner could not plan them.
    static func applyWave(
        _ sub: Plan, _ workspace: Workspace, _ options: RolloutOptions, _ observer: any ApplyObserver, _ replan: Replanner?
    ) async -> ApplyResult? {
        var result = await workspace.apply(sub, options: options.apply, observer: observer)
        guard let replan else { return result }
        for _ in 0..<maxReplanRounds {
            // Without a lock wait, state cannot move under a run; a displaced tenant's state did
            // not move at all (nothing was applied to it), only the pool filled.
            let again = Set(result.tenants.filter { $0.displaced || ($0.stale && options.apply.lockTimeout > 0) }.map(\.tenant))
            if again.isEmpty { break }
            let displaced = result.tenants.filter(\.displaced).map(\.tenant).sorted()
            observer.handle(.replanning(tenants: again.sorted(), displaced: displaced))
            guard let plan = await replan(again) else { return nil }
            let next = await workspace.apply(plan, options: options.apply, observer: observer)
            result = merge(result, next, replacing: again)
        }
        return result
    }

    /// `first` with the outcomes and diagnostics of the `stale` tenants replaced by `second`'s
    /// (a stale tenant the second plan has nothing for is active: it is already as specified).
    static func merge(_ first: ApplyResult, _ second: ApplyResult, replacing stale: Set<String>) -> ApplyResult {
        var tenants = first.tenants.filter { !stale.contains($0.tenant) }
        tenants += stale.sorted().map { t in
            second.tenants.first { $0.tenant == t }
                ?? TenantOutcome(tenant: t, status: .active, applied: 0, failed: 0, skipped: 0, errors: [], seconds: 0)
        }
        var diags = Diagnostics(first.diagnostics.items.filter { item in !stale.contains { item.address == $0 } })
        diags.append(contentsOf: second.diagnostics)
        return ApplyResult(tenants: tenants, diagnostics: diags)
    }

    /// Adds the wave's tenants that did not fail to `progress` and, for a saved plan, writes it
    /// back to its file (a failed write is a warning: the run goes on).
    static func record(_ wave: ApplyResult, into progress: inout Plan, _ planFile: String?, _ observer: any ApplyObserver) {
        progress.appliedTenants.formUnion(wave.tenants.filter { $0.status != .failed }.map(\.tenant))
        guard let planFile else { return }
        do { try AtomicFile.write(PlanFile.encode(progress), to: planFile, durable: true) } catch {
            observer.handle(.diagnostic(.warning("could not record the tenants done in the plan file: \(error)")))
        }
    }
}
