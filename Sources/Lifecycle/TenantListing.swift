import Foundation
import LandlordBasics
import LandlordCore
import LandlordS3State
import ProviderAPI

/// Every tenant of a fleet as `landlord tenant list` and `show` report it, read without the
/// service lock: only reads, so they answer while a `landlord serve` runs (it keeps the records
/// current; each is replaced atomically, so a read sees the old or the new one whole).
///
/// A tenant with a service record is shown as `GET /v1/tenants/ID` shows it. The fleet's other
/// tenants (a tenant file, or state, but no record: written by hand and applied with
/// `landlord apply`) are listed too, with the status `landlord status` gives them: their
/// state's, else `pending_approval` when the file says `approval: pending`, else `planned`.
public enum TenantListing {
    /// The statuses a listed tenant can have: the service's, the state's and `planned`.
    public static var statuses: [String] {
        var out = LifecycleStatus.allCases.map(\.rawValue)
        for s in TenantStatus.allCases.map(\.rawValue) + ["planned"] where !out.contains(s) { out.append(s) }
        return out
    }

    /// Every tenant, sorted by id, each as a JSON object with at least `id`, `status`,
    /// `blueprint` and `resources`.
    public static func all(_ runtime: ServiceRuntime) async throws -> [Value] {
        let records = try await loadRecords(runtime)
        let fleet = runtime.fleet
        let ids = Set(records.keys).union(fleet.tenants.map(\.id)).union(try await runtime.store.listTenants()).sorted()
        let states = try await runtime.store.loadTenants(ids)
        return ids.map { id in
            if let r = records[id] { return r.view(states[id]) }
            let spec = fleet.tenant(id)
            let state = states[id]
            let status = state?.status.rawValue ?? (spec?.approvalPending == true ? LifecycleStatus.pendingApproval.rawValue : "planned")
            var m: [String: Value] = [
                "id": .string(id), "status": .string(status), "blueprint": .string(spec?.blueprint ?? state?.blueprint ?? ""),
                "resources": .int(state?.resources.count ?? 0),
                "outputs": .map((state.map(tenantOutputs) ?? [:]).mapValues(TenantDocument.shown)),
                "fileRemoved": .bool(spec == nil),
            ]
            if let spec { m["parameters"] = .map(spec.parameters.mapValues(TenantDocument.shown)) }
            return .map(m)
        }
    }

    /// The service's records, as a starting service reads them, but without creating anything.
    static func loadRecords(_ runtime: ServiceRuntime) async throws -> [String: TenantRecord] {
        var out: [String: TenantRecord] = [:]
        if let s3 = runtime.store as? S3StateStore {
            for key in try await s3.serviceList("tenants/") where key.hasSuffix(".json") {
                guard let object = try await s3.serviceGet(key) else { continue }
                let r = try RecordCoding.decode(object.body)
                out[r.id] = r
            }
            return out
        }
        let directory = runtime.root.appendingPathComponent(".landlord/service/tenants").path
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where name.hasSuffix(".json") && !name.hasPrefix(".") {
            guard let bytes = AtomicFile.read(directory + "/" + name) else { continue }
            do {
                let r = try RecordCoding.decode(bytes)
                out[r.id] = r
            } catch {
                throw FileError("cannot read the service record \(directory)/\(name): \(error); restore it from a backup or move it aside")
            }
        }
        return out
    }
}
