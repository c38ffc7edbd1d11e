import Foundation
import ProviderAPI

/// Where `deletion: snapshot` puts exported data: a local directory or an S3 prefix
/// (platform.yaml's `exports:`, wired in by the CLI and the service through `ProviderRegistry`).
public protocol ExportStore: Sendable {
    /// Stores `data` under `name` (`TENANT/NAME-STAMP.EXT`) and returns where it went
    /// (`s3://BUCKET/KEY` or a path). Returns only once the bytes are durable; throws otherwise.
    func store(_ data: Data, name: String) async throws -> String
}

extension ResourceOps {
    /// What a delete does under the resource's `deletion:` policy before (or instead of) the
    /// provider's delete. `retain`: the resource is forgotten and left in the cloud (true: done).
    /// `snapshot`: its data is exported, stored and the export recorded durably in state; only
    /// then does the delete go on (false). A failed export or store throws: nothing is deleted.
    /// A run killed between the recorded export and the delete finds the export (same object
    /// id) and deletes without exporting again.
    func followPolicy() async throws -> Bool {
        switch change.deletion {
        case .delete:
            return false
        case .retain:
            try await session.forget(change.name)
            return true
        case .snapshot:
            // Nothing recorded (an interrupted create): there is no data yet; the plain path looks it up.
            guard let prior = await session.resource(change.name) else { return false }
            if let done = await session.export(change.name), done.id == prior.id, done.type == prior.type { return false }
            try await exportData(prior)
            return false
        }
    }

    /// The export phase's step of a `deletion: snapshot` delete: the export made and recorded
    /// (unless a run before made it for the same object), the delete left to its own step,
    /// which finds it recorded. A failure throws, and no delete of the tenant runs.
    func exportFirst() async throws {
        guard change.deletion == .snapshot, let prior = await session.resource(change.name) else { return }
        if let done = await session.export(change.name), done.id == prior.id, done.type == prior.type { return }
        try await exportData(prior)
    }

    private func exportData(_ prior: ResourceState) async throws {
        let keep = "nothing was deleted; fix the cause and run the destroy again, or set `deletion: retain` or `delete` on it"
        guard let exporter = provider as? any ExportingProvider, let format = schema?.exportFormat else {
            throw fail("\(change.address): \(prior.type) cannot be exported", detail: keep)
        }
        guard let store = exports else {
            throw fail(
                "\(change.address) has `deletion: snapshot` but no exports place is configured", detail: "add `exports:` to platform.yaml; " + keep)
        }
        let response = await exporter.export(ExportRequest(resource: prior.object, identity: identity))
        if response.diagnostics.hasErrors { throw fail("could not export \(change.address)", response.diagnostics, detail: keep) }
        // To the millisecond, as state documents keep it: the record reads back equal.
        let text = StateDates.string(Date())
        let now = StateDates.date(text)
        let stamp = text.replacingOccurrences(of: ":", with: "").replacingOccurrences(of: ".", with: "")
        let name = "\(identity.tenant)/\(change.name)-\(stamp).\(format)"
        let location: String
        do { location = try await store.store(response.data, name: name) } catch {
            throw fail("could not store the export of \(change.address): \(error.text)", detail: keep)
        }
        let record = ExportRecord(
            type: prior.type, id: prior.id, location: location, sha256: Digest.sha256Hex(response.data), bytes: response.data.count, at: now)
        try await session.recordExport(change.name, record)
    }
}
