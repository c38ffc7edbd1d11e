import Foundation
import LandlordBasics
import LandlordCore
import LandlordEvents
import LandlordHTTP
import ProviderAPI
import Synchronization

/// The tenant lifecycle: creation (validated like `landlord validate`), approval, rejection,
/// timeouts, provisioning and destruction through the engine's rollout, records that survive
/// restarts, and events. The HTTP layer (``HTTPAPI``) only translates requests to these calls.
///
/// One worker applies: every tenant queued meanwhile goes into one plan and one rollout (the
/// engine applies them in parallel), under the same tenant locks as the CLI.
public actor TenantService {
    public nonisolated let root: URL
    /// What the lifecycle counts (applies, fleet checks); the service renders it.
    public nonisolated let metrics: any LifecycleMetrics
    /// Called once each recorded status change is durable (the service logs it).
    let statusChanged: @Sendable (StatusChange) -> Void
    let runtime: ServiceRuntime
    var fleet: Fleet
    let loader: SpecLoader
    let records: any RecordStore
    var byID: [String: TenantRecord]
    /// The durable outbox of the fleet's event sinks, delivered by ``run()`` (the CLI delivers it itself).
    public nonisolated let outbox: EventOutbox
    /// Tenants being applied or destroyed, their outcome being recorded included.
    var inFlight: Set<String> = []
    /// Tenants whose creation is being written.
    var reserved: Set<String> = []
    /// When the last create that queues a tenant was answered (``waitForAPause()``).
    var lastCreate: ContinuousClock.Instant?
    /// The pause after a create that ends a burst of them (``waitForAPause()``).
    let burstPause: Duration
    let wakes: AsyncStream<Void>
    /// Set by ``stopTakingWork()``: the workers finish the batch in hand and return.
    let stopping = Atomic<Bool>(false)
    let wake: AsyncStream<Void>.Continuation
    /// Seconds an apply waits for a tenant lock another run holds (a CI apply, say).
    let lockTimeout: Double
    let log: @Sendable (String) -> Void
    /// What watches each apply and destroy (the CLI's progress printer); nil: nothing.
    let observe: (@Sendable (Plan) -> any ApplyObserver)?
    /// The spec files as they were when ``fleet`` was read (``reloadFleetIfChanged()`` compares).
    var stamp: FleetStamp
    /// Which spec files were touched since the last look (nil where the system cannot watch).
    let watch: FleetWatch?
    /// Why the fleet on disk cannot be served since it was last re-read (its diagnostics);
    /// nil: it can. Nothing new starts meanwhile.
    var invalid: ErrorBody?
    let environment: [String: String]
    /// Runs just before a tenant file is swapped for its rewrite (tests land an edit there).
    var beforeTenantFileSwap: (@Sendable (String) -> Void)?
    /// What the last scheduled drift check found, by tenant (``driftLoop()``).
    var drift: [String: DriftFinding] = [:]
    /// The last scheduled drift check (nil: none yet).
    var lastDrift: DriftRun?
    /// The time records are stamped with and approval deadlines are judged by (and the outbox
    /// paced by): the system clock, or a test's.
    public nonisolated let clock: any PacingClock

    /// A service over a loaded fleet; reads the records kept by an earlier run (which the
    /// workers then finish). Throws when records or the outbox cannot be read. `burstPause`:
    /// how long provisioning waits after a create for the next (POSTs of a burst arrive about
    /// a millisecond apart), so a burst is answered first and provisioned in one batch.
    public init(
        runtime: ServiceRuntime, environment: [String: String] = ProcessInfo.processInfo.environment, lockTimeout: Double = 60,
        eventRetry: TimeInterval = 86_400, log: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) },
        observe: (@Sendable (Plan) -> any ApplyObserver)? = nil, metrics: any LifecycleMetrics = NoLifecycleMetrics(),
        statusChanged: @escaping @Sendable (StatusChange) -> Void = { _ in }, clock: any PacingClock = SystemPacingClock(),
        burstPause: Duration = .milliseconds(20)
    ) throws {
        self.clock = clock
        self.burstPause = burstPause
        self.observe = observe
        self.metrics = metrics
        self.statusChanged = statusChanged
        root = runtime.root
        self.runtime = runtime
        fleet = runtime.fleet
        watch = FleetWatch(root: runtime.root)
        stamp = FleetStamp.take(runtime.root)
        self.environment = environment
        loader = SpecLoader(schemas: runtime.resourceSchemas, environment: environment)
        outbox = try EventOutbox(
            root: runtime.root, platform: runtime.fleet.platform, environment: environment, retryFor: eventRetry,
            storage: RecordStores.outboxStorage(runtime), clock: clock)
        records = RecordStores.records(runtime, outbox: outbox)
        byID = try records.loadAll()
        (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.lockTimeout = lockTimeout
        self.log = log
    }

    // MARK: Requests

    /// `POST /v1/tenants`. The record (and the tenant file, or the pending-approval event) is
    /// written off the actor, made durable together with other requests' (group commit); the
    /// id is reserved meanwhile, so a second request for it gets its 409 at once.
    public func create(_ req: TenantRequest) async -> LifecycleResult {
        if let bad = req.parameters.keys.sorted().first(where: { req.parameters[$0].map(TenantDocument.readsEnvironment) ?? false }) {
            return .failure(
                LifecycleError(
                    .invalidRequest, code: "invalid_parameters",
                    message: "parameter '\(bad)' reads the environment (${env...}); the API takes values only, so give the value itself"))
        }
        if let why = reloadFleetIfChanged() { return .failure(LifecycleError(.fleetUnavailable, why)) }
        var id = req.id ?? TenantDocument.generateID()
        while req.id == nil && (byID[id] != nil || fleet.tenant(id) != nil) { id = TenantDocument.generateID() }
        if busy(id) {
            return .failure(
                LifecycleError(
                    .conflict, ErrorBody(code: "conflict", message: "tenant '\(id)' is being changed by another request; choose another id")))
        }
        if let r = byID[id], r.status != .deleted {
            return .failure(
                LifecycleError(.conflict, ErrorBody(code: "conflict", message: "tenant '\(id)' exists (\(r.status.rawValue)); choose another id")))
        }
        // A file the CLI (or git) added since the service started counts too.
        let onDisk = ["yaml", "yml"].contains { FileManager.default.fileExists(atPath: self.root.appendingPathComponent("tenants/\(id).\($0)").path) }
        if fleet.tenant(id) != nil || (onDisk && byID[id] == nil) {
            return .failure(
                LifecycleError(
                    .conflict, ErrorBody(code: "conflict", message: "tenant '\(id)' exists in the fleet (tenants/\(id).yaml); choose another id")))
        }
        let text = TenantDocument.yaml(id: id, blueprint: req.blueprint, parameters: req.parameters)
        // Awaiting approval, the file says so (its other lines are the record's document), so
        // `landlord plan` lists the tenant and never provisions it.
        let approval = fleet.blueprints[req.blueprint]?.onboarding.approvalRequired ?? false
        let fileText = approval ? TenantDocument.pending(text) : text
        let (spec, diags) = loader.readTenant(fileText, file: "tenants/\(id).yaml", fleet: fleet)
        guard let spec, !diags.hasErrors else {
            let n = diags.errors.count
            return .failure(
                LifecycleError(
                    .invalidRequest,
                    ErrorBody(
                        code: "invalid_tenant", message: "the tenant has \(n) error\(n == 1 ? "" : "s"); fix the parameters and send it again",
                        diagnostics: TenantDocument.requestDiagnostics(diags.items, file: "tenants/\(id).yaml", parameters: req.parameters))))
        }
        let now = clock.date()
        let onboarding = fleet.blueprints[spec.blueprint]?.onboarding ?? OnboardingSpec()
        var record = TenantRecord(
            id: id, blueprint: spec.blueprint, status: .provisioning, document: text,
            parametersJSON: JSON.string(.map(spec.parameters.mapValues(TenantDocument.shown))), history: [], createdAt: now)
        if onboarding.approvalRequired {
            record.deadline = now.addingTimeInterval(onboarding.timeout)
            record.move(to: .pendingApproval, at: now)
        } else {
            record.move(to: .provisioning, at: now)
        }
        let previous = byID[id]
        byID[id] = record
        reserved.insert(id)
        defer { reserved.remove(id) }
        let event = outbox.event(record, reason: nil, outputs: [:], at: now)
        let change = RecordChange(record: record, events: event.map { [$0] } ?? [], files: [Self.tenantFile(root, id: id, text: fileText)])
        do {
            guard try await records.create(change, replacing: previous) else {
                byID[id] = previous
                return .failure(
                    LifecycleError(
                        .conflict, ErrorBody(code: "conflict", message: "tenant '\(id)' was created by another service process; choose another id")))
            }
        } catch {
            byID[id] = previous
            return .failure(
                LifecycleError(
                    .storageFailed, ErrorBody(code: "storage", message: "could not record the tenant: \(error); nothing was created, try again")))
        }
        announce(record, was: previous?.status)
        noteWritten("tenants/\(id).yaml")
        addToFleet(spec)
        if !approval {
            lastCreate = .now
            wake.yield()
        }
        return .success(["id": .string(id), "status": .string(record.status.rawValue)])
    }

    /// `GET /v1/tenants/{id}`.
    public func get(_ id: String) async -> LifecycleResult {
        guard let r = byID[id] else { return .failure(LifecycleError(.notFound, notFound(id))) }
        let states = (try? await runtime.store.loadTenants([id])) ?? [:]
        return .success(withDrift(r.view(states[id]), id))
    }

    /// `GET /v1/tenants?status=S&limit=N&cursor=C`: tenants by id, after the cursor.
    public func list(_ query: TenantQuery) async -> LifecycleResult {
        let wanted = query.status
        let cursor = query.cursor
        let n = query.limit
        guard TenantQuery.limits.contains(n) else {
            return .failure(LifecycleError(.invalidRequest, code: "invalid_query", message: "limit must be a whole number from 1 to 500"))
        }
        let ids = byID.values.filter { r in wanted.map { r.status == $0 } ?? true }.map(\.id).filter { id in cursor.map { id > $0 } ?? true }.sorted()
        let page = Array(ids.prefix(n))
        let states = (try? await runtime.store.loadTenants(page)) ?? [:]
        var body: [String: Value] = ["tenants": .list(page.compactMap { id in byID[id].map { $0.view(states[id]) } })]
        body["nextCursor"] = ids.count > n ? .string(page.last!) : .null
        return .success(.map(body))
    }

    /// `POST /v1/tenants/{id}/approve`.
    public func approve(_ id: String) async -> LifecycleResult {
        if let why = reloadFleetIfChanged() { return .failure(LifecycleError(.fleetUnavailable, why)) }
        if let r = byID[id], r.status == .updatePending, !busy(id) { return await approveUpdate(r) }
        guard var r = byID[id].flatMap({ $0.status == .deleted ? nil : $0 }) ?? adoptPendingFile(id) else {
            return .failure(LifecycleError(.notFound, notFound(id)))
        }
        if busy(id) { return .failure(LifecycleError(.busy, busyError(id))) }
        guard r.status == .pendingApproval, (r.deadline ?? .distantFuture) > clock.date() else {
            return .failure(
                LifecycleError(
                    .conflict, ErrorBody(code: "not_awaiting_approval", message: "tenant '\(id)' is \(r.status.rawValue), not awaiting approval")))
        }
        let (spec, diags) = loader.readTenant(r.document, file: "tenants/\(id).yaml", fleet: fleet)
        do {
            guard let spec, !diags.hasErrors else {
                // The blueprint changed under the waiting tenant.
                r.error = ErrorBody(
                    code: "invalid_tenant", message: "the tenant no longer matches its blueprint", diagnostics: diags.items.map(DiagnosticBody.init))
                r.move(to: .failed, at: clock.date(), reason: "approved, but invalid against the current blueprint")
                try commit(r, reason: "invalid against the current blueprint", outputs: [:])
                withdraw(id)
                return .success(["id": .string(id), "status": .string(r.status.rawValue)])
            }
            r.deadline = nil
            r.move(to: .provisioning, at: clock.date(), reason: "approved")
            try commit(r)
            try Self.writeTenantFile(root, id: id, text: r.document)
            noteWritten("tenants/\(id).yaml")
            addToFleet(spec)
        } catch {
            return .failure(LifecycleError(.storageFailed, ErrorBody(code: "storage", message: "could not record the approval: \(error); try again")))
        }
        wake.yield()
        return .success(["id": .string(id), "status": .string(r.status.rawValue)])
    }

    /// `POST /v1/tenants/{id}/reject` with `{"reason"}`.
    public func reject(_ id: String, reason: String?) -> LifecycleResult {
        reloadFleetIfChanged()
        guard var r = byID[id].flatMap({ $0.status == .deleted ? nil : $0 }) ?? adoptPendingFile(id) else {
            return .failure(LifecycleError(.notFound, notFound(id)))
        }
        if busy(id) { return .failure(LifecycleError(.busy, busyError(id))) }
        if r.status == .updatePending { return rejectUpdate(r, reason: reason) }
        guard r.status == .pendingApproval else {
            return .failure(
                LifecycleError(
                    .conflict, ErrorBody(code: "not_awaiting_approval", message: "tenant '\(id)' is \(r.status.rawValue), not awaiting approval")))
        }
        r.deadline = nil
        r.move(to: .rejected, at: clock.date(), reason: reason)
        do { try commit(r, reason: reason, outputs: [:]) } catch {
            return .failure(
                LifecycleError(.storageFailed, ErrorBody(code: "storage", message: "could not record the rejection: \(error); try again")))
        }
        withdraw(id)
        return .success(["id": .string(id), "status": .string(r.status.rawValue)])
    }

    /// `DELETE /v1/tenants/{id}[?force=true]`.
    public func delete(_ id: String, force: Bool) -> LifecycleResult {
        if let why = reloadFleetIfChanged() { return .failure(LifecycleError(.fleetUnavailable, why)) }
        guard var r = byID[id], r.status != .deleted else { return .failure(LifecycleError(.notFound, notFound(id))) }
        if busy(id) { return .failure(LifecycleError(.busy, busyError(id))) }
        do {
            switch r.status {
            case .pendingApproval, .rejected, .timedOut:
                // Nothing was provisioned.
                r.deadline = nil
                r.move(to: .deleted, at: clock.date(), reason: "deleted before provisioning")
                try commit(r, reason: "deleted before provisioning", outputs: [:])
                withdraw(id)
            case .active, .failed, .suspended, .updatePending:
                // A pending update is dropped with the tenant.
                r.pendingUpdate = nil
                r.force = force
                r.move(to: .deprovisioning, at: clock.date())
                try commit(r)
                wake.yield()
            case .provisioning, .updating, .suspending, .resuming, .deprovisioning, .deleted:
                return .failure(
                    LifecycleError(
                        .busy, ErrorBody(code: "busy", message: "tenant '\(id)' is \(r.status.rawValue); delete it once that has finished")))
            }
        } catch {
            return .failure(LifecycleError(.storageFailed, ErrorBody(code: "storage", message: "could not record the deletion: \(error); try again")))
        }
        return .success(["id": .string(id), "status": .string(r.status.rawValue)])
    }

    /// Tenants queued for or in an apply or destroy.
    public var queueDepth: Int {
        byID.values.filter { [.provisioning, .updating, .suspending, .resuming, .deprovisioning].contains($0.status) }.count
    }

    /// The gauges `GET /metrics` shows, now.
    public func gauges() -> LifecycleGauges {
        LifecycleGauges(
            queueDepth: queueDepth, pendingApproval: byID.values.filter { $0.status == .pendingApproval }.count, eventBacklog: outbox.backlog)
    }

    /// A `--param NAME=VALUE` text as the value the blueprint's parameter declares: an int,
    /// number or bool when it reads as one, a list or map when it is JSON, else the text.
    public func typedParameter(blueprint: String, name: String, text: String) -> Value {
        switch fleet.blueprints[blueprint]?.parameters[name]?.kind {
        case .int?: return Int(text).map(Value.int) ?? .string(text)
        case .number?: return Double(text).map(Value.double) ?? .string(text)
        case .bool?: return text == "true" ? .bool(true) : text == "false" ? .bool(false) : .string(text)
        case .list?, .map?: return (try? JSON.parse(Array(text.utf8))) ?? .string(text)
        default: return .string(text)
        }
    }

    /// The record of `id`, if the service or the CLI created it.
    public func record(_ id: String) -> TenantRecord? { byID[id] }

    /// Sets ``beforeTenantFileSwap`` (tests).
    func onTenantFileSwap(_ hook: (@Sendable (String) -> Void)?) { beforeTenantFileSwap = hook }
}
