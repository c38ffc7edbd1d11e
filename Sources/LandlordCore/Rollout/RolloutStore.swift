import Foundation
import ProviderAPI

/// Rollout records, rollback points and held tenants in the state backend, beside the state
/// (`rollouts/` under `.landlord/` or the S3 prefix), so every machine running the fleet sees
/// the same rollout and the same holds.
public struct RolloutStore: Sendable {
    let docs: any SideDocumentStore

    static let currentKey = "rollouts/current.json"
    static let heldKey = "rollouts/held.json"

    /// The rollout store of `store`; nil when the backend keeps no side documents.
    public init?(_ store: any StateStore) {
        guard let docs = store as? any SideDocumentStore else { return nil }
        self.docs = docs
    }

    /// The last rollout's record; nil when there has been none.
    public func current() async throws -> RolloutRecord? {
        guard let bytes = try await docs.readSideDocument(Self.currentKey) else { return nil }
        let v: Value
        do { v = try JSON.parse(bytes) } catch {
            throw StateError.io("the rollout record rollouts/current.json is damaged (\(error)): delete it to forget the last rollout")
        }
        return try RolloutRecord(json: v)
    }

    /// Writes the record (its `updatedAt` set to now).
    public func save(_ record: RolloutRecord) async throws {
        var r = record
        r.updatedAt = Date()
        try await docs.writeSideDocument(Self.currentKey, JSON.serialize(r.json, pretty: true))
    }

    /// Held tenants by id.
    public func held() async throws -> [String: HeldTenant] {
        guard let bytes = try await docs.readSideDocument(Self.heldKey) else { return [:] }
        guard case .map(let m)? = try? JSON.parse(bytes) else {
            throw StateError.io("the held tenants' list rollouts/held.json is damaged: delete it to release every tenant")
        }
        var out: [String: HeldTenant] = [:]
        for (t, v) in m {
            guard case .map(let h) = v else { continue }
            out[t] = HeldTenant(
                tenant: t, specDigest: h["spec_digest"]?.stringValue ?? "", rollout: h["rollout"]?.stringValue ?? "",
                wave: h["wave"]?.intValue ?? 0, reason: h["reason"]?.stringValue ?? "")
        }
        return out
    }

    /// Changes the held tenants (read, change, write back; returns what `body` returns).
    @discardableResult
    public func updateHeld<T>(_ body: (inout [String: HeldTenant]) -> T) async throws -> T {
        var held = try await held()
        let result = body(&held)
        if held.isEmpty {
            try await docs.deleteSideDocument(Self.heldKey)
        } else {
            var m: [String: Value] = [:]
            for (t, h) in held {
                m[t] = .map([
                    "spec_digest": .string(h.specDigest), "rollout": .string(h.rollout), "wave": .int(h.wave), "reason": .string(h.reason),
                ])
            }
            try await docs.writeSideDocument(Self.heldKey, JSON.serialize(.map(m), pretty: true))
        }
        return result
    }

    /// Removes a rollout's rollback points (best effort: a leftover is only disk space).
    public func removeRollbackPoints(of record: RolloutRecord) async {
        for wave in 1...max(1, record.waves.count) { try? await docs.deleteSideDocument(Self.pointKey(record.id, wave: wave)) }
    }

    static func pointKey(_ rollout: String, wave: Int) -> String { "rollouts/\(rollout)/wave-\(wave).before" }

    /// Keeps the tenants' documents as they were before wave `wave` changed them, sealed as the
    /// state seals them, in one document: for each tenant a line `TENANT LENGTH`, then that
    /// many bytes of its document, then a newline.
    public func saveRollbackPoint(rollout: String, wave: Int, states: [TenantState]) async throws {
        var bytes: [UInt8] = []
        for s in states.sorted(by: { $0.tenant < $1.tenant }) {
            let doc = s.encoded(cipher: docs.sideCipher)
            bytes += Array("\(s.tenant) \(doc.count)\n".utf8) + doc
            bytes.append(0x0A)
        }
        try await docs.writeSideDocument(Self.pointKey(rollout, wave: wave), bytes)
    }

    /// The documents kept before wave `wave`, by tenant (a tenant with no state then is absent).
    public func rollbackPoint(rollout: String, wave: Int) async throws -> [String: TenantState] {
        let key = Self.pointKey(rollout, wave: wave)
        guard let bytes = try await docs.readSideDocument(key) else {
            throw StateError.io("the rollback point \(key) is missing: the tenants of wave \(wave) cannot be rolled back automatically")
        }
        let damaged = StateError.io("the rollback point \(key) is damaged: the tenants of wave \(wave) cannot be rolled back automatically")
        var out: [String: TenantState] = [:]
        var i = 0
        while i < bytes.count {
            guard let nl = bytes[i...].firstIndex(of: 0x0A) else { throw damaged }
            let head = String(decoding: bytes[i..<nl], as: UTF8.self).split(separator: " ")
            guard head.count == 2, let n = Int(head[1]), n >= 0, nl + 1 + n <= bytes.count else { throw damaged }
            let s = try TenantState.decode(Array(bytes[(nl + 1)..<(nl + 1 + n)]), cipher: docs.sideCipher, what: key)
            out[s.tenant] = s
            i = nl + 1 + n + 1
        }
        return out
    }
}

/// Takes held tenants out of plans.
public enum HeldTenants {
    /// Moves the provisioning tenants of `plan` that are held, and whose tenant file and
    /// blueprint are unchanged since, into `plan.held`. Returns the holds that no longer apply
    /// (the spec changed): the next apply releases them.
    @discardableResult
    public static func filter(_ plan: inout Plan, held: [String: HeldTenant], fleet: Fleet) -> [String] {
        guard !held.isEmpty else { return [] }
        var stale: [String] = []
        var kept: [TenantPlan] = []
        for t in plan.tenants {
            guard t.operation == .provision, let h = held[t.tenant], let spec = fleet.tenant(t.tenant) else {
                kept.append(t)
                continue
            }
            if fleet.specDigest(for: spec) == h.specDigest {
                plan.held.append(h)
            } else {
                stale.append(t.tenant)
                kept.append(t)
            }
        }
        plan.tenants = kept
        return stale
    }
}
