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
        }
    }

    /// True for a change that must be on disk before the run goes on: an intent is written
    /// before its create is sent, so a crash can never leave a resource nobody looks for.
    /// Every other change may trail: a lost result is found again through its intent, a lost
    /// delete by the next delete finding nothing, and each later durable write carries all
    /// earlier ones with it.
    public var mustBeDurable: Bool {
        if case .intent = self { return true }
        return false
    }

    var json: Value {
        switch self {
        case .status(let s): return .map(["op": "status", "status": .string(s.rawValue)])
        case .intent(let n, let p): return .map(["op": "intent", "name": .string(n), "pending": p.json])
        case .record(let n, let r): return .map(["op": "record", "name": .string(n), "resource": r.json])
        case .depose(let n): return .map(["op": "depose", "name": .string(n)])
        case .forget(let n): return .map(["op": "forget", "name": .string(n)])
        case .outputs(let o): return .map(["op": "outputs", "outputs": .map(o)])
        }
    }

    init(json v: Value) throws(StateFormatError) {
        guard let m = v.mapValue, let op = m["op"]?.stringValue else { throw StateFormatError(message: "a journal change lacks its op") }
        let name = m["name"]?.stringValue
        switch (op, name) {
        case ("status", _):
            guard let s = m["status"]?.stringValue.flatMap(TenantStatus.init(rawValue:)) else {
                throw StateFormatError(message: "a status change lacks its status")
            }
            self = .status(s)
        case ("intent", let n?):
            guard let p = m["pending"] else { throw StateFormatError(message: "an intent lacks its details") }
            self = .intent(n, PendingIntent(json: p))
        case ("record", let n?):
            guard let r = m["resource"] else { throw StateFormatError(message: "a record lacks its resource") }
            self = .record(n, try ResourceState(json: r))
        case ("depose", let n?): self = .depose(n)
        case ("forget", let n?): self = .forget(n)
        case ("outputs", _): self = .outputs((m["outputs"].map(JSON.untag)?.mapValue) ?? [:])
        default: throw StateFormatError(message: "unknown journal change '\(op)'")
        }
    }
}

extension PendingIntent {
    var json: Value {
        .map(["type": .string(type), "clientToken": .string(clientToken), "startedAt": .string(StateDates.string(startedAt)), "inputs": .map(inputs)])
    }

    init(json p: Value) {
        let pm = p.mapValue ?? [:]
        self.init(
            type: pm["type"]?.stringValue ?? "", clientToken: pm["clientToken"]?.stringValue ?? "",
            startedAt: StateDates.date(pm["startedAt"]?.stringValue), inputs: (pm["inputs"].map(JSON.untag)?.mapValue) ?? [:])
    }
}
