import AWSClient
import Foundation
import LandlordBasics
import LandlordCore
import LandlordHTTP
import ProviderAPI
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Tenant lifecycle events in a durable outbox per sink (`.landlord/service/outbox/SINK/`,
/// one file per event, written before the caller records the change that caused it or at it)
/// and their delivery: at least once, in order per (sink, tenant), retried with backoff for
/// `retryFor` (a day). One tenant's failing events hold back only that tenant's later ones.
///
/// `landlord serve` and the CLI's apply and destroy share it: both write into the same
/// directories (file names are unique across processes and sort by time), and whichever
/// holds a sink's delivery lock (`flock` on `SINK/.deliver.lock`) delivers all of it.
public final class EventOutbox: Sendable {
    let sinks: [any EventSink]
    /// The platform's name (the events' `source` is `/landlord/PLATFORM`).
    public let platform: String
    /// The last time stamp (ns) given to an event file by this process.
    private let clock: Mutex<UInt64>
    private let wake: Mutex<[WakeSignal]>
    /// How long an event is retried before it is given up (a day).
    public let retryFor: TimeInterval
    /// Where the event files are kept (the local disk unless the service's state is in S3).
    public let storage: any OutboxStorage
    /// What the deliverers wait and back off by (the system clock; a test's clock in tests).
    public let pacing: any PacingClock

    /// Reads the sinks of platform.yaml's `events:`; throws when a webhook's secret variable
    /// is not set, or the EventBridge bus has no AWS credentials or region. `transport`
    /// carries the webhooks' requests and the AWS calls (a `CurlTransport` when nil); `storage` keeps
    /// the event files (the local disk when nil); `clock` paces delivery.
    public init(
        root: URL, platform: PlatformSpec, environment: [String: String], retryFor: TimeInterval = 86_400, transport: (any HTTPTransport)? = nil,
        storage: (any OutboxStorage)? = nil, clock: any PacingClock = SystemPacingClock()
    ) throws {
        let http = transport ?? CurlTransport(timeout: 30)
        let base = root.appendingPathComponent(".landlord/service/outbox").path
        var sinks: [any EventSink] = []
        for hook in platform.events.webhooks {
            guard let url = URL(string: hook.url) else { continue }
            var key: [UInt8] = []
            if let name = hook.secretEnv {
                guard let secret = environment[name], !secret.isEmpty else {
                    throw FileError("the webhook \(hook.url) is signed with the secret in \(name), which is not set: export \(name) and run again")
                }
                key = WebhookSink.signingKey(secret)
            }
            let dir = base + "/webhook-" + String(Digest.sha256Hex(hook.url).prefix(12))
            try AtomicFile.makeDirectory(dir)
            sinks.append(WebhookSink(url: url, key: key, directory: dir, transport: http))
        }
        if let bus = platform.events.eventBridgeBus {
            let configuration: AWSConfiguration
            do {
                configuration = try AWSConfiguration.resolve(
                    region: platform.providerSettings("aws")["region"]?.stringValue, environment: environment)
            } catch {
                throw FileError("events go to the EventBridge bus '\(bus)', but \(error)")
            }
            let dir = base + "/eventbridge-" + String(Digest.sha256Hex(bus).prefix(12))
            try AtomicFile.makeDirectory(dir)
            // Few quick retries inside a call: the outbox retries failed entries itself.
            let client = AWSClient(
                configuration: configuration, transport: http, retry: RetryPolicy(maxAttempts: 3, baseDelay: 0.2, maxDelay: 2, maxTotalTime: 20))
            sinks.append(EventBridgeSink(bus: bus, client: client, directory: dir, sbtAWS: platform.events.eventBridgeFormat == "sbt-aws"))
        }
        self.sinks = sinks
        self.platform = platform.name
        self.retryFor = retryFor
        self.storage = storage ?? LocalOutboxStorage()
        pacing = clock
        self.clock = Mutex(0)
        wake = Mutex([])
    }

    /// True when platform.yaml names no sink (events are then not even written).
    public var isEmpty: Bool { sinks.isEmpty }

    /// The CloudEvent of `tenant` reaching `status` (see ``CloudEvent/make``).
    public func event(
        tenant: String, blueprint: String, status: EventStatus, reason: String?, outputs: [String: Value], at now: Date,
        exports: [String: ExportRecord] = [:]
    ) -> Value {
        CloudEvent.make(
            platform: platform, tenant: tenant, blueprint: blueprint, status: status, reason: reason, outputs: outputs, at: now, exports: exports)
    }

    /// The event of a rollout's step (see ``CloudEvent/rollout(platform:step:rollout:wave:message:at:)``).
    public func rolloutEvent(step: String, rollout: String, wave: Int?, message: String, at now: Date) -> Value {
        CloudEvent.rollout(platform: platform, step: step, rollout: rollout, wave: wave, message: message, at: now)
    }

    /// Records `event` in every sink's outbox (durably: fsynced) and wakes the deliverers.
    /// The file name (`NANOS_RANDOM_TENANT.json`) sorts by when it was written, is unique
    /// across processes, and names the tenant, so delivery can order per tenant unread.
    public func enqueue(_ event: Value, key: String? = nil) throws {
        for w in writes(for: event, key: key) { try AtomicFile.write(w.bytes, to: w.path, durable: true) }
        wakeDeliverers()
    }

    /// The files that record `event` in every sink's outbox (named as ``enqueue(_:key:)``
    /// names them), for a caller that makes them durable together with other files (a
    /// ``GroupCommit`` batch) and then calls ``wakeDeliverers()``. Empty without sinks.
    /// `key` (hex, no `_`) takes the place of the name's random part, so ``holds(key:)`` finds it.
    public func writes(for event: Value, key: String? = nil) -> [GroupCommit.Write] {
        entries(for: event, key: key).map { GroupCommit.Write(path: $0.directory + "/" + $0.name, bytes: $0.bytes) }
    }

    /// One event as one sink's outbox keeps it.
    public struct Entry: Sendable {
        /// The sink's outbox directory (its folder in any ``OutboxStorage``).
        public var directory: String
        /// The event's name there.
        public var name: String
        /// The event's JSON.
        public var bytes: [UInt8]
    }

    /// `event` as every sink's outbox keeps it (see ``writes(for:key:)``), for a storage other
    /// than the local disk.
    public func entries(for event: Value, key: String? = nil) -> [Entry] {
        guard !sinks.isEmpty else { return [] }
        let tenant = event.mapValue?["subject"]?.stringValue ?? ""
        let now = UInt64(max(0, Date().timeIntervalSince1970 * 1e9))
        let stamp = clock.withLock { last in
            last = max(last + 1, now)
            return last
        }
        let random = key ?? String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let name = String(format: "%020llu", stamp) + "_" + random + "_" + tenant + ".json"
        let bytes = JSON.serialize(event)
        return sinks.map { Entry(directory: $0.directory, name: name, bytes: bytes) }
    }

    /// True when an event written with `key` waits in some sink's outbox (not yet delivered).
    public func holds(key: String) -> Bool {
        sinks.contains { s in Self.pending(s.directory).contains { $0.contains("_" + key + "_") } }
    }

    /// Tells the deliverers new event files are waiting.
    public func wakeDeliverers() { wake.withLock { for w in $0 { w.signal() } } }

    /// Event files waiting in a directory, oldest first.
    static func pending(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted()
    }

    /// Events not yet delivered, over every sink.
    public var backlog: Int { sinks.reduce(0) { $0 + storage.count($1.directory) } }

    /// Undelivered events per sink, by the sink's name (sinks with none left out).
    public var backlogBySink: [String: Int] {
        var out: [String: Int] = [:]
        for s in sinks {
            let n = storage.count(s.directory)
            if n > 0 { out[s.name] = n }
        }
        return out
    }

    /// Delivers every sink's events until the task is cancelled (`landlord serve`). A sink
    /// whose delivery lock another process holds (a CLI run delivering at its end) is
    /// retried every second.
    public func deliver(log: @escaping @Sendable (String) -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            for sink in sinks {
                let signal = WakeSignal()
                wake.withLock { $0.append(signal) }
                group.addTask {
                    while !Task.isCancelled {
                        if let lock = DeliveryLock(sink.directory) {
                            await self.deliverer(sink, log).run(until: nil, wakes: signal)
                            lock.release()
                        } else {
                            await self.pacing.sleep(seconds: 1)
                        }
                    }
                }
            }
        }
    }

    /// Delivers what is waiting (this run's events and any left by earlier runs) until every
    /// sink is empty or `deadline` passes (the CLI's bounded wait at the end of apply and
    /// destroy). A sink another process is delivering (`landlord serve`) is left to it.
    /// Returns what is left per sink that nobody is delivering.
    public func deliverPending(until deadline: Date, log: @escaping @Sendable (String) -> Void) async -> [String: Int] {
        let left = await withTaskGroup(of: Keyed<String, Int>.self) { group in
            for sink in sinks {
                group.addTask {
                    guard await !self.storage.pending(sink.directory).isEmpty else { return Keyed(sink.name, 0) }
                    guard let lock = DeliveryLock(sink.directory) else { return Keyed(sink.name, 0) }
                    defer { lock.release() }
                    await self.deliverer(sink, log).run(until: deadline, wakes: nil)
                    return Keyed(sink.name, await self.storage.pending(sink.directory).count)
                }
            }
            var out: [String: Int] = [:]
            for await k in group where k.value > 0 { out[k.key] = k.value }
            return out
        }
        return left
    }

    func deliverer(_ sink: any EventSink, _ log: @escaping @Sendable (String) -> Void) -> Deliverer {
        Deliverer(sink: sink, storage: storage, retryFor: retryFor, clock: pacing, log: log)
    }
}

