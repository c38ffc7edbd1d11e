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
    private let loader: SpecLoader
    private let records: any RecordStore
    private var byID: [String: TenantRecord]
    /// The durable outbox of the fleet's event sinks, delivered by ``run()`` (the CLI delivers it itself).
    public nonisolated let outbox: EventOutbox
    /// Tenants being applied or destroyed, their outcome being recorded included.
    private var inFlight: Set<String> = []
    /// Tenants whose creation is being written.
    var reserved: Set<String> = []
    private let wakes: AsyncStream<Void>
    /// Set by ``stopTakingWork()``: the workers finish the batch in hand and return.
    private let stopping = Atomic<Bool>(false)
    private let wake: AsyncStream<Void>.Continuation
    /// Seconds an apply waits for a tenant lock another run holds (a CI apply, say).
    private let lockTimeout: Double
    let log: @Sendable (String) -> Void
    /// What watches each apply and destroy (the CLI's progress printer); nil: nothing.
    private let observe: (@Sendable (Plan) -> any ApplyObserver)?
    /// The spec files as they were when ``fleet`` was read (``currentFleet()`` compares).
    var stamp: FleetStamp
    /// Why the fleet on disk cannot be served since it was last re-read (its diagnostics);
    /// nil: it can. Nothing new starts meanwhile.
    var invalid: ErrorBody?
    let environment: [String: String]

    /// A service over a loaded fleet; reads the records kept by an earlier run (which the
    /// workers then finish). Throws when records or the outbox cannot be read.
    public init(
        runtime: ServiceRuntime, environment: [String: String] = ProcessInfo.processInfo.environment, lockTimeout: Double = 60,
        eventRetry: TimeInterval = 86_400, log: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) },
        observe: (@Sendable (Plan) -> any ApplyObserver)? = nil, metrics: any LifecycleMetrics = NoLifecycleMetrics(),
        statusChanged: @escaping @Sendable (StatusChange) -> Void = { _ in }
    ) throws {
        self.observe = observe
        self.metrics = metrics
        self.statusChanged = statusChanged
        root = runtime.root
        self.runtime = runtime
        fleet = runtime.fleet
        stamp = FleetStamp.take(runtime.root)
        self.environment = environment
        loader = SpecLoader(schemas: runtime.resourceSchemas, environment: environment)
        outbox = try EventOutbox(
            root: runtime.root, platform: runtime.fleet.platform, environment: environment, retryFor: eventRetry,
            storage: RecordStores.outboxStorage(runtime))
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
    public func create(_ body: [UInt8]) async -> Answer {
        let req: TenantDocument.Request
        switch TenantDocument.parse(body) {
        case .failure(let e): return .error(400, e)
        case .success(let r): req = r
        }
        if let why = currentFleet() { return .error(503, why) }
        var id = req.id ?? TenantDocument.generateID()
        while req.id == nil && (byID[id] != nil || fleet.tenant(id) != nil) { id = TenantDocument.generateID() }
        if busy(id) {
            return .error(409, ErrorBody(code: "conflict", message: "tenant '\(id)' is being changed by another request; choose another id"))
        }
        if let r = byID[id], r.status != .deleted {
            return .error(409, ErrorBody(code: "conflict", message: "tenant '\(id)' exists (\(r.status.rawValue)); choose another id"))
        }
        // A file the CLI (or git) added since the service started counts too.
        let onDisk = ["yaml", "yml"].contains { FileManager.default.fileExists(atPath: self.root.appendingPathComponent("tenants/\(id).\($0)").path) }
        if fleet.tenant(id) != nil || (onDisk && byID[id] == nil) {
            return .error(409, ErrorBody(code: "conflict", message: "tenant '\(id)' exists in the fleet (tenants/\(id).yaml); choose another id"))
        }
        let text = TenantDocument.yaml(id: id, blueprint: req.blueprint, parameters: req.parameters)
        // Awaiting approval, the file says so (its other lines are the record's document), so
        // `landlord plan` lists the tenant and never provisions it.
        let approval = fleet.blueprints[req.blueprint]?.onboarding.approvalRequired ?? false
        let fileText = approval ? TenantDocument.pending(text) : text
        let (spec, diags) = loader.readTenant(fileText, file: "tenants/\(id).yaml", fleet: fleet)
        guard let spec, !diags.hasErrors else {
            let n = diags.errors.count
            return .error(
                400,
                ErrorBody(
                    code: "invalid_tenant", message: "the tenant has \(n) error\(n == 1 ? "" : "s"); fix the parameters and send it again",
                    diagnostics: TenantDocument.requestDiagnostics(diags.items, file: "tenants/\(id).yaml", parameters: req.parameters)))
        }
        let now = Date()
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
                return .error(409, ErrorBody(code: "conflict", message: "tenant '\(id)' was created by another service process; choose another id"))
            }
        } catch {
            byID[id] = previous
            return .error(500, ErrorBody(code: "storage", message: "could not record the tenant: \(error); nothing was created, try again"))
        }
        announce(record, was: previous?.status)
        noteWritten("tenants/\(id).yaml")
        addToFleet(spec)
        if !approval { wake.yield() }
        return Answer(202, ["id": .string(id), "status": .string(record.status.rawValue)])
    }

    /// `GET /v1/tenants/{id}`.
    public func get(_ id: String) async -> Answer {
        guard let r = byID[id] else { return .error(404, notFound(id)) }
        let states = (try? await runtime.store.loadTenants([id])) ?? [:]
        return Answer(200, r.view(states[id]))
    }

    /// `GET /v1/tenants?status=S&limit=N&cursor=C`: tenants by id, after the cursor.
    public func list(status: String?, limit: String?, cursor: String?) async -> Answer {
        var wanted: LifecycleStatus?
        if let status {
            guard let s = LifecycleStatus(rawValue: status) else {
                let all = LifecycleStatus.allCases.map(\.rawValue)
                return .error(
                    400,
                    ErrorBody(
                        code: "invalid_query",
                        message: "unknown status '\(status)'\(Suggest.didYouMean(status, in: all)); use one of \(all.joined(separator: ", "))"))
            }
            wanted = s
        }
        var n = 50
        if let limit {
            guard let v = Int(limit), (1...500).contains(v) else {
                return .error(400, ErrorBody(code: "invalid_query", message: "limit must be a whole number from 1 to 500"))
            }
            n = v
        }
        let ids = byID.values.filter { r in wanted.map { r.status == $0 } ?? true }.map(\.id).filter { id in cursor.map { id > $0 } ?? true }.sorted()
        let page = Array(ids.prefix(n))
        let states = (try? await runtime.store.loadTenants(page)) ?? [:]
        var body: [String: Value] = ["tenants": .list(page.compactMap { id in byID[id].map { $0.view(states[id]) } })]
        body["nextCursor"] = ids.count > n ? .string(page.last!) : .null
        return Answer(200, .map(body))
    }

    /// `POST /v1/tenants/{id}/approve`.
    public func approve(_ id: String) -> Answer {
        if let why = currentFleet() { return .error(503, why) }
        guard var r = byID[id].flatMap({ $0.status == .deleted ? nil : $0 }) ?? adoptPendingFile(id) else { return .error(404, notFound(id)) }
        if busy(id) { return .error(409, busyError(id)) }
        guard r.status == .pendingApproval, (r.deadline ?? .distantFuture) > Date() else {
            return .error(409, ErrorBody(code: "not_awaiting_approval", message: "tenant '\(id)' is \(r.status.rawValue), not awaiting approval"))
        }
        let (spec, diags) = loader.readTenant(r.document, file: "tenants/\(id).yaml", fleet: fleet)
        do {
            guard let spec, !diags.hasErrors else {
                // The blueprint changed under the waiting tenant.
                r.error = ErrorBody(
                    code: "invalid_tenant", message: "the tenant no longer matches its blueprint", diagnostics: diags.items.map(DiagnosticBody.init))
                r.move(to: .failed, at: Date(), reason: "approved, but invalid against the current blueprint")
                try commit(r, reason: "invalid against the current blueprint", outputs: [:])
                withdraw(id)
                return Answer(202, ["id": .string(id), "status": .string(r.status.rawValue)])
            }
            r.deadline = nil
            r.move(to: .provisioning, at: Date(), reason: "approved")
            try commit(r)
            try Self.writeTenantFile(root, id: id, text: r.document)
            noteWritten("tenants/\(id).yaml")
            addToFleet(spec)
        } catch {
            return .error(500, ErrorBody(code: "storage", message: "could not record the approval: \(error); try again"))
        }
        wake.yield()
        return Answer(202, ["id": .string(id), "status": .string(r.status.rawValue)])
    }

    /// `POST /v1/tenants/{id}/reject` with `{"reason"}`.
    public func reject(_ id: String, body: [UInt8]) -> Answer {
        var reason: String?
        if !body.isEmpty {
            guard let v = try? JSON.parse(body), case .map(let m) = v, m.keys.allSatisfy({ $0 == "reason" }) else {
                return .error(400, ErrorBody(code: "invalid_body", message: "the body must be {\"reason\": TEXT} (or empty)"))
            }
            reason = m["reason"]?.stringValue
        }
        currentFleet()
        guard var r = byID[id].flatMap({ $0.status == .deleted ? nil : $0 }) ?? adoptPendingFile(id) else { return .error(404, notFound(id)) }
        if busy(id) { return .error(409, busyError(id)) }
        guard r.status == .pendingApproval else {
            return .error(409, ErrorBody(code: "not_awaiting_approval", message: "tenant '\(id)' is \(r.status.rawValue), not awaiting approval"))
        }
        r.deadline = nil
        r.move(to: .rejected, at: Date(), reason: reason)
        do { try commit(r, reason: reason, outputs: [:]) } catch {
            return .error(500, ErrorBody(code: "storage", message: "could not record the rejection: \(error); try again"))
        }
        withdraw(id)
        return Answer(202, ["id": .string(id), "status": .string(r.status.rawValue)])
    }

    /// `DELETE /v1/tenants/{id}[?force=true]`.
    public func delete(_ id: String, force: Bool) -> Answer {
        if let why = currentFleet() { return .error(503, why) }
        guard var r = byID[id], r.status != .deleted else { return .error(404, notFound(id)) }
        if busy(id) { return .error(409, busyError(id)) }
        do {
            switch r.status {
            case .pendingApproval, .rejected, .timedOut:
                // Nothing was provisioned.
                r.deadline = nil
                r.move(to: .deleted, at: Date(), reason: "deleted before provisioning")
                try commit(r, reason: "deleted before provisioning", outputs: [:])
                withdraw(id)
            case .active, .failed:
                r.force = force
                r.move(to: .deprovisioning, at: Date())
                try commit(r)
                wake.yield()
            case .provisioning, .deprovisioning, .deleted:
                return .error(
                    409, ErrorBody(code: "busy", message: "tenant '\(id)' is \(r.status.rawValue); delete it once that has finished"))
            }
        } catch {
            return .error(500, ErrorBody(code: "storage", message: "could not record the deletion: \(error); try again"))
        }
        return Answer(202, ["id": .string(id), "status": .string(r.status.rawValue)])
    }

    /// Tenants queued for or in an apply or destroy.
    public var queueDepth: Int { byID.values.filter { $0.status == .provisioning || $0.status == .deprovisioning }.count }

    /// The gauges `GET /metrics` shows, now.
    public func gauges() -> LifecycleGauges {
        LifecycleGauges(
            queueDepth: queueDepth, pendingApproval: byID.values.filter { $0.status == .pendingApproval }.count, eventBacklog: outbox.backlog)
    }

    // MARK: Workers

    /// Runs the apply worker and the approval timer until cancelled; records left queued by an
    /// earlier run are finished first.
    public func run() async {
        repair()
        wake.yield()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.applyLoop() }
            group.addTask { await self.timeoutLoop() }
            group.addTask {
                await self.outbox.deliver(log: self.log)
            }
            // The apply and timeout loops end after ``stopTakingWork()`` (or cancellation);
            // the events they recorded are durable, so delivery stops with them.
            _ = await group.next()
            _ = await group.next()
            group.cancelAll()
        }
    }

    /// Graceful shutdown: the apply worker finishes the batch in hand and ``run()`` returns
    /// without starting another; what is still queued stays recorded for the next start.
    public nonisolated func stopTakingWork() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        wake.finish()
    }

    /// Files a crash kept from being written or removed: a queued tenant gets its file, one
    /// awaiting approval its file with `approval: pending`, and one rejected, timed out or
    /// deleted before provisioning loses its `approval: pending` file.
    private func repair() {
        for r in byID.values.sorted(by: { $0.id < $1.id }) {
            let spec = fleet.tenant(r.id)
            switch r.status {
            case .provisioning where spec == nil || spec?.approvalPending == true:
                place(r.id, text: r.document)
            case .pendingApproval where spec == nil:
                place(r.id, text: TenantDocument.pending(r.document))
            case .rejected, .timedOut, .deleted, .failed:
                withdraw(r.id)
            default:
                break
            }
        }
    }

    /// Writes `tenants/ID.yaml` with `text` and puts the tenant in the fleet, when it reads.
    private func place(_ id: String, text: String) {
        let (spec, diags) = loader.readTenant(text, file: "tenants/\(id).yaml", fleet: fleet)
        guard let spec, !diags.hasErrors, (try? Self.writeTenantFile(root, id: id, text: text)) != nil else { return }
        noteWritten("tenants/\(id).yaml")
        addToFleet(spec)
    }

    private func applyLoop() async {
        for await _ in wakes { await drainQueue() }
    }

    /// Applies and destroys every queued tenant until none is left.
    private func drainQueue() async {
        while !stopping.load(ordering: .sequentiallyConsistent) {
            // The files may have changed (a CI commit); an unreadable fleet holds the queue.
            if currentFleet() != nil { break }
            let provision = byID.values.filter { $0.status == .provisioning && !busy($0.id) }.map(\.id).sorted()
            let destroy = byID.values.filter { $0.status == .deprovisioning && !busy($0.id) }
            if provision.isEmpty && destroy.isEmpty { break }
            if !provision.isEmpty { await provisionBatch(provision) }
            let forced = destroy.filter(\.force).map(\.id).sorted()
            let plain = destroy.filter { !$0.force }.map(\.id).sorted()
            if !forced.isEmpty { await destroyBatch(forced, force: true) }
            if !plain.isEmpty { await destroyBatch(plain, force: false) }
            try? runtime.mock?.cloud.compactIfWorthIt()
        }
    }

    /// Work the CLI (`landlord tenant ...`) does in one go instead of ``run()``: the approval
    /// timeouts that passed, then every queued apply and destroy (a crashed run's included),
    /// returning when nothing is queued. Events are only recorded in the outbox.
    public func settle() async {
        expireOverdue()
        repair()
        await drainQueue()
    }

    /// Tenants awaiting approval past their deadline become `timed_out`.
    private func expireOverdue() {
        let now = Date()
        for var r in byID.values where r.status == .pendingApproval && (r.deadline ?? .distantFuture) <= now && !busy(r.id) {
            let reason = "not approved within \(Self.duration((r.deadline ?? now).timeIntervalSince(r.createdAt)))"
            r.deadline = nil
            r.move(to: .timedOut, at: now, reason: reason)
            do { try commit(r, reason: reason, outputs: [:]) } catch {
                log("could not record that \(r.id) timed out: \(error); retrying")
                continue
            }
            withdraw(r.id)
        }
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

    private func timeoutLoop() async {
        while !Task.isCancelled && !stopping.load(ordering: .sequentiallyConsistent) {
            expireOverdue()
            if invalid != nil, currentFleet() == nil { wake.yield() }
            let now = Date()
            let next = byID.values.compactMap { $0.status == .pendingApproval ? $0.deadline : nil }.min()
            let wait = min(1, max(0.05, (next ?? now.addingTimeInterval(1)).timeIntervalSince(Date())))
            try? await Task.sleep(for: .seconds(wait))
        }
    }

    private var workspace: Workspace { Workspace(fleet: fleet, store: runtime.store, providers: runtime.registry) }

    private func applyOptions(_ operation: RunOperation) -> RolloutOptions {
        var o = ApplyOptions(
            parallelism: 10, lockTimeout: lockTimeout, lease: fleet.platform.state.lockLeaseSeconds, holder: LockHolder(operation: operation),
            platform: fleet.platform.name)
        o.batchWindow = 0.2
        return RolloutOptions(apply: o)
    }

    /// The blueprints' health checks for the tenants the service provisions, each judged on its
    /// own (no wave halts another tenant): one that fails them is `failed`, and with
    /// `rollout: {onFailure: rollback}` its resources are rolled back. Nil without checks.
    private func healthGate() -> RolloutGate? {
        guard fleet.blueprints.values.contains(where: { !$0.health.isEmpty }) else { return nil }
        var policy = RolloutPolicy()
        policy.failureBudget = .percent(100)
        policy.onFailure = fleet.platform.rollout.onFailure
        var gate = RolloutGate(policy: policy, probe: HTTPHealthProbe(), operation: "serve")
        gate.keepsRecord = false
        return gate
    }

    /// Plans and applies `ids` together (each alone when the plan of all fails, so one bad
    /// tenant fails only itself).
    private func provisionBatch(_ ids: [String]) async {
        inFlight.formUnion(ids)
        defer { inFlight.subtract(ids) }
        let started = Date()
        let ws = workspace
        let (plan, diags) = await ws.plan(PlanOptions(tenants: Set(ids)))
        guard let plan else {
            if ids.count > 1 {
                for id in ids { await provisionBatch([id]) }
                return
            }
            await finish(ids[0], .failed, started, error: Self.failure("plan_failed", "planning the tenant failed", diags))
            return
        }
        var options = applyOptions("serve")
        options.gate = healthGate()
        let result = await Rollout.run(plan: plan, workspace: ws, options: options, observer: observe?(plan) ?? SilentObserver()) {
            stale in
            await ws.plan(PlanOptions(tenants: stale)).0
        }
        await settle(ids, result, started, success: .active)
    }

    /// Destroys `ids` like `landlord destroy`, then removes their files.
    private func destroyBatch(_ ids: [String], force: Bool) async {
        inFlight.formUnion(ids)
        defer { inFlight.subtract(ids) }
        let started = Date()
        let ws = workspace
        let (plan, diags) = await ws.plan(PlanOptions(tenants: Set(ids), destroy: Set(ids), allowProtectedDeletes: force))
        guard let plan else {
            if ids.count > 1 {
                for id in ids { await destroyBatch([id], force: force) }
                return
            }
            await finish(
                ids[0], .failed, started,
                error: Self.failure("destroy_failed", "planning the destroy failed (protected resources need DELETE ...?force=true)", diags))
            return
        }
        let result = await Rollout.run(
            plan: plan, workspace: ws, options: applyOptions("serve-destroy"), observer: observe?(plan) ?? SilentObserver())
        await settle(ids, result, started, success: .deleted)
    }

    private func settle(_ ids: [String], _ result: RolloutResult, _ started: Date, success: LifecycleStatus) async {
        let outcomes = Dictionary(result.tenants.map { ($0.tenant, $0) }, uniquingKeysWith: { a, _ in a })
        var outputs: [String: [String: Value]] = [:]
        if success == .active, let states = try? await runtime.store.loadTenants(ids) {
            outputs = states.mapValues(tenantOutputs)
        }
        var changed: [Change] = []
        for id in ids {
            if let o = outcomes[id], o.status == .failed {
                let d = Diagnostics(o.errors)
                changed += finished(
                    id, .failed, started,
                    error: Self.failure("apply_failed", "\(d.errors.count) change(s) failed; fix the cause and delete or re-create the tenant", d))
            } else if let why = result.unhealthy[id] {
                let rolledBack = result.rolledBack.contains(id) ? "; its resources were rolled back" : ""
                changed += finished(
                    id, .failed, started,
                    error: Self.failure(
                        "health_check_failed", "the tenant failed its health checks\(rolledBack): \(why); fix the cause and re-create the tenant",
                        Diagnostics()))
            } else if result.replanFailed || result.untouched.contains(id) {
                changed += finished(id, .failed, started, error: Self.failure("apply_failed", "the tenant was not applied", result.diagnostics))
            } else {
                if success == .deleted { unplace(id) }
                changed += finished(id, success, started, outputs: outputs[id] ?? [:])
            }
        }
        await persist(changed)
    }

    /// A record to write and the event of its new status.
    struct Change: Sendable {
        var record: TenantRecord
        var event: Value?
    }

    /// The record of `id` moved to its outcome and its event; ``persist(_:)`` writes them and
    /// then shows them (the tenant stays in `inFlight`, so nothing else changes it until then).
    private func finished(
        _ id: String, _ status: LifecycleStatus, _ started: Date, error: ErrorBody? = nil, outputs: [String: Value] = [:]
    ) -> [Change] {
        guard var r = byID[id] else { return [] }
        r.error = error
        r.move(to: status, at: Date(), reason: error?.message)
        metrics.applyFinished(outcome: status.rawValue, seconds: Date().timeIntervalSince(started))
        return [Change(record: r, event: outbox.event(r, reason: error?.message, outputs: outputs, at: Date()))]
    }

    private func finish(_ id: String, _ status: LifecycleStatus, _ started: Date, error: ErrorBody? = nil) async {
        await persist(finished(id, status, started, error: error))
    }

    /// Writes events and records off the actor (requests go on meanwhile), in order, then
    /// makes the new statuses visible: what a GET shows is on disk.
    private func persist(_ changes: [Change]) async {
        guard !changes.isEmpty else { return }
        defer {
            for c in changes {
                announce(c.record, was: byID[c.record.id]?.status)
                byID[c.record.id] = c.record
            }
        }
        do {
            try await records.save(changes.map { RecordChange(record: $0.record, events: $0.event.map { [$0] } ?? []) })
        } catch {
            log("could not record the outcome of \(changes.map(\.record.id).joined(separator: ", ")): \(error); a restart applies them again")
        }
    }

    // MARK: Records, files, events

    /// Records the event of `r`'s new status (when it has one) in the outbox, then `r`:
    /// both durable before the caller answers.
    private func commit(_ r: TenantRecord, reason: String?, outputs: [String: Value]) throws {
        let event = outbox.event(r, reason: reason, outputs: outputs, at: Date())
        try records.saveBlocking([RecordChange(record: r, events: event.map { [$0] } ?? [])])
        announce(r, was: byID[r.id]?.status)
        byID[r.id] = r
    }

    private func commit(_ r: TenantRecord) throws {
        try records.saveBlocking([RecordChange(record: r)])
        announce(r, was: byID[r.id]?.status)
        byID[r.id] = r
    }

    /// Tells ``statusChanged`` of a recorded record whose status differs from `was`.
    func announce(_ r: TenantRecord, was: LifecycleStatus?) {
        guard was != r.status else { return }
        statusChanged(StatusChange(tenant: r.id, blueprint: r.blueprint, from: was, to: r.status, reason: r.history.last?.reason))
    }

    /// Writes `tenants/ID.yaml` atomically and durably.
    static func writeTenantFile(_ root: URL, id: String, text: String) throws {
        let file = tenantFile(root, id: id, text: text)
        try AtomicFile.write(file.bytes, to: file.path, durable: true)
    }

    /// `tenants/ID.yaml` as a write of a record change (the directory made if missing).
    static func tenantFile(_ root: URL, id: String, text: String) -> GroupCommit.Write {
        let dir = root.appendingPathComponent("tenants")
        if !FileManager.default.fileExists(atPath: dir.path) { try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) }
        return GroupCommit.Write(path: dir.appendingPathComponent(id + ".yaml").path, bytes: Array(text.utf8))
    }

    /// Adds a tenant (whose file is written) to the fleet the engine plans.
    func addToFleet(_ spec: TenantSpec) {
        var tenants = fleet.tenants.filter { $0.id != spec.id }
        let at = tenants.firstIndex { $0.id > spec.id } ?? tenants.count
        tenants.insert(spec, at: at)
        setTenants(tenants)
    }

    /// Removes a destroyed tenant's file and takes it out of the fleet.
    private func unplace(_ id: String) {
        try? FileManager.default.removeItem(at: root.appendingPathComponent("tenants/\(id).yaml"))
        noteWritten("tenants/\(id).yaml")
        setTenants(fleet.tenants.filter { $0.id != id })
    }

    func setTenants(_ tenants: [TenantSpec]) {
        fleet.tenants = tenants
        fleet.tenantIndex = Dictionary(tenants.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// True while a request or the worker is writing the tenant's record: other changes wait.
    private func busy(_ id: String) -> Bool { inFlight.contains(id) || reserved.contains(id) }

    private func busyError(_ id: String) -> ErrorBody {
        ErrorBody(code: "busy", message: "tenant '\(id)' is being changed (\(byID[id]?.status.rawValue ?? "")); try again when that has finished")
    }

    private func notFound(_ id: String) -> ErrorBody {
        ErrorBody(code: "not_found", message: "no tenant '\(id)' was created through this service; list them with GET /v1/tenants")
    }

    private static func failure(_ code: String, _ message: String, _ d: Diagnostics) -> ErrorBody {
        let first = d.errors.first.map { ": " + $0.summary } ?? ""
        return ErrorBody(code: code, message: message + first, diagnostics: d.items.filter { $0.severity == .error }.map(DiagnosticBody.init))
    }

    static func duration(_ s: Double) -> String {
        if s >= 3600, s.truncatingRemainder(dividingBy: 3600) == 0 { return "\(Int(s / 3600))h" }
        if s >= 60, s.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(s / 60))m" }
        return "\(Int(s.rounded()))s"
    }
}

extension EventOutbox {
    /// The CloudEvent of a record's new status (nil for statuses without one).
    func event(_ record: TenantRecord, reason: String?, outputs: [String: Value], at now: Date) -> Value? {
        event(tenant: record.id, blueprint: record.blueprint, status: record.status.rawValue, reason: reason, outputs: outputs, at: now)
    }
}
