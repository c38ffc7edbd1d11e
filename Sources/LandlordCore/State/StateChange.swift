import Foundation
import ProviderAPI

/// One change to a tenant's state, as an apply makes it and as the state journal records it.
/// The same `apply(to:)` runs live and when a journal is replayed after a crash, so the two
/// cannot drift apart.
public enum StateChange: Sendable, Hashable {
    /// The tenant's status.
    case status(TenantStatus)
    /// A create is about to be sent for this resource name.
    case intent(String, PendingIntent)
    /// The resource as it now is (clears any intent for it).
    case record(String, ResourceState)
    /// The resource is moved aside (to `freeDeposedKey`) before its replacement is created.
    case depose(String)
    /// The resource is gone (after its delete), with any intent for it.
    case forget(String)
    /// The tenant's outputs, all of them (computed at the end of its apply).
    case outputs([String: Value])
    /// A resource's data was exported (`deletion: snapshot`); its delete may now be sent.
    case export(String, ExportRecord)

    /// The key a replaced resource's old object is kept under until it is deleted.
    public static func deposedKey(_ name: String) -> String { name + "#deposed" }

    /// Where the next old object of `name` goes: `NAME#deposed`, or `NAME#2#deposed` (and so
    /// on) while an earlier replacement's old object is still waiting for its delete, so that
    /// neither is forgotten.
    public static func freeDeposedKey(_ name: String, in state: TenantState) -> String {
        var key = deposedKey(name)
        var n = 2
        while state.resources[key] != nil {
            key = name + "#\(n)#deposed"
            n += 1
        }
        return key
    }

    /// The resource name a state key belongs to (`NAME` of `NAME#deposed`, `NAME#2#deposed`).
    public static func baseName(_ key: String) -> String { String(key.prefix { $0 != "#" }) }

    /// Makes the change in `state` (serial and timestamp are the caller's).
    public func apply(to state: inout TenantState) {
        switch self {
        case .status(let s): state.status = s
        case .intent(let name, let p): state.pending[name] = p
        case .record(let name, let r):
            state.resources[name] = r
            state.pending[name] = nil
        case .depose(let name):
            guard let r = state.resources[name] else { return }
            state.resources[Self.freeDeposedKey(name, in: state)] = r
            state.resources[name] = nil
        case .forget(let name):
            state.resources[name] = nil
            state.pending[name] = nil
        case .outputs(let o): state.outputs = o
        case .export(let name, let e): state.exports[name] = e
        }
    }

    /// True for a change that must be on disk before the run goes on: an intent is written
    /// before its create is sent, so a crash can never leave a resource nobody looks for.
    /// Every other change may trail: a lost result is found again through its intent, a lost
    /// delete by the next delete finding nothing, and each later durable write carries all
    /// earlier ones with it.
    public var mustBeDurable: Bool {
        switch self {
        case .intent, .export: return true
        default: return false
        }
    }

    var json: Value {
        switch self {
        case .status(let s): return .map(["op": "status", "status": .string(s.rawValue)])
        case .intent(let n, let p): return .map(["op": "intent", "name": .string(n), "pending": p.json])
        case .record(let n, let r): return .map(["op": "record", "name": .string(n), "resource": r.json])
        case .depose(let n): return .map(["op": "depose", "name": .string(n)])
        case .forget(let n): return .map(["op": "forget", "name": .string(n)])
        case .outputs(let o): return .map(["op": "outputs", "outputs": .map(o)])
        case .export(let n, let e): return .map(["op": "export", "name": .string(n), "export": e.json])
        }
    }

    init(_ f: DocumentFields) throws(StateFormatError) {
        switch try f.string("op") {
        case "status": self = .status(try f.enumeration("status", TenantStatus.self))
        case "intent": self = .intent(try f.string("name"), try PendingIntent(try f.object("pending")))
        case "record": self = .record(try f.string("name"), try ResourceState(try f.object("resource")))
        case "depose": self = .depose(try f.string("name"))
        case "forget": self = .forget(try f.string("name"))
        case "outputs": self = .outputs(try f.map("outputs"))
        case "export": self = .export(try f.string("name"), try ExportRecord(try f.object("export")))
        case let op: throw StateFormatError(message: "\(f.at("op")): unknown journal change '\(op)'")
        }
    }
}
