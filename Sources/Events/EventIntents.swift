import Foundation
import LandlordBasics
import LandlordCore
import LandlordEvents
import ProviderAPI

#if canImport(Glibc)
    import Glibc
#endif

/// What makes the CLI's lifecycle events survive a kill. The engine records a tenant's final
/// status in its state, then the CLI writes the event: a kill between the two would lose it.
/// So before the rollout, every tenant about to change gets an intent
/// (`.landlord/service/intents/ID.json`: this run's id, the state serial the plan was made
/// against, the process); the event written when its status is recorded carries a key made of
/// the run, tenant and status (in its file name and `id`), and then the intent is removed.
///
/// Every apply and destroy first reconciles the intents a dead run left: a tenant whose state
/// moved past the intent's serial to a final status (or whose state is gone) gets the event
/// of that status, unless the outbox already holds the event of that key (the run died
/// between writing the event and removing the intent). So each status is announced once.
/// Intents of a run still alive (another CLI process) are left to it.
public struct EventIntents: Sendable {
    /// Where the intents are kept: `.landlord/service/intents` under the fleet.
    public let directory: String
    /// The outbox the events go to.
    public let outbox: EventOutbox
    /// This run's id.
    public let run: String

    /// The intents of the fleet at `root`, announcing into `outbox`, for a run of a fresh id.
    public init(root: URL, outbox: EventOutbox) {
        directory = root.appendingPathComponent(".landlord/service/intents").path
        self.outbox = outbox
        run = UUID().uuidString.lowercased()
    }

    /// One tenant's intent as stored.
    struct Intent: Codable, Sendable {
        var run: String
        /// The state serial the plan was made against (nil: the tenant had no state).
        var serial: Int?
        var blueprint: String
        var pid: Int32
    }

    /// The key of the event announcing `status` of `tenant` in `run`: the same key whoever
    /// writes it, so a second writer sees the first's file.
    public static func key(run: String, tenant: String, status: EventStatus) -> String {
        String(Digest.sha256Hex("\(run)\n\(tenant)\n\(status.rawValue)").prefix(32))
    }

    /// Records the intents of the tenants the plan changes resources of (`tenants`: what
    /// ``Applicable/intended`` gives), durably, in one batch.
    public func begin(_ tenants: [PendingTenant]) async throws {
        try AtomicFile.makeDirectory(directory)
        let writes = try tenants.filter { $0.changes > 0 }.map { t in
            GroupCommit.Write(
                path: path(t.tenant),
                bytes: Array(try JSONEncoder().encode(Intent(run: run, serial: t.serial, blueprint: t.blueprint, pid: getpid()))))
        }
        try await GroupCommit().commit(writes)
    }

    /// Records the event of `tenant` reaching `status` (keyed by this run), then drops its intent.
    public func announce(
        tenant: String, blueprint: String, status: EventStatus, reason: String?, outputs: [String: Value],
        exports: [String: ExportRecord] = [:]
    ) throws {
        let key = Self.key(run: run, tenant: tenant, status: status)
        let event = outbox.event(tenant: tenant, blueprint: blueprint, status: status, reason: reason, outputs: outputs, at: Date(), exports: exports)
        try outbox.enqueue(keyed(event, key), key: key)
        crashPoint(tenant)
        unlink(path(tenant))
    }

    /// Announces what runs that died recorded in state but never announced (see the type's
    /// documentation); returns how many events that wrote.
    @discardableResult
    public func reconcile(store: any StateStore) async throws -> Int {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }
        var intents: [String: Intent] = [:]
        for name in names {
            let tenant = String(name.dropLast(5))
            guard let bytes = AtomicFile.read(path(tenant)), let intent = try? JSONDecoder().decode(Intent.self, from: Data(bytes)) else {
                unlink(path(tenant))
                continue
            }
            // A run still going (another CLI process) announces its own tenants.
            if intent.run != run && intent.pid != getpid() && kill(intent.pid, 0) == 0 { continue }
            intents[tenant] = intent
        }
        guard !intents.isEmpty else { return 0 }
        let states = try await store.loadTenants(intents.keys.sorted())
        var written = 0
        for (tenant, intent) in intents.sorted(by: { $0.key < $1.key }) {
            let state = states[tenant]
            var status: EventStatus?
            if let state, state.serial != intent.serial {
                status = EventStatus(recorded: state.status, hadState: intent.serial != nil)
            } else if state == nil && intent.serial != nil {
                status = .deleted
            }
            if let status {
                let key = Self.key(run: intent.run, tenant: tenant, status: status)
                if !outbox.holds(key: key) {
                    let reason = status == .failed ? "recorded by a run that was interrupted before announcing it" : nil
                    let outputs = status == .active ? state?.outputs ?? [:] : [:]
                    let event = outbox.event(
                        tenant: tenant, blueprint: state?.blueprint ?? intent.blueprint, status: status, reason: reason, outputs: outputs,
                        at: state?.updatedAt ?? Date(), exports: status == .deleted ? state?.exports ?? [:] : [:])
                    try outbox.enqueue(keyed(event, key), key: key)
                    written += 1
                }
            }
            unlink(path(tenant))
        }
        return written
    }

    private func path(_ tenant: String) -> String { directory + "/" + tenant + ".json" }

    /// The event with its `id` set to `key` (a receiver deduplicating by id sees one event).
    private func keyed(_ event: Value, _ key: String) -> Value {
        guard case .map(var m) = event else { return event }
        m["id"] = .string(key)
        return .map(m)
    }

    /// `LANDLORD_CRASH_AFTER_EVENT=TENANT` (tests only): the process kills itself right after
    /// the tenant's event is written, before its intent is dropped.
    private func crashPoint(_ tenant: String) {
        if ProcessInfo.processInfo.environment["LANDLORD_CRASH_AFTER_EVENT"] == tenant { kill(getpid(), SIGKILL) }
    }
}

/// A tenant an apply will work on, as the progress printer and the event recorder need it.
public struct PendingTenant: Sendable {
    /// The tenant's id.
    public var tenant: String
    /// Its blueprint.
    public var blueprint: String
    /// Its resource changes.
    public var changes: Int
    /// The state serial it was planned against (nil: it had no state).
    public var serial: Int?

    /// A tenant with `changes` resource changes, planned against state `serial`.
    public init(tenant: String, blueprint: String, changes: Int, serial: Int?) {
        self.tenant = tenant
        self.blueprint = blueprint
        self.changes = changes
        self.serial = serial
    }
}

extension EventStatus {
    /// The event of a tenant status the engine recorded in state (the one mapping from
    /// ``TenantStatus``): nil while unfinished (the next apply announces it), and for a
    /// destroyed tenant that had no state before the run (`hadState` false).
    public init?(recorded status: TenantStatus, hadState: Bool = true) {
        switch status {
        case .active: self = .active
        case .failed: self = .failed
        case .rolledBack: self = .rolledBack
        case .destroyed:
            guard hadState else { return nil }
            self = .deleted
        case .provisioning, .destroying: return nil
        }
    }
}
