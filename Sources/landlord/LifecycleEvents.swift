import ArgumentParser
import Foundation
import LandlordCore
import LandlordEvents
import ProviderAPI
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The lifecycle events of apply and destroy, as `landlord serve` sends them: each tenant whose
/// status the run recorded gets `landlord.tenant.provisioned`, `.failed` or `.deleted`, written
/// to the platform's durable outbox as the engine records the status; what is waiting is
/// delivered at the end of the run for at most `--event-wait` seconds, and whatever is left
/// goes out with the next apply or destroy, or from `landlord serve`.
enum LifecycleEvents {
    /// The outbox of the platform's sinks (nil: no `events:` in platform.yaml, or `--no-events`);
    /// exits 1 with what to do when a sink cannot be set up (nothing was changed yet).
    static func outbox(_ ctx: Context, _ opts: ApplyingOptions, unchanged: String) throws -> EventOutbox? {
        do { return try configured(ctx, opts) } catch {
            ctx.output.error("\(ctx.fleet.platform.file) events: \(error); \(unchanged) (or pass --no-events to run without recording events)")
            throw ExitCode(1)
        }
    }

    /// After a plan with no changes: announces what an interrupted run recorded but did not
    /// announce (``EventIntents``), then delivers what earlier runs left, warning (not
    /// failing) when a sink cannot be set up.
    static func deliverLeftovers(_ ctx: Context, _ opts: ApplyingOptions) async {
        do {
            let outbox = try configured(ctx, opts)
            if let outbox { try await EventIntents(root: ctx.root, outbox: outbox).reconcile(store: ctx.store) }
            await deliver(ctx, outbox, opts)
        } catch {
            ctx.output.warning("\(ctx.fleet.platform.file) events: \(error); events waiting in .landlord/service/outbox were not delivered")
        }
    }

    /// Before a rollout: announces what an interrupted run left unannounced, then records this
    /// run's intents for the tenants `plan` changes (see ``EventIntents``); exits 1 with what
    /// to do when they cannot be written (nothing was changed yet).
    static func begin(_ ctx: Context, _ outbox: EventOutbox, _ tenants: [PendingTenant], unchanged: String) async throws -> EventIntents {
        let intents = EventIntents(root: ctx.root, outbox: outbox)
        do {
            try await intents.reconcile(store: ctx.store)
            try await intents.begin(tenants)
        } catch {
            ctx.output.error(
                """
                could not record this run's lifecycle events in .landlord/service/intents: \(error); \(unchanged) \
                (or pass --no-events to run without recording events)
                """
            )
            throw ExitCode(1)
        }
        return intents
    }

    private static func configured(_ ctx: Context, _ opts: ApplyingOptions) throws -> EventOutbox? {
        let sinks = ctx.fleet.platform.events
        guard !opts.noEvents, !sinks.webhooks.isEmpty || sinks.eventBridgeBus != nil else { return nil }
        return try EventOutbox(root: ctx.root, platform: ctx.fleet.platform, environment: ProcessInfo.processInfo.environment)
    }

    /// Delivers what the outbox holds for at most `--event-wait` seconds; warns about what
    /// is left (which stays in the outbox for the next run or the service).
    static func deliver(_ ctx: Context, _ outbox: EventOutbox?, _ opts: ApplyingOptions) async {
        guard let outbox, outbox.backlog > 0 else { return }
        let output = ctx.output
        let left = await outbox.deliverPending(until: Date().addingTimeInterval(opts.eventWait)) { output.warning($0) }
        for (sink, n) in left.sorted(by: { $0.key < $1.key }) {
            output.warning(
                """
                \(n) lifecycle event\(n == 1 ? "" : "s") not yet delivered to \(sink) after waiting \
                \(Int(opts.eventWait))s; they stay in .landlord/service/outbox and go out with the next apply or \
                destroy, or from `landlord serve`
                """
            )
        }
    }

    /// The lifecycle status and event reason of a tenant's outcome, nil when it has no event.
    static func status(of o: TenantOutcome) -> (status: EventStatus, reason: String?)? {
        guard o.recorded, let status = EventStatus(recorded: o.status) else { return nil }
        guard status == .failed else { return (status, nil) }
        let first = o.errors.first { $0.severity == .error }?.summary
        let n = o.failed + o.skipped
        return (status, "\(n) change\(n == 1 ? "" : "s") failed or not attempted" + (first.map { ": " + $0 } ?? ""))
    }
}

/// Passes every apply event on to `inner`, and records the lifecycle event of each tenant
/// whose status the engine recorded (synchronously, fsynced, before the next tenant's), keyed
/// by this run's ``EventIntents`` so a kill between the status and the event loses nothing.
final class EventRecorder: ApplyObserver, Sendable {
    let inner: any ApplyObserver
    let intents: EventIntents
    /// Tenant -> blueprint, from the plan's pending tenants (a removed tenant is in no tenant
    /// file any more).
    let blueprints: [String: String]
    let fleet: Fleet
    let output: Output

    init(inner: any ApplyObserver, intents: EventIntents, pending: [PendingTenant], fleet: Fleet, output: Output) {
        self.inner = inner
        self.intents = intents
        blueprints = Dictionary(pending.map { ($0.tenant, $0.blueprint) }, uniquingKeysWith: { a, _ in a })
        self.fleet = fleet
        self.output = output
    }

    func handle(_ event: ApplyEvent) {
        if case .tenantFinished(let o) = event, let s = LifecycleEvents.status(of: o) {
            let (status, reason) = (s.status, s.reason)
            let blueprint = blueprints[o.tenant] ?? fleet.tenant(o.tenant)?.blueprint ?? ""
            let outputs = status == .active ? o.outputs : [:]
            // `LANDLORD_CRASH_BEFORE_EVENT=TENANT` (tests only): killed after the engine recorded
            // the tenant's status, before its event is written.
            if ProcessInfo.processInfo.environment["LANDLORD_CRASH_BEFORE_EVENT"] == o.tenant { kill(getpid(), SIGKILL) }
            let exports = status == .deleted ? o.exports : [:]
            do {
                try intents.announce(tenant: o.tenant, blueprint: blueprint, status: status, reason: reason, outputs: outputs, exports: exports)
            } catch {
                output.warning(
                    """
                    could not record the \(status.rawValue) event of tenant '\(o.tenant)' in .landlord/service/outbox: \(error); \
                    the next apply or destroy records it
                    """
                )
            }
        }
        if case .rollout(let n) = event, let step = Self.rolloutStep(n.kind) {
            let e = intents.outbox.rolloutEvent(step: step, rollout: n.rollout, wave: n.wave, message: n.message, at: Date())
            do { try intents.outbox.enqueue(e) } catch {
                output.warning("could not record the landlord.rollout.\(step) event in .landlord/service/outbox: \(error)")
            }
        }
        inner.handle(event)
    }

    /// The `landlord.rollout.*` event of a rollout notice, nil for those without one (each
    /// tenant's rollback is announced as `landlord.tenant.rolled_back` by its status).
    static func rolloutStep(_ kind: RolloutNotice.Kind) -> String? {
        switch kind {
        case .started: return "started"
        case .waveCompleted: return "wave_completed"
        case .halted: return "halted"
        case .rolledBack: return "rolled_back"
        case .completed: return "completed"
        case .unhealthy, .baking, .rollingBack, .tenantRolledBack, .notRolledBack: return nil
        }
    }
}
