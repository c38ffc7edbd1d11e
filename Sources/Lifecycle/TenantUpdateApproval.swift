import Foundation
import LandlordCore
import LandlordEvents
import ProviderAPI

/// Updates that wait for approval (a blueprint's `updates: {approval: required}`): the update
/// is validated and kept in the tenant's record (`update_pending`), nothing is written or
/// applied; `POST .../approve` (`landlord tenant approve`) applies it like any update, `POST
/// .../reject` drops it and the tenant is as it was.
extension TenantService {
    /// Records `update` as awaiting approval: 202 with status `update_pending` and event
    /// `landlord.tenant.update_pending`. The tenant file is not touched.
    func awaitApproval(_ record: TenantRecord, _ update: PendingUpdate) -> LifecycleResult {
        var r = record
        r.pendingUpdate = update
        r.move(to: .updatePending, at: clock.date(), reason: "parameters: " + update.changed.joined(separator: ", "))
        do { try commit(r, event: .updatePending, reason: nil) } catch {
            return .failure(
                LifecycleError(
                    .storageFailed, ErrorBody(code: "storage", message: "could not record the update: \(error); nothing changed, try again")))
        }
        return .success(["id": .string(r.id), "status": .string(r.status.rawValue)])
    }

    /// `POST .../approve` of a pending update: read again against the current blueprint, then
    /// the tenant file is rewritten (never over an edit made meanwhile: 409) and applied.
    func approveUpdate(_ record: TenantRecord) async -> LifecycleResult {
        guard let update = record.pendingUpdate else { return .failure(LifecycleError(.conflict, notPending(record))) }
        let id = record.id
        let relative = "tenants/\(id).yaml"
        if let edited = editedConflict(id, document: record.document) { return .failure(edited) }
        let (spec, diags) = loader.readTenant(update.document, file: relative, fleet: fleet)
        guard let spec, !diags.hasErrors else {
            return .failure(
                LifecycleError(
                    .conflict,
                    ErrorBody(
                        code: "invalid_tenant",
                        message: "the pending update no longer reads against the current blueprint; reject it and send the update again",
                        diagnostics: diags.items.filter { $0.severity == .error }.map(DiagnosticBody.init))))
        }
        var r = record
        r.pendingUpdate = nil
        r.document = update.document
        r.parametersJSON = update.parametersJSON
        r.error = nil
        r.move(to: .updating, at: clock.date(), reason: "approved; parameters: " + update.changed.joined(separator: ", "))
        return await recordAndQueue(r, previous: record.document, text: update.document, relative: relative, spec: spec, change: "approval")
    }

    /// `POST .../reject` of a pending update: dropped, the tenant back to the status it had
    /// (event `landlord.tenant.update_rejected`); its file and resources were never touched.
    func rejectUpdate(_ record: TenantRecord, reason: String?) -> LifecycleResult {
        guard let update = record.pendingUpdate else { return .failure(LifecycleError(.conflict, notPending(record))) }
        var r = record
        r.pendingUpdate = nil
        r.move(to: update.from, at: clock.date(), reason: "update rejected" + (reason.map { ": " + $0 } ?? ""))
        do { try commit(r, event: .updateRejected, reason: reason) } catch {
            return .failure(
                LifecycleError(.storageFailed, ErrorBody(code: "storage", message: "could not record the rejection: \(error); try again")))
        }
        return .success(["id": .string(r.id), "status": .string(r.status.rawValue)])
    }

    /// Records `r` with the event of `status` (an event status that is not the record's).
    func commit(_ r: TenantRecord, event status: EventStatus, reason: String?) throws {
        let event = outbox.event(tenant: r.id, blueprint: r.blueprint, status: status, reason: reason, outputs: [:], at: clock.date())
        try records.saveBlocking([RecordChange(record: r, events: [event])])
        announce(r, was: byID[r.id]?.status)
        byID[r.id] = r
    }

    private func notPending(_ r: TenantRecord) -> ErrorBody {
        ErrorBody(code: "not_awaiting_approval", message: "tenant '\(r.id)' is \(r.status.rawValue), not awaiting approval")
    }
}