/// The exclusive right to deliver one sink's outbox: a non-blocking `flock` on
/// `SINK/.deliver.lock`, held until released (or the process ends).
final class DeliveryLock: Sendable {
    let fd: Int32

    /// Nil when another process (or deliverer) holds it.
    init?(_ directory: String) {
        let fd = AtomicFile.openPrivate(directory + "/.deliver.lock", O_CREAT | O_RDWR)
        guard fd >= 0 else { return nil }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            return nil
        }
        self.fd = fd
    }

    func release() {
        flock(fd, LOCK_UN)
        close(fd)
    }
}

/// Delivers one sink's outbox: each round sends the oldest event of every tenant that is not
/// backing off (in batches of the sink's size); a delivered event's file is removed, a failed
/// one's tenant backs off (1 s doubling to 5 min) while the other tenants go on.
struct Deliverer {
    let sink: any EventSink
    let storage: any OutboxStorage
    let retryFor: TimeInterval
    let clock: any PacingClock
    let log: @Sendable (String) -> Void

    /// A tenant's failed attempts and when it may be tried again.
    struct Backoff {
        var attempts: Int
        var next: Date

        /// After the `attempts`-th failure in a row at `now`: 1 s, doubling, at most 5 min.
        static func after(_ attempts: Int, at now: Date) -> Backoff {
            Backoff(attempts: attempts, next: now.addingTimeInterval(min(300, pow(2, Double(min(attempts - 1, 9))))))
        }
    }

