import Foundation
import ProviderAPI
import Synchronization

/// How to apply.
public struct ApplyOptions: Sendable {
    /// Provider operations in flight at once, across all tenants.
    public var parallelism: Int
    /// Seconds to wait for a tenant lock held by another run (0: fail at once).
    public var lockTimeout: TimeInterval
    /// Lease of a tenant lock; renewed while the apply runs.
    public var lease: TimeInterval
    public var holder: LockHolder
    /// The platform name, carried in resource tags.
    public var platform: String
    /// Look every create up by its tags first and adopt what exists (after state was lost).
    public var adopt = false
    /// Longest a batchable change (a Route53 record) waits for its batch to fill before it goes
    /// with whatever has gathered. Longer means fewer calls; shorter means tenants finish sooner.
    public var batchWindow: TimeInterval = 1

    public init(parallelism: Int = 10, lockTimeout: TimeInterval = 0, lease: TimeInterval = 120, holder: LockHolder, platform: String) {
        self.parallelism = max(1, parallelism)
        self.lockTimeout = lockTimeout
        self.lease = lease
        self.holder = holder
        self.platform = platform
    }
}

/// Carries out a plan: locks each tenant, refuses tenants whose state moved since planning,
/// commits shared allocations, then runs every step in dependency order with bounded
/// parallelism, recording each result as it lands.
public enum Applier {
    /// `pools`: the platform's pools (``PlatformSpec/pools``), whose members' limits a
    /// placement is checked against when it is committed; without them it is not checked.
    public static func apply(
        _ plan: Plan, providers: ProviderRegistry, store: any StateStore, options: ApplyOptions, observer: any ApplyObserver,
        pools: [String: [PoolMember]] = [:], recorder: AppliedKeyRecorder? = nil
    ) async -> ApplyResult {
        var run = ApplyRun(plan: plan, providers: providers, store: store, options: options, observer: observer, pools: pools)
        run.recorder = recorder
        return await run.apply()
    }

    /// How a tenant ends: failed when any step failed or was not attempted.
    static func finalStatus(_ tp: TenantPlan, _ outcome: TenantOutcome) -> TenantStatus {
        if outcome.failed > 0 || outcome.skipped > 0 { return .failed }
        if tp.rollback && tp.operation == .provision { return .rolledBack }
        return tp.operation == .provision ? .active : .destroyed
    }

    static func refuse(_ tp: TenantPlan, _ message: String, _ observer: any ApplyObserver, stale: Bool = false, displaced: Bool = false)
        -> TenantOutcome
    {
        var o = TenantOutcome(
            tenant: tp.tenant, status: .failed, applied: 0, failed: 0, skipped: tp.changes.count,
            errors: [.error(message, address: tp.tenant)], seconds: 0)
        o.stale = stale
        o.displaced = displaced
        observer.handle(.tenantFinished(o))
        return o
    }
}

/// One apply, phase by phase: locks, state check, journal, allocations, steps, finishing.
/// Each phase is a method; what they hand on (locks held, tenants refused, sessions) is kept
/// here.
struct ApplyRun {
    let plan: Plan
    let providers: ProviderRegistry
    let store: any StateStore
    let options: ApplyOptions
    let observer: any ApplyObserver
    let rules: AllocationRules
    /// Each pool member's limit per capacity, by member id.
    let limits: [String: [String: Int]]
    /// The store's write-ahead journal, where it keeps one (the local disk).
    let journaling: (any JournalingStateStore)?
    var diags = Diagnostics()
    /// Tenants whose lock this run holds (released at the end, whatever happened).
    var locked: [String] = []
    var refused: [TenantOutcome] = []
    /// Sessions of the tenants to apply, until the steps start (they then move to a
    /// ``SessionTable``, which lets each go when its tenant is done).
    var sessions: [String: TenantSession] = [:]
    var journal: (any StateJournal)?
    /// The tenants still to apply, as the phases leave them.
    var tenants: [TenantPlan] = []
    /// Records plan keys in the documents of tenants left clean (`AppliedKey`; nil: none).
    var recorder: AppliedKeyRecorder?
    /// `recorder` with the platform document as this run committed its allocations: what
    /// works out every key this run records (nil: none is recorded).
    var stamp: KeyStamp?

    init(
        plan: Plan, providers: ProviderRegistry, store: any StateStore, options: ApplyOptions, observer: any ApplyObserver,
        pools: [String: [PoolMember]] = [:]
    ) {
        var limits: [String: [String: Int]] = [:]
        for m in pools.values.joined() where !m.limits.isEmpty { limits[m.id] = m.limits }
        self.limits = limits
        self.plan = plan
        self.providers = providers
        self.store = store
        self.options = options
        self.observer = observer
        rules = AllocationRules(providers.schemas)
        journaling = store as? any JournalingStateStore
    }

