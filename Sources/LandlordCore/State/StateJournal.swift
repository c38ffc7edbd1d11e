import Foundation
import ProviderAPI

/// One apply's write-ahead log of tenant state changes, shared by every tenant of the run, as a
/// `JournalingStateStore` opens it (the local disk's is `JournalFile` in LandlordLocalState).
///
/// Writing a tenant's whole document durably after every step costs two fsyncs a step, and
/// with a thousand tenants in flight those fsyncs queue behind each other. A journal turns
/// them into one append each, group-committed: while one sync runs, every change that arrives
/// waits for the next, which covers them all. Only intents (a create about to be sent) wait
/// for the disk; other changes ride along with the next durable write (see
/// `StateChange.mustBeDurable`). Each tenant's document is written when its last step lands
/// (`JournalingStateStore.writeDocuments`), the rest at the end (`checkpoint`), and the journal
/// is then removed. A run that dies leaves its journal behind; the store's next reader replays
/// it first, entry by entry (`JournalEntry`).
public protocol StateJournal: AnyObject, Sendable {
    /// Where the journal is, for messages.
    var path: String { get }
    /// Appends a change of `state` (already made in it, serial already advanced) and returns
    /// its ticket for `waitUntilDurable`. Changes of one tenant must be appended in order.
    func append(_ change: StateChange, of state: TenantState) -> Int
    /// Returns once every entry up to `ticket` is durable.
    func waitUntilDurable(_ ticket: Int) async throws
    /// Removes the journal: after the checkpoint put its entries in the documents, or when the
    /// run gives up before changing anything.
    func remove()
}

/// One journaled change: the change, and the document it continues (the tenant, its lineage,
/// and the serial the change brings it to). The same rules replay every store's journal.
public struct JournalEntry: Sendable, Hashable {
    public var tenant: String
    public var lineage: String
    public var blueprint: String
    /// The document's serial once the change is made.
    public var serial: Int
    public var at: Date
    public var change: StateChange

    /// The entry for `change`, already made in `state` (serial already advanced).
    public init(_ change: StateChange, of state: TenantState) {
        tenant = state.tenant
        lineage = state.lineage
        blueprint = state.blueprint
        serial = state.serial
        at = state.updatedAt
        self.change = change
    }

    /// The version written: 2 (marks beside values, `DocumentMarks`); entries of version 1
    /// (which carried no `format_version`) are still read.
    public static let formatVersion = 2

    /// The entry as a journal stores it (JSON), sensitive values sealed by `cipher`.
    public func encoded(cipher: StateCipher?) -> [UInt8] {
        let entry: [String: Value] = [
            "tenant": .string(tenant), "lineage": .string(lineage), "blueprint": .string(blueprint),
            "serial": .int(serial), "at": .string(StateDates.string(at)), "change": change.json,
        ]
        return JSON.serialize(MarkedDocument.written(entry, version: Self.formatVersion, cipher: cipher), sortedKeys: false)
    }

    /// Reads an entry written by `encoded` (any version this landlord reads). An entry that is
    /// not one, of a newer version, or with sealed values `cipher` cannot open is an error
    /// naming `what` (the journal): its frame's checksum matched, so it is what a landlord
    /// wrote, and skipping it could lose the record of a resource.
    public static func decode(_ payload: some Collection<UInt8>, cipher: StateCipher?, what: String) throws(StateError) -> JournalEntry {
        do {
            let parsed = try JSON.parse(Array(payload))
            let version = try DocumentVersion.check(try DocumentFields(parsed), reads: 1...formatVersion, absent: 1, document: "journal entry")
            let f = try DocumentFields(try MarkedDocument.read(parsed, version: version, bytes: payload, cipher: cipher, what: what))
            var state = TenantState(tenant: try f.string("tenant"), blueprint: try f.optionalString("blueprint") ?? "")
            state.lineage = try f.string("lineage")
            state.serial = try f.int("serial")
            state.updatedAt = try f.date("at")
            return JournalEntry(try StateChange(try f.object("change")), of: state)
        } catch let e as StateError {
            throw e
        } catch {
            throw .io(
                """
                \(what) holds an entry landlord cannot read (\(error)). Nothing was changed; move the journal aside \
                only after checking the state it records
                """
            )
        }
    }

    /// The document the entry starts when its tenant has none: only a first change (serial 1)
    /// does; a later one's document is gone (deleted after its run).
    public var newDocument: TenantState? {
        guard serial == 1 else { return nil }
        var doc = TenantState(tenant: tenant, blueprint: blueprint)
        doc.lineage = lineage
        return doc
    }

    /// Makes the change in `doc` when the entry continues it (same lineage, the serial just
    /// before); false, leaving it alone, for an entry a later write already covers or of a
    /// document replaced since.
    public func apply(to doc: inout TenantState) -> Bool {
        guard doc.lineage == lineage, serial == doc.serial + 1 else { return false }
        change.apply(to: &doc)
        doc.serial = serial
        doc.updatedAt = at
        return true
    }
}