    /// Runs until cancelled, or (with `deadline`) until the outbox is empty or the deadline
    /// passes. Without a deadline, waits on `wakes` (or a second) when there is nothing to do.
    func run(until deadline: Date?, wakes: WakeSignal?) async {
        var backoff: [String: Backoff] = [:]
        while !Task.isCancelled {
            if let deadline, clock.date() >= deadline { return }
            let now = clock.date()
            var heads: [String: String] = [:]
            var order: [String] = []
            for name in await storage.pending(sink.directory) {
                guard let tenant = await tenant(of: name), heads[tenant] == nil else { continue }
                heads[tenant] = name
                order.append(tenant)
            }
            if order.isEmpty && deadline != nil { return }
            let ready = order.filter { (backoff[$0]?.next ?? .distantPast) <= now }
            guard !ready.isEmpty else {
                // Nothing due: wait for a new event, the next retry, or a second.
                let due = order.compactMap { backoff[$0]?.next }.min() ?? now.addingTimeInterval(1)
                var wait = min(1, max(0.02, due.timeIntervalSince(now)))
                if let deadline { wait = min(wait, max(0, deadline.timeIntervalSince(now))) }
                await pause(wait, wakes)
                continue
            }
            var batch: [PendingEvent] = []
            for tenant in ready {
                let path = sink.directory + "/" + heads[tenant]!
                let body: [UInt8]
                switch await storage.read(sink.directory, heads[tenant]!) {
                case .gone: continue
                case .failed(let why):
                    // The storage, not the event: this tenant waits and tries again.
                    let attempts = (backoff[tenant]?.attempts ?? 0) + 1
                    if attempts == 1 { log("could not read event \(path): \(why); retrying with backoff") }
                    backoff[tenant] = .after(attempts, at: clock.date())
                    continue
                case .event(let bytes): body = bytes
                }
                guard let event = try? JSON.parse(body), case .map(let m) = event else {
                    log("event file \(path) is unreadable; moved aside as \(path).bad")
                    await storage.setAside(sink.directory, heads[tenant]!)
                    // Should the move itself fail, the next try waits.
                    backoff[tenant] = .after(1, at: clock.date())
                    continue
                }
                batch.append(
                    PendingEvent(
                        path: path, tenant: tenant, id: m["id"]?.stringValue ?? heads[tenant]!, type: m["type"]?.stringValue ?? "landlord.tenant",
                        time: m["time"]?.stringValue.flatMap(StateDates.parse) ?? now, body: body))
            }
            var start = 0
            while start < batch.count && !Task.isCancelled {
                let part = Array(batch[start..<min(batch.count, start + sink.batchSize)])
                start += part.count
                let answers = await sink.send(part)
                for (e, problem) in zip(part, answers) {
                    if problem == nil || clock.date().timeIntervalSince(e.time) > retryFor {
                        if let problem { log("gave up delivering event \(e.id) to \(sink.name) after \(Int(retryFor))s: \(problem)") }
                        await storage.remove(sink.directory, (e.path as NSString).lastPathComponent)
                        backoff[e.tenant] = nil
                    } else {
                        let attempts = (backoff[e.tenant]?.attempts ?? 0) + 1
                        if attempts == 1 {
                            log(
                                """
                                could not deliver the \(e.type) event of tenant '\(e.tenant)' to \(sink.name): \(problem ?? ""); \
                                retrying with backoff
                                """
                            )
                        }
                        backoff[e.tenant] = .after(attempts, at: clock.date())
                    }
                }
            }
        }
    }

    /// The tenant an event file is about: from its name, or (files of older versions,
    /// `SEQ.json`) its `subject`.
    func tenant(of name: String) async -> String? {
        let parts = name.dropLast(5).split(separator: "_", maxSplits: 2, omittingEmptySubsequences: false)
        if parts.count == 3 { return String(parts[2]) }
        guard case .event(let body) = await storage.read(sink.directory, name) else { return "" }
        return (try? JSON.parse(body))?.mapValue?["subject"]?.stringValue ?? ""
    }

    private func pause(_ seconds: Double, _ wakes: WakeSignal?) async {
        guard let wakes else {
            await clock.sleep(seconds: seconds)
            return
        }
        await wakes.wait(seconds, clock: clock)
    }
}