    mutating func apply() async -> ApplyResult {
        // 1. Locks, then state checks against state read under the lock (a run that waited for
        //    another's lock must see what that run wrote, or it applies a stale plan over it).
        let held = await lock(plan.tenants.filter(\.hasChanges))
        let current: [String: TenantState]
        do { current = try await store.loadTenants(held.map(\.tenant)) } catch {
            return await giveUp(.error(error.text))
        }
        // The run's write-ahead journal, where the store keeps one.
        if let journaling, !held.isEmpty {
            do { journal = try journaling.openJournal() } catch {
                return await giveUp(.error(error.text))
            }
        }
        tenants = checkState(held, current)
        // 2. Shared allocations, committed for every tenant at once under the platform lock.
        do { try await commitAllocations() } catch {
            journal?.remove()
            return await giveUp(
                .error(
                    "could not record allocations and sequence numbers in the platform state: \(error.text)",
                    detail: "nothing was applied; check the state backend and run apply again"))
        }
        // The allocations the keys recorded at the end hold. Only a store with a journal writes
        // each document once at the end (and reads the keys back); unreadable, no key is recorded.
        if let recorder, journal != nil, let committed = try? await store.loadPlatform() {
            stamp = KeyStamp(recorder: recorder, platform: committed)
        }
        // Resources an adoption plan takes over, recorded before the changes that follow them.
        await recordAdoptions()
        // 3. The steps, with the locks' leases renewed while they run.
        let ran = await runSteps()
        // 4. Statuses, allocations released, documents written (removed tenants' deleted), locks released.
        return await finish(ran)
    }

    /// Before any step runs: reports `d`, releases the locks, applies nothing.
    mutating func giveUp(_ d: Diagnostic) async -> ApplyResult {
        diags.append(d)
        await store.releaseLocks(tenants: locked, holder: options.holder)
        for o in refused { diags.append(contentsOf: o.errors) }
        return ApplyResult(tenants: refused, diagnostics: diags)
    }

    /// Takes the tenants' locks; returns the tenants whose lock is held, refusing the others.
    mutating func lock(_ tenants: [TenantPlan]) async -> [TenantPlan] {
        var held: [TenantPlan] = []
        let taken = await store.acquireLocks(
            tenants: tenants.map(\.tenant), holder: options.holder, lease: options.lease, timeout: options.lockTimeout)
        for tp in tenants {
            switch taken[tp.tenant] ?? .failure(.io("no lock result for tenant '\(tp.tenant)'")) {
            case .success(let warnings):
                for w in warnings {
                    diags.append(w)
                    observer.handle(.diagnostic(w))
                }
                locked.append(tp.tenant)
                held.append(tp)
            case .failure(let error):
                refused.append(Applier.refuse(tp, error.text, observer))
            }
        }
        return held
    }

    /// Refuses tenants whose state moved since the plan was made; opens a session for the rest.
    mutating func checkState(_ held: [TenantPlan], _ current: [String: TenantState]) -> [TenantPlan] {
        var ready: [TenantPlan] = []
        for tp in held {
            let state = current[tp.tenant]
            if let s = state, tp.lineage != s.lineage || tp.serial != s.serial {
                let planned = tp.lineage.map { "lineage \($0) serial \(tp.serial ?? 0)" } ?? "no state"
                refused.append(
                    Applier.refuse(
                        tp,
                        """
                        state of tenant '\(tp.tenant)' changed since this plan was made (planned against \(planned), now \
                        serial \(s.serial)); nothing was applied to it. Plan again.
                        """,
                        observer, stale: true))
                continue
            }
            if state == nil && tp.lineage != nil {
                refused.append(
                    Applier.refuse(
                        tp, "state of tenant '\(tp.tenant)' is gone since this plan was made; nothing was applied to it. Plan again.", observer,
                        stale: true))
                continue
            }
            let st = state ?? TenantState(tenant: tp.tenant, blueprint: tp.blueprint)
            sessions[tp.tenant] = TenantSession(store: store, state: st, journal: journal)
            ready.append(tp)
        }
        return ready
    }

