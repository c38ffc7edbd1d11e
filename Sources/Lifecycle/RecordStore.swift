import Foundation
import LandlordBasics
import LandlordCore
import LandlordEvents
import LandlordS3State
import ProviderAPI

/// One change of what the service owes, made durable as a whole: a tenant's record, the events
/// of its new status (recorded before the record, so a record never survives a crash without
/// its events), and fleet files written with it (the tenant file).
struct RecordChange: Sendable {
    var record: TenantRecord
    var events: [Value] = []
    var files: [GroupCommit.Write] = []
}

/// Where the service keeps its tenant records and their undelivered events: on the local disk
/// beside local state (``LocalRecordStore``), or in the state bucket when state is in S3
/// (``S3RecordStore``), so a service on another machine, or a restarted container with an
/// empty disk, finishes what an earlier one accepted.
protocol RecordStore: Sendable {
    /// The outbox the records' events go into (and are delivered from).
    var outbox: EventOutbox { get }
    /// Every record; a record that cannot be read is reported, never replaced.
    func loadAll() throws -> [String: TenantRecord]
    /// Makes `changes` durable (events, then records, then files) and returns once they are;
    /// concurrent callers' changes are made durable together.
    func save(_ changes: [RecordChange]) async throws
    /// ``save(_:)`` for a new tenant: false, and nothing written, when a record of its id
    /// exists that is not `previous` (the deleted tenant this one replaces), whoever wrote it.
    func create(_ change: RecordChange, replacing previous: TenantRecord?) async throws -> Bool
    /// ``save(_:)`` from synchronous code: blocks until durable.
    func saveBlocking(_ changes: [RecordChange]) throws
}

/// The records on the local disk: one JSON file per tenant in `.landlord/service/tenants/`
/// (readable one by one; replaced atomically), written by a ``GroupCommit``: the records and
/// event files of every request in flight are made durable in one batch, and each request is
/// answered once its batch is durable.
struct LocalRecordStore: RecordStore {
    let directory: String
    let outbox: EventOutbox
    let committer: GroupCommit

    init(root: URL, outbox: EventOutbox, durable: Bool = true) {
        directory = root.appendingPathComponent(".landlord/service/tenants").path
        self.outbox = outbox
        committer = GroupCommit(durable: durable)
    }

    func loadAll() throws -> [String: TenantRecord] {
        try AtomicFile.makeDirectory(directory)
        var out: [String: TenantRecord] = [:]
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where name.hasSuffix(".json") && !name.hasPrefix(".") {
            let path = directory + "/" + name
            guard let bytes = AtomicFile.read(path) else { continue }
            do {
                let r = try RecordCoding.decode(bytes)
                out[r.id] = r
            } catch {
                throw FileError("cannot read the service record \(path): \(error); restore it from a backup or move it aside, then start again")
            }
        }
        return out
    }

    /// The files of `changes`, in the order they must become durable.
    private func writes(_ changes: [RecordChange]) throws -> [GroupCommit.Write] {
        var out: [GroupCommit.Write] = []
        for c in changes {
            for e in c.events { out += outbox.writes(for: e) }
            out.append(GroupCommit.Write(path: directory + "/" + c.record.id + ".json", bytes: RecordCoding.encode(c.record)))
            out += c.files
        }
        return out
    }

    func save(_ changes: [RecordChange]) async throws {
        try await committer.commit(writes(changes))
        outbox.wakeDeliverers()
    }

    /// One process at a time serves a local fleet (the service lock), so the caller's own
    /// check that the id is free is the whole check.
    func create(_ change: RecordChange, replacing previous: TenantRecord?) async throws -> Bool {
        try await save([change])
        return true
    }

    func saveBlocking(_ changes: [RecordChange]) throws {
        try committer.commitBlocking(writes(changes))
        outbox.wakeDeliverers()
    }
}

/// The record store and outbox storage a fleet's state backend calls for.
enum RecordStores {
    /// Where the outbox keeps its events: beside the state in S3, else the local disk (nil).
    static func outboxStorage(_ runtime: ServiceRuntime) -> (any OutboxStorage)? {
        (runtime.store as? S3StateStore).map { S3OutboxStorage(store: $0) }
    }

    /// The records beside the state: in S3 when state is, else on the local disk.
    static func records(_ runtime: ServiceRuntime, outbox: EventOutbox) -> any RecordStore {
        if let s3 = runtime.store as? S3StateStore { return S3RecordStore(store: s3, root: runtime.root, outbox: outbox) }
        return LocalRecordStore(root: runtime.root, outbox: outbox)
    }
}
