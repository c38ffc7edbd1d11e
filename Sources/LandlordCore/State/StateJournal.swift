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

    /// The entry as a journal stores it (JSON), sensitive values sealed by `cipher`.
    public func encoded(cipher: StateCipher?) -> [UInt8] {
        let entry: Value = .map([
            "tenant": .string(tenant), "lineage": .string(lineage), "blueprint": .string(blueprint),
            "serial": .int(serial), "at": .string(StateDates.string(at)), "change": change.json,
        ])
        return JSON.serialize(cipher?.seal(entry) ?? entry, sortedKeys: false)
    }

    /// Reads an entry written by `encoded`; nil when the bytes are not one (skipped on replay).
    /// Throws when it holds sealed values `cipher` cannot open (`what` names the journal).
    public static func decode(_ payload: some Collection<UInt8>, cipher: StateCipher?, what: String) throws(StateError) -> JournalEntry? {
        guard var parsed = try? JSON.parse(Array(payload)) else { return nil }
        if StateCipher.mightHoldSealed(payload) { parsed = try StateCipher.open(parsed, with: cipher, what: what) }
        guard let entry = parsed.mapValue, let tenant = entry["tenant"]?.stringValue,
            let lineage = entry["lineage"]?.stringValue, let serial = entry["serial"]?.intValue,
            let changeJSON = entry["change"], let change = try? StateChange(json: changeJSON)
        else { return nil }
        var state = TenantState(tenant: tenant, blueprint: entry["blueprint"]?.stringValue ?? "")
        state.lineage = lineage
        state.serial = serial
        state.updatedAt = StateDates.date(entry["at"]?.stringValue)
        return JournalEntry(change, of: state)
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