    /// Commits the tenants' allocations and sequence numbers. A tenant whose placement no
    /// longer fits is refused; a number a concurrent apply took moves (with a warning).
    mutating func commitAllocations() async throws {
        let adjusted = try await Applier.reserveAllocations(tenants, foreign: plan.foreignPriorities, rules: rules, store: store, limits: limits)
        for (i, tp) in tenants.enumerated() {
            guard let a = adjusted[tp.tenant] else { continue }
            if let bad = a.failure {
                refused.append(Applier.refuse(tp, bad, observer, displaced: a.displaced))
                sessions[tp.tenant] = nil
                continue
            }
            if !a.sequenceNumbers.isEmpty { await sessions[tp.tenant]?.setNumbers(a.sequenceNumbers) }
            for (ci, c) in tp.changes.enumerated() {
                guard let attr = rules.types[c.type]?.number?.attribute else { continue }
                if let p = a.numbers[c.name], c.after?[attr] != .int(p) {
                    tenants[i].changes[ci].after?[attr] = .int(p)
                    let w = Diagnostic.warning(
                        """
                        \(attr) of \(c.address) changed from \(c.after?[attr]?.interpolationText ?? "?") to \(p): a \
                        concurrent apply took the planned one
                        """,
                        address: c.address)
                    diags.append(w)
                    observer.handle(.diagnostic(w))
                }
            }
        }
        tenants.removeAll { sessions[$0.tenant] == nil }
    }

