import Foundation
import ProviderAPI

/// One tenant's state during an apply. Every change is recorded as soon as it happens (intent
/// before a create, result after), so a run killed at any instant leaves a state the next run
/// can finish from. Only intents wait for storage (see `StateChange.mustBeDurable`): with a
/// journal (the local store) a change is one append to the run's shared log; otherwise the
/// whole document is written through to the store at each intent and at the end (`flush`).
/// Calls for one tenant are serialised by the actor; different tenants write in parallel.
actor TenantSession {
    let store: any StateStore
    let journal: (any StateJournal)?
    private(set) var state: TenantState

    init(store: any StateStore, state: TenantState, journal: (any StateJournal)? = nil) {
        self.store = store
        self.state = state
        self.journal = journal
    }

    /// The key a replaced resource's old object is kept under until it is deleted.
    static func deposedKey(_ name: String) -> String { StateChange.deposedKey(name) }

    /// No resources and no pending creates.
    var isEmpty: Bool { state.resources.isEmpty && state.pending.isEmpty }

    func resource(_ name: String) -> ResourceState? { state.resources[name] }
    func pending(_ name: String) -> PendingIntent? { state.pending[name] }

    /// Ids of the recorded resources of a type (under any name, deposed ones included).
    func recordedIDs(type: String) -> Set<String> {
        Set(state.resources.values.lazy.filter { $0.type == type }.map(\.id))
    }

    /// The tenant's sequence numbers, which deferred `${seq.NAME}` inputs resolve against.
    private var numbers: [String: Int] = [:]

    func setNumbers(_ n: [String: Int]) { numbers = n }

    func attributes() -> [String: [String: Value]] {
        var out = state.resources.mapValues(\.attributes)
        if !numbers.isEmpty { out[Evaluator.sequenceResource] = numbers.mapValues { .int($0) } }
        return out
    }

    func setStatus(_ s: TenantStatus) async throws {
        guard state.status != s else { return }
        try await commit(.status(s))
    }

    /// Records that a create is about to be sent.
    func recordIntent(_ name: String, type: String, token: String, inputs: [String: Value]) async throws {
        try await commit(.intent(name, PendingIntent(type: type, clientToken: token, startedAt: Date(), inputs: inputs)))
    }

    /// Records a resource as it now is, clearing any pending intent for it.
    func record(_ name: String, _ r: ResourceState) async throws { try await commit(.record(name, r)) }

    /// Where this run deposed each resource it replaces (see `StateChange.freeDeposedKey`).
    private var deposedThisRun: [String: String] = [:]

    /// Moves a resource aside before its replacement is created.
    func depose(_ name: String) async throws {
        guard state.resources[name] != nil else { return }
        let key = StateChange.freeDeposedKey(name, in: state)
        try await commit(.depose(name))
        deposedThisRun[name] = key
    }

    /// The key this run's replacement of `name` deposed the old object under.
    func deposedKey(ofReplacement name: String) -> String { deposedThisRun[name] ?? Self.deposedKey(name) }

    /// Records the tenant's outputs (all of them: the map replaces the recorded one).
    func recordOutputs(_ outputs: [String: Value]) async throws { try await commit(.outputs(outputs)) }

    /// Records, durably, that a resource's data was exported: its delete may be sent now, and
    /// a run killed before the delete lands finds the export and does not make another.
    func recordExport(_ name: String, _ e: ExportRecord) async throws { try await commit(.export(name, e)) }

    /// The export recorded for a state key, if any.
    func export(_ name: String) -> ExportRecord? { state.exports[name] }

    /// Forgets a resource (after its delete) and any intent for it.
    func forget(_ name: String) async throws { try await commit(.forget(name)) }

    /// Makes a change and records it: appended to the journal (waiting for the disk only when
    /// the change must be durable), or the document written through.
    private func commit(_ change: StateChange) async throws {
        change.apply(to: &state)
        state.serial += 1
        state.updatedAt = Date()
        if let journal {
            let ticket = journal.append(change, of: state)
            if change.mustBeDurable { try await journal.waitUntilDurable(ticket) }
            return
        }
        // Without a journal the same rule holds: a change that need not be durable waits for
        // the next write, which carries the whole document (and so every change before it).
        guard change.mustBeDurable else {
            unwritten = true
            return
        }
        try await save()
    }

    /// Changes made but not yet written to a store without a journal.
    private var unwritten = false

    /// Writes every change not yet written: at the end of a tenant's apply. (With a journal,
    /// the checkpoint writes the document instead.)
    func flush() async throws {
        guard journal == nil, unwritten else { return }
        try await save()
    }

    // Group commit. Every change bumps `version`; one writer at a time writes the latest state,
    // and every change that write covered is done. Changes that land while a write is in flight
    // go out together in the next one, so parallel steps of a tenant share writes. (The actor is
    // reentrant at `await`: a plain "save after every change" could also let an older snapshot
    // land after a newer one.)
    private var version = 0
    private var written = 0
    private var writing = false
    private var waiters: [(version: Int, cont: CheckedContinuation<Void, Error>)] = []

    private func save() async throws {
        version += 1
        let mine = version
        if writing {
            try await withCheckedThrowingContinuation { waiters.append((mine, $0)) }
            return
        }
        writing = true
        defer { writing = false }
        var failure: Error?
        while written < version {
            let target = version
            let snapshot = state
            unwritten = false
            do {
                try await store.saveTenant(snapshot)
            } catch {
                unwritten = true
                // Everything up to `target` is not on disk: fail those callers.
                let failed = waiters.filter { $0.version <= target }
                waiters.removeAll { $0.version <= target }
                for w in failed { w.cont.resume(throwing: error) }
                if mine <= target { failure = error }
                written = target  // those callers were told; go on for any later change
                continue
            }
            written = target
            let done = waiters.filter { $0.version <= target }
            waiters.removeAll { $0.version <= target }
            for w in done { w.cont.resume() }
        }
        if let failure { throw failure }
    }
}
