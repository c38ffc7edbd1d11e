import Foundation
import ProviderAPI

/// One export `deletion: snapshot` made before deleting a resource: where the data went and
/// its SHA-256. Kept in the tenant's state (`exports`, by state key) past the delete, as the
/// tenant's final history, and announced in its `landlord.tenant.deleted` event.
public struct ExportRecord: Sendable, Hashable {
    /// The resource's type and recorded id (the export belongs to that object only).
    public var type: String
    public var id: String
    /// `s3://BUCKET/KEY` or a file path.
    public var location: String
    /// Hex SHA-256 of the exported bytes.
    public var sha256: String
    public var bytes: Int
    public var at: Date

    public init(type: String, id: String, location: String, sha256: String, bytes: Int, at: Date) {
        self.type = type
        self.id = id
        self.location = location
        self.sha256 = sha256
        self.bytes = bytes
        self.at = at
    }

    /// As state, journal entries and events write it.
    public var json: Value {
        .map([
            "type": .string(type), "id": .string(id), "location": .string(location), "sha256": .string(sha256), "bytes": .int(bytes),
            "at": .string(StateDates.string(at)),
        ])
    }

    init(_ f: DocumentFields) throws(StateFormatError) {
        self.init(
            type: try f.string("type"), id: try f.string("id"), location: try f.string("location"), sha256: try f.string("sha256"),
            bytes: try f.int("bytes"), at: try f.date("at"))
    }
}

extension TenantState {
    /// Exports as the document stores them (absent when there are none).
    var exportsJSON: Value? { exports.isEmpty ? nil : .map(exports.mapValues(\.json)) }

    /// Reads `exports` (absent: none).
    mutating func readExports(_ f: DocumentFields) throws(StateFormatError) {
        for (k, e) in try f.objects("exports") { exports[k] = try ExportRecord(e) }
    }
}

extension ResourceState {
    /// Reads the recorded `deletion` (absent: delete).
    static func deletionPolicy(_ f: DocumentFields) throws(StateFormatError) -> DeletionPolicy {
        guard let s = try f.optionalString("deletion") else { return .delete }
        guard let p = DeletionPolicy(rawValue: s) else { throw f.wrong("deletion", "delete, retain or snapshot", .string(s)) }
        return p
    }
}
