import Foundation
import LandlordBasics

/// Where an outbox keeps its event files, one folder per sink (named by the sink's outbox
/// directory): the local disk (``LocalOutboxStorage``), or, for a service whose state is in
/// S3, objects beside the state, so a service started elsewhere delivers what another accepted.
/// Names are the outbox's (`NANOS_KEY_TENANT.json`, sorting by when they were written).
public protocol OutboxStorage: Sendable {
    /// The names of the events waiting in the sink's folder, oldest first.
    func pending(_ directory: String) async -> [String]
    /// One event's bytes, or that it is gone (delivered or removed meanwhile), or that it
    /// could not be read now (the disk or the bucket failed: try again later, never set it
    /// aside for that).
    func read(_ directory: String, _ name: String) async -> OutboxRead
    /// Removes a delivered (or given up) event.
    func remove(_ directory: String, _ name: String) async
    /// Moves an event that does not parse out of the way (kept for a person to look at).
    func setAside(_ directory: String, _ name: String) async
    /// How many events waited at the last look (for metrics; no I/O).
    func count(_ directory: String) -> Int
}

/// What reading an event from an ``OutboxStorage`` found.
public enum OutboxRead: Sendable {
    /// The event's bytes (they may still not parse).
    case event([UInt8])
    /// No such event any more.
    case gone
    /// The storage failed; why.
    case failed(String)
}

/// Event files on the local disk, in the sink's outbox directory.
public struct LocalOutboxStorage: OutboxStorage {
    /// Local storage.
    public init() {}

    public func pending(_ directory: String) async -> [String] { EventOutbox.pending(directory) }

    public func read(_ directory: String, _ name: String) async -> OutboxRead {
        let path = directory + "/" + name
        if let bytes = AtomicFile.read(path) { return .event(bytes) }
        return FileManager.default.fileExists(atPath: path) ? .failed("could not read \(path)") : .gone
    }

    public func remove(_ directory: String, _ name: String) async { try? FileManager.default.removeItem(atPath: directory + "/" + name) }

    public func setAside(_ directory: String, _ name: String) async {
        let path = directory + "/" + name
        _ = try? FileManager.default.moveItem(atPath: path, toPath: path + ".bad")
    }

    public func count(_ directory: String) -> Int { EventOutbox.pending(directory).count }
}