    /// Runs every step, renewing the locks' leases meanwhile. With a journal, each tenant's
    /// document is written as soon as its last step lands, while the other tenants still run,
    /// and its session (its whole state) is then released; the end writes only what changed
    /// after that.
    mutating func runSteps() async -> StepsRan {
        let (store, options, locked) = (self.store, self.options, self.locked)
        let renewer = Task {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(options.lease / 3 * 1e9))
                if Task.isCancelled { break }
                await store.renewLocks(tenants: locked, holder: options.holder, lease: options.lease)
            }
        }
        let sessions = SessionTable(self.sessions)
        self.sessions = [:]
        var runner = StepRunner(tenants: tenants, sessions: sessions, providers: providers, options: options, observer: observer)
        let early = EarlyDocumentWrites()
        if journal != nil, let journaling {
            runner.tenantDone = { [tenants, rules, stamp] index, outcome in
                let tp = tenants[index]
                let status = Applier.finalStatus(tp, outcome)
                guard let session = sessions[tp.tenant], !(tp.operation == .remove && status != .failed) else { return }
                early.add(
                    Task {
                        try? await session.settleOutputs(tp.outputs)
                        try? await session.setStatus(status)
                        var state = await session.state
                        if status == .active, outcome.errors.isEmpty { state.appliedFrom = stamp?.key(for: state) }
                        guard (try? await journaling.writeDocuments([state])) != nil else { return nil }
                        // Nothing changes its state after this: keep only what the end needs.
                        sessions.release(tp.tenant, keeping: ReleasedTenant(state, rules: rules))
                        return Keyed(tp.tenant, state.serial)
                    })
            }
        }
        let outcomes = await runner.run()
        renewer.cancel()
        return StepsRan(outcomes: outcomes, early: early, sessions: sessions)
    }

    /// What the steps phase hands on (a struct, not a tuple: see `Keyed` for why an async
    /// function's tuple result is avoided).
    struct StepsRan {
        var outcomes: [TenantOutcome]
        var early: EarlyDocumentWrites
        var sessions: SessionTable
    }

    /// Records each tenant's final status; releases allocations, then writes the documents
    /// (deleting removed tenants'), then releases the locks.
    mutating func finish(_ ran: StepsRan) async -> ApplyResult {
        // The documents written early first: their tenants' sessions are then released.
        let written = await ran.early.written()
        let statuses = await recordStatuses(ran.outcomes, ran.sessions)
        let (outcomes, removed) = (statuses.outcomes, statuses.removed)
        var finalStates: [String: TenantState] = [:]
        for (tenant, s) in ran.sessions.remaining { finalStates[tenant] = await s.state }
        if let stamp {
            // Tenants the run left clean (no error, active): their documents record the key.
            for o in outcomes where o.status == .active && o.errors.isEmpty {
                guard var s = finalStates[o.tenant] else { continue }
                s.appliedFrom = stamp.key(for: s)
                finalStates[o.tenant] = s
            }
        }
        var holds = ran.sessions.released
        for (tenant, s) in finalStates { holds[tenant] = ReleasedTenant(s, rules: rules) }
        // Allocations go before any removed tenant's document does: a run killed in between
        // leaves a document that still accounts for the tenant, never an allocation held by a
        // tenant with no state, which no later plan would visit to release (the crash test
        // found that leak).
        do { try await Applier.releaseAllocations(holds, store: store) } catch {
            diags.append(
                .warning(
                    "could not release allocations in the platform state: \(error.text)",
                    detail: "they are released by the next apply of these tenants"))
        }
        await writeDocuments(finalStates, removed: removed, written: written)
        await store.releaseLocks(tenants: locked, holder: options.holder)
        await store.publish()
        for o in refused + outcomes { diags.append(contentsOf: o.errors) }
        return ApplyResult(tenants: (refused + outcomes).sorted { $0.tenant < $1.tenant }, diagnostics: diags)
    }

    /// Sets and records each tenant's final status; returns the outcomes and the removed
    /// tenants that have nothing left (whose documents go).
    /// A tenant whose session was released had its outputs and status recorded, and its
    /// document written, when its last step landed.
    func recordStatuses(_ ran: [TenantOutcome], _ sessions: SessionTable) async -> RecordedStatuses {
        var outcomes = ran
        var removed = Set<String>()
        for i in outcomes.indices {
            let tp = tenants[i]
            let status = Applier.finalStatus(tp, outcomes[i])
            guard let session = sessions[tp.tenant] else {
                outcomes[i].status = status
                // Released after its document was written: status and outputs are recorded.
                if let hold = sessions.released[tp.tenant] {
                    outcomes[i].outputs = hold.outputs
                    outcomes[i].exports = hold.exports
                    outcomes[i].recorded = true
                }
                observer.handle(.tenantFinished(outcomes[i]))
                continue
            }
            outcomes[i].status = status
            do {
                // Outputs once their inputs are known: what the resources recorded.
                try await session.settleOutputs(tenants[i].outputs)
                try await session.setStatus(status)
                try await session.flush()
                outcomes[i].outputs = await session.state.outputs
                outcomes[i].exports = await session.state.exports
                outcomes[i].recorded = true
                // A removed tenant's document goes, unless it holds exports: it is their record.
                if tp.operation == .remove && status != .failed, await session.isEmpty, outcomes[i].exports.isEmpty { removed.insert(tp.tenant) }
            } catch {
                outcomes[i].errors.append(.error("could not record the status of tenant '\(tp.tenant)': \(error.text)"))
            }
            observer.handle(.tenantFinished(outcomes[i]))
        }
        return RecordedStatuses(outcomes: outcomes, removed: removed)
    }

    struct RecordedStatuses {
        var outcomes: [TenantOutcome]
        /// Removed tenants with nothing left: their documents go.
        var removed: Set<String>
    }

    /// The journal checkpointed into the documents not written early (removed tenants'
    /// deleted); without a journal, removed tenants' documents deleted.
    /// `written`: the serial each document written early was written at (their tenants'
    /// states are not in `finalStates`: their sessions were released).
    mutating func writeDocuments(_ finalStates: [String: TenantState], removed: Set<String>, written: [String: Int]) async {
        if let journal, let journaling {
            let unwritten = finalStates.values.filter { written[$0.tenant] != $0.serial || removed.contains($0.tenant) }
            do { try await journaling.checkpoint(journal, states: unwritten, deleted: removed) } catch {
                diags.append(
                    .error(
                        "could not write the tenant state documents: \(error.text)",
                        detail: "every change is in the journal \(journal.path); the next landlord command replays it"))
            }
            return
        }
        for tenant in removed.sorted() {
            do { try await store.deleteTenant(tenant) } catch {
                diags.append(
                    .error(
                        "could not delete the state of removed tenant '\(tenant)': \(error.text)",
                        detail: "its resources are gone; delete the document by hand or run apply again"))
            }
        }
    }
}

/// The tenant documents written while an apply still runs, and at which serial.
final class EarlyDocumentWrites: Sendable {
    private let tasks = Mutex<[Task<Keyed<String, Int>?, Never>]>([])

    func add(_ t: Task<Keyed<String, Int>?, Never>) { tasks.withLock { $0.append(t) } }

    /// Waits for every write and returns the serial each tenant's document was written at.
    func written() async -> [String: Int] {
        var out: [String: Int] = [:]
        for t in tasks.withLock({ $0 }) { if let written = await t.value { out[written.key] = written.value } }
        return out
    }
}

/// A recorder with the platform document it keys against: what an apply records every key with
/// (the steps' early writes and the end's checkpoint).
struct KeyStamp: Sendable {
    let recorder: AppliedKeyRecorder
    let platform: PlatformState

    func key(for state: TenantState) -> String? { recorder.key(for: state, platform: platform) }
}
