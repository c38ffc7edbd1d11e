import Foundation
import LandlordBasics
import LandlordCore
import LandlordEvents
import ProviderAPI

extension TenantDocument {
    /// True when the document has a top-level `suspended: true` line.
    static func isSuspended(_ document: String) -> Bool {
        document.split(separator: "\n", omittingEmptySubsequences: false).contains { Self.isSuspendedLine($0) }
    }

    static func isSuspendedLine(_ line: Substring) -> Bool {
        line.range(of: #"^suspended:[ \t]*true[ \t]*(#.*)?\r?$"#, options: .regularExpression) != nil
    }

    /// The document with (`on`) or without its `suspended: true` line, which goes last so
    /// every other line keeps its number.
    static func suspended(_ document: String, _ on: Bool) -> String {
        let lines = document.split(separator: "\n", omittingEmptySubsequences: false).filter { !isSuspendedLine($0) }
        let text = lines.joined(separator: "\n")
        guard on else { return text }
        return (text.hasSuffix("\n") || text.isEmpty ? text : text + "\n") + "suspended: true\n"
    }
}

/// Suspension (`POST /v1/tenants/{id}/suspend|resume`, `landlord tenant suspend|resume`): the
/// tenant file gains or loses `suspended: true`, and the apply does what the blueprint says
/// suspension means (`${tenant.suspended}` in `when:`, `suspended:` properties). A plan that
/// would delete a data-bearing resource of a suspended tenant is refused by the planner.
extension TenantService {
    /// `POST /v1/tenants/{id}/suspend`: an active tenant becomes `suspending`, then `suspended`.
    public func suspend(_ id: String) async -> LifecycleResult { await setSuspended(id, true) }

    /// `POST /v1/tenants/{id}/resume`: a suspended tenant becomes `resuming`, then `active`.
    public func resume(_ id: String) async -> LifecycleResult { await setSuspended(id, false) }

    func setSuspended(_ id: String, _ on: Bool) async -> LifecycleResult {
        if let why = reloadFleetIfChanged() { return .failure(LifecycleError(.fleetUnavailable, why)) }
        guard var r = byID[id], r.status != .deleted else { return .failure(LifecycleError(.notFound, notFound(id))) }
        if busy(id) { return .failure(LifecycleError(.busy, busyError(id))) }
        let isSuspended = TenantDocument.isSuspended(r.document)
        let allowed =
            on ? (r.status == .active || (r.status == .failed && !isSuspended)) : (r.status == .suspended || (r.status == .failed && isSuspended))
        guard allowed else {
            let verb = on ? "suspend" : "resume"
            let needs = on ? "only an active tenant can be suspended" : "only a suspended tenant can be resumed"
            return .failure(
                LifecycleError(
                    .conflict, ErrorBody(code: "not_\(verb)able", message: "tenant '\(id)' is \(r.status.rawValue); \(needs)")))
        }
        if let edited = editedConflict(id, document: r.document) { return .failure(edited) }
        let relative = "tenants/\(id).yaml"
        let text = TenantDocument.suspended(r.document, on)
        let (spec, diags) = loader.readTenant(text, file: relative, fleet: fleet)
        guard let spec, !diags.hasErrors else {
            return .failure(
                LifecycleError(
                    .invalidRequest,
                    ErrorBody(
                        code: "invalid_tenant", message: "the tenant no longer reads against its blueprint; fix \(relative) or the blueprint first",
                        diagnostics: diags.items.filter { $0.severity == .error }.map(DiagnosticBody.init))))
        }
        let previous = r.document
        r.document = text
        r.error = nil
        r.move(to: on ? .suspending : .resuming, at: clock.date())
        return await recordAndQueue(r, previous: previous, text: text, relative: relative, spec: spec, change: "change")
    }
}
