import Foundation
import LandlordBasics
import LandlordCore
import LandlordEvents
import ProviderAPI

/// Day-two changes of a provisioned tenant: an update of its parameters (`PATCH
/// /v1/tenants/{id}`, `landlord tenant update`), applied through the same queue, engine and
/// health checks as a create.
extension TenantService {
    /// `PATCH /v1/tenants/{id}` with `{"parameters": {...}}`: merged into the tenant's
    /// parameters (a null removes one, so its default applies), validated like a create (400
    /// naming the parameter), then the tenant file is rewritten and the tenant is `updating`
    /// until the apply makes it `active` (or `failed`). A tenant file whose text is no longer
    /// what the service last wrote (an edit in git meanwhile) is never overwritten: 409.
    public func update(_ id: String, parameters patch: [String: Value]) async -> LifecycleResult {
        if let bad = patch.keys.sorted().first(where: { patch[$0].map(TenantDocument.readsEnvironment) ?? false }) {
            return .failure(
                LifecycleError(
                    .invalidRequest, code: "invalid_parameters",
                    message: "parameter '\(bad)' reads the environment (${env...}); the API takes values only, so give the value itself"))
        }
        if let why = reloadFleetIfChanged() { return .failure(LifecycleError(.fleetUnavailable, why)) }
        guard var r = byID[id], r.status != .deleted else { return .failure(LifecycleError(.notFound, notFound(id))) }
        if busy(id) { return .failure(LifecycleError(.busy, busyError(id))) }
        guard r.status == .active || r.status == .failed else {
            return .failure(
                LifecycleError(
                    .conflict,
                    ErrorBody(
                        code: "not_updatable",
                        message: "tenant '\(id)' is \(r.status.rawValue); only an active or failed tenant can be updated, try again once it is")))
        }
        let relative = "tenants/\(id).yaml"
        if let edited = editedConflict(id, document: r.document) { return .failure(edited) }
        var merged = Self.givenParameters(r.document, file: relative, loader: loader, fleet: fleet)
        for (k, v) in patch {
            if v == .null { merged[k] = nil } else { merged[k] = v }
        }
        var text = TenantDocument.yaml(id: id, blueprint: r.blueprint, parameters: merged)
        if TenantDocument.isSuspended(r.document) { text = TenantDocument.suspended(text, true) }
        let (spec, diags) = loader.readTenant(text, file: relative, fleet: fleet)
        guard let spec, !diags.hasErrors else {
            let n = diags.errors.count
            return .failure(
                LifecycleError(
                    .invalidRequest,
                    ErrorBody(
                        code: "invalid_tenant", message: "the update has \(n) error\(n == 1 ? "" : "s"); fix the parameters and send it again",
                        diagnostics: TenantDocument.requestDiagnostics(diags.items, file: relative, parameters: merged))))
        }
        let parametersJSON = JSON.string(.map(spec.parameters.mapValues(TenantDocument.shown)))
        if fleet.blueprints[r.blueprint]?.updates.approvalRequired == true {
            return awaitApproval(r, PendingUpdate(document: text, parametersJSON: parametersJSON, changed: patch.keys.sorted(), from: r.status))
        }
        let previous = r.document
        r.document = text
        r.parametersJSON = parametersJSON
        r.error = nil
        r.move(to: .updating, at: clock.date(), reason: "parameters: " + patch.keys.sorted().joined(separator: ", "))
        return await recordAndQueue(r, previous: previous, text: text, relative: relative, spec: spec, change: "update")
    }

    /// The parameters a tenant document gives itself (typed as its blueprint declares them),
    /// without the blueprint's defaults: an update keeps following a default it never set.
    static func givenParameters(_ document: String, file: String, loader: SpecLoader, fleet: Fleet) -> [String: Value] {
        let (spec, _) = loader.readTenant(document, file: file, fleet: fleet)
        guard let spec, case .success(let root) = YAMLReader().read(document, file: file) else { return [:] }
        let given = Set((root["parameters"]?.mapping ?? []).compactMap { $0.key.scalar })
        return spec.parameters.filter { given.contains($0.key) }
    }

    /// The event status of an outcome: an update's ends as `updated` or `update_failed`.
    static func eventStatus(_ status: LifecycleStatus, was: LifecycleStatus?) -> EventStatus? {
        switch (was, status) {
        case (.updating?, .active): return .updated
        case (.updating?, .failed): return .updateFailed
        case (.resuming?, .active): return .resumed
        default: return status.event
        }
    }

    /// The statuses the apply worker provisions: a create, an update, a suspension, a resumption.
    static let applies: Set<LifecycleStatus> = [.provisioning, .updating, .suspending, .resuming]

    /// 409 when `tenants/ID.yaml` is no longer `document`, the text the service last wrote (an
    /// edit in git meanwhile): the change is refused and the file left as it is.
    func editedConflict(_ id: String, document: String) -> LifecycleError? {
        let relative = "tenants/\(id).yaml"
        let onDisk = try? String(contentsOf: root.appendingPathComponent(relative), encoding: .utf8)
        guard onDisk != document else { return nil }
        return Self.edited(relative, removed: onDisk == nil)
    }

    /// The 409 of a tenant file edited (or removed) since the service last wrote it.
    static func edited(_ relative: String, removed: Bool) -> LifecycleError {
        LifecycleError(
            .conflict,
            ErrorBody(
                code: "edited",
                message: """
                    \(relative) \(removed ? "was removed" : "was edited") since the service last wrote it (a commit in \
                    git?); the change was not applied and the file was not touched: make the change in the file, or \
                    restore it and send the request again
                    """))
    }
}
