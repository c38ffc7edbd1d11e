import Foundation
import LandlordBasics
import LandlordCore
import LandlordEvents
import LandlordHTTP
import ProviderAPI
import Synchronization

/// How a change of a tenant is kept: its record and event made durable (and announced), its
/// file written or removed, the fleet the engine plans updated; and the errors that name it.
extension TenantService {
    /// Records the event of `r`'s new status (when it has one) in the outbox, then `r`:
    /// both durable before the caller answers.
    func commit(_ r: TenantRecord, reason: String?, outputs: [String: Value]) throws {
        let event = outbox.event(r, reason: reason, outputs: outputs, at: clock.date())
        try records.saveBlocking([RecordChange(record: r, events: event.map { [$0] } ?? [])])
        announce(r, was: byID[r.id]?.status)
        byID[r.id] = r
    }

    func commit(_ r: TenantRecord) throws {
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

    /// Rewrites `r`'s tenant file from `previous` (what the service last wrote) to `text` by
    /// compare-and-swap, records `r`, then queues its apply: what an update and a suspension
    /// share once the new document reads. An edit of the file that landed since `previous`
    /// was read, however late, is kept and answered 409 with nothing recorded; a record that
    /// cannot be saved puts the file back. `change` names it in the storage error.
    func recordAndQueue(
        _ r: TenantRecord, previous: String, text: String, relative: String, spec: TenantSpec, change: String
    ) async -> LifecycleResult {
        let id = r.id
        reserved.insert(id)
        defer { reserved.remove(id) }
        let path = Self.tenantFile(root, id: id, text: text).path
        let hook = beforeTenantFileSwap
        do {
            let swapped = try FileSwap.replace(path, with: Array(text.utf8), ifStill: Array(previous.utf8)) { hook?(path) }
            guard swapped == .replaced else { return .failure(editedConflict(id, document: previous) ?? Self.edited(relative, removed: false)) }
        } catch {
            return .failure(
                LifecycleError(
                    .storageFailed, ErrorBody(code: "storage", message: "could not write \(relative) for the \(change): \(error); try again")))
        }
        do {
            try await records.save([RecordChange(record: r)])
        } catch {
            _ = try? FileSwap.replace(path, with: Array(previous.utf8), ifStill: Array(text.utf8))
            return .failure(
                LifecycleError(
                    .storageFailed, ErrorBody(code: "storage", message: "could not record the \(change): \(error); nothing changed, try again")))
        }
        announce(r, was: byID[id]?.status)
        byID[id] = r
        noteWritten(relative)
        addToFleet(spec)
        wake.yield()
        return .success(["id": .string(id), "status": .string(r.status.rawValue)])
    }

    /// Adds a tenant (whose file is written) to the fleet the engine plans: one already there
    /// is replaced in its place, a new one inserted in id order (``Fleet/insertionPoint(of:)``)
    /// without moving the index of those after it (``Fleet/tenantIndex`` is a checked hint).
    /// Once a create, so nothing here is done for every tenant of the fleet.
    func addToFleet(_ spec: TenantSpec) {
        if let i = fleet.position(of: spec.id) {
            fleet.tenants[i] = spec
            fleet.tenantIndex[spec.id] = i
            return
        }
        let at = fleet.insertionPoint(of: spec.id)
        fleet.tenants.insert(spec, at: at)
        fleet.tenantIndex[spec.id] = at
    }

    /// Removes a destroyed tenant's file and takes it out of the fleet.
    func unplace(_ id: String) {
        try? FileManager.default.removeItem(at: root.appendingPathComponent("tenants/\(id).yaml"))
        noteWritten("tenants/\(id).yaml")
        setTenants(fleet.tenants.filter { $0.id != id })
    }

    func setTenants(_ tenants: [TenantSpec]) {
        fleet.tenants = tenants
        fleet.tenantIndex = Dictionary(tenants.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// True while a request or the worker is writing the tenant's record: other changes wait.
    func busy(_ id: String) -> Bool { inFlight.contains(id) || reserved.contains(id) }

    func busyError(_ id: String) -> ErrorBody {
        ErrorBody(code: "busy", message: "tenant '\(id)' is being changed (\(byID[id]?.status.rawValue ?? "")); try again when that has finished")
    }

    func notFound(_ id: String) -> ErrorBody {
        ErrorBody(code: "not_found", message: "no tenant '\(id)' was created through this service; list them with GET /v1/tenants")
    }

    static func failure(_ code: String, _ message: String, _ d: Diagnostics) -> ErrorBody {
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
    func event(
        _ record: TenantRecord, reason: String?, outputs: [String: Value], at now: Date, exports: [String: ExportRecord] = [:]
    ) -> Value? {
        record.status.event.map {
            event(tenant: record.id, blueprint: record.blueprint, status: $0, reason: reason, outputs: outputs, at: now, exports: exports)
        }
    }
}
