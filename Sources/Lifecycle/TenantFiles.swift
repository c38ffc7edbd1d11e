import Foundation
import LandlordBasics
import LandlordCore
import ProviderAPI

/// The fleet on disk as the service sees it: re-read when its files change, the
/// `approval: pending` files of tenants awaiting approval, and those files' removal.
extension TenantService {
    /// Re-reads the fleet when its spec files changed since it was read (a CI commit added,
    /// changed or removed a tenant file, a blueprint or platform.yaml changed): a stat of each
    /// file, and a full read only when one differs. Returns why new work is refused (nil: it
    /// is not): the fleet no longer reads (the diagnostics `landlord validate` gives), or
    /// platform.yaml changed what only a restart can wire (providers, state, plugins, events,
    /// API). Meanwhile the last good fleet stays in use for what is already under way.
    @discardableResult
    func reloadFleetIfChanged() -> ErrorBody? {
        let started = Date()
        let (answer, read) = lookAtFleet()
        metrics.fleetChecked(seconds: Date().timeIntervalSince(started), read: read)
        return answer
    }

    /// ``reloadFleetIfChanged()``, and the outcome of a re-read when there was one.
    private func lookAtFleet() -> (ErrorBody?, String?) {
        let now: FleetStamp
        let differing: [String]
        // The watch names the files touched since the last look: only those are stat'ed and
        // compared (a POST no longer does work for every tenant file). Every file is, when the
        // watch cannot tell, and from time to time for what it cannot see
        // (``FleetStamp/nextFullScan``).
        if let touched = watch?.look(), Date() < stamp.nextFullScan {
            guard !touched.isEmpty else { return (invalid, nil) }
            var s = stamp
            for path in touched { s.note(root, path) }
            now = s
            differing = now.changes(since: stamp, among: touched)
        } else {
            now = FleetStamp.take(root, previous: stamp)
            differing = now.changes(since: stamp)
        }
        // A file this service is writing (a create's, off the actor) is not someone's edit.
        let changed = differing.filter { path in
            !(path.hasPrefix("tenants/") && reserved.contains(String(path.dropFirst(8).split(separator: ".").first ?? "")))
        }
        guard !changed.isEmpty else {
            // Nothing new: keep when every file was last stat'ed and how long that took (for
            // ``FleetStamp/nextFullScan``; unchanged when only the watch's files were).
            (stamp.scanned, stamp.tenantFiles, stamp.scanSeconds) = (now.scanned, now.tenantFiles, now.scanSeconds)
            return (invalid, nil)
        }
        stamp = now
        let (loaded, diags) = SpecLoader(schemas: runtime.resourceSchemas, environment: environment).load(directory: root)
        guard let loaded, !diags.hasErrors else {
            let n = max(1, diags.errors.count)
            invalid = ErrorBody(
                code: "fleet_invalid",
                message:
                    """
                    the fleet's files have \(n) error\(n == 1 ? "" : "s") since they changed (\(Self.listed(changed))), \
                    as `landlord validate` reports; nothing new is started until they are fixed: fix them, then send \
                    the request again
                    """,
                diagnostics: diags.items.filter { $0.severity == .error }.map(DiagnosticBody.init))
            log("the fleet does not read after a change of \(Self.listed(changed)); new requests are refused until it is fixed:")
            for d in diags.items where d.severity == .error { log("  \(d)") }
            return (invalid, "fleet_invalid")
        }
        if let why = runtime.rewiring(loaded.platform) {
            invalid = ErrorBody(
                code: "restart_required", message: "\(why); restart the service to use them (nothing new is started until then)")
            log(invalid!.message)
            return (invalid, "restart_required")
        }
        if invalid != nil { log("the fleet reads again; requests are accepted") }
        invalid = nil
        fleet = loaded
        return (nil, "ok")
    }

    /// Re-stamps a file this service wrote or removed (and its directory), so the next look
    /// does not take the service's own write for an edit.
    func noteWritten(_ relative: String) {
        stamp.note(root, relative)
        stamp.note(root, (relative as NSString).deletingLastPathComponent)
    }

    /// At most five paths, then `...`.
    static func listed(_ paths: [String]) -> String { paths.prefix(5).joined(separator: ", ") + (paths.count > 5 ? ", ..." : "") }

    /// Removes the file of a tenant that was never provisioned (rejected, timed out, deleted
    /// or invalid while awaiting approval) and takes it out of the fleet. Only a file that
    /// still says `approval: pending` is removed: one approved meanwhile (by hand, in git)
    /// stays.
    func withdraw(_ id: String) {
        let relative = "tenants/\(id).yaml"
        let url = root.appendingPathComponent(relative)
        guard let text = try? String(contentsOf: url, encoding: .utf8), TenantDocument.approved(text) != nil else { return }
        do { try FileManager.default.removeItem(at: url) } catch {
            log("could not remove \(relative) of tenant \(id): \(error); remove it by hand (nothing was provisioned)")
            return
        }
        noteWritten(relative)
        if fleet.tenant(id)?.file == relative { setTenants(fleet.tenants.filter { $0.id != id }) }
    }

    /// The record of a tenant whose file says `approval: pending` but that has none (the file
    /// was written by hand or came with a commit), made from the file so it can be approved or
    /// rejected like one created here; nil when there is no such file.
    func adoptPendingFile(_ id: String) -> TenantRecord? {
        let relative = "tenants/\(id).yaml"
        guard let spec = fleet.tenant(id), spec.approvalPending, spec.file == relative,
            let text = try? String(contentsOf: root.appendingPathComponent(relative), encoding: .utf8),
            let approved = TenantDocument.approved(text)
        else { return nil }
        let now = clock.date()
        var r = TenantRecord(
            id: id, blueprint: spec.blueprint, status: .pendingApproval, document: approved,
            parametersJSON: JSON.string(.map(spec.parameters.mapValues(TenantDocument.shown))), history: [], createdAt: now)
        r.move(to: .pendingApproval, at: now, reason: "from \(relative)")
        return r
    }
}
