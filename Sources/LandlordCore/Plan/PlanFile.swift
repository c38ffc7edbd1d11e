import Foundation
import ProviderAPI

/// The saved-plan format: JSON with a format marker and version, the tool version, creation
/// time, per tenant the lineage, serial and input digest it was planned against, the changes,
/// and a SHA-256 checksum over the rest. Sensitive values are stored only as hashes
/// (`{"$sensitive_sha256": HEX}`); `apply` takes them again from the spec inputs.
/// Documented in Plans/plan.schema.json.
public enum PlanFile {
    public static let marker = "landlord-plan"

    /// Why a plan file cannot be used.
    public struct Rejection: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    // MARK: Writing

    public static func encode(_ plan: Plan) -> [UInt8] {
        var doc: [String: Value] = [
            "format": .string(marker),
            "format_version": .string(Plan.formatVersion),
            "tool_version": .string(plan.toolVersion),
            "created_at": .string(StateDates.string(plan.createdAt)),
            "platform": .string(plan.platform),
            "unchanged_tenants": .int(plan.unchangedTenants),
            "tenants": .list(plan.tenants.map(tenantJSON)),
            "applied_tenants": .list(plan.appliedTenants.sorted().map { .string($0) }),
        ]
        if !plan.foreignPriorities.isEmpty {
            doc["foreign_priorities"] = .map(plan.foreignPriorities.mapValues { .list($0.sorted().map { .int($0) }) })
        }
        if let shard = plan.shard { doc["shard"] = shardJSON(shard) }
        doc["checksum"] = .string(checksum(.map(doc)))
        return JSON.serialize(.map(doc), sortedKeys: true, pretty: true)
    }

    /// `{"index": K, "count": N, "tenants": T, "fleet_tenants": F}`: part K of N, holding T of
    /// the fleet's F tenants.
    static func shardJSON(_ c: ShardCoverage) -> Value {
        .map([
            "index": .int(c.shard.index), "count": .int(c.shard.count), "tenants": .int(c.tenants), "fleet_tenants": .int(c.fleetTenants),
        ])
    }

    /// Reads `shardJSON`'s object.
    static func shardCoverage(_ v: Value?) throws(Rejection) -> ShardCoverage? {
        guard let v, v != .null else { return nil }
        guard let m = v.mapValue, let k = m["index"]?.intValue, let n = m["count"]?.intValue, let shard = Shard(index: k, count: n) else {
            throw Rejection(description: "malformed plan: 'shard' is not {index: K, count: N} with 1 <= K <= N")
        }
        return ShardCoverage(shard: shard, tenants: m["tenants"]?.intValue ?? 0, fleetTenants: m["fleet_tenants"]?.intValue ?? 0)
    }

    static func checksum(_ body: Value) -> String {
        "sha256:" + Digest.sha256Hex(Data(JSON.serialize(body, sortedKeys: true, pretty: false)))
    }

    /// Replaces every sensitive value by its hash.
    public static func hashSecrets(_ v: Value) -> Value {
        switch v {
        case .sensitive(let inner): return .map(["$sensitive_sha256": .string(secretHash(inner))])
        case .list(let l): return .list(l.map(hashSecrets))
        case .map(let m): return .map(m.mapValues(hashSecrets))
        default: return v
        }
    }

    /// The hash a plan file keeps of a sensitive value.
    public static func secretHash(_ v: Value) -> String { Digest.sha256Hex(Data(JSON.serialize(v.revealed))) }

    static func tenantJSON(_ t: TenantPlan) -> Value {
        var m: [String: Value] = [
            "tenant": .string(t.tenant), "blueprint": .string(t.blueprint), "operation": .string(t.operation.rawValue),
            "lineage": t.lineage.map { .string($0) } ?? .null, "serial": t.serial.map { .int($0) } ?? .null,
            "input_digest": t.inputDigest.map { .string($0) } ?? .null, "unchanged": .int(t.unchanged),
            "changes": .list(t.changes.map(changeJSON)),
        ]
        if !t.sequences.isEmpty { m["sequences"] = .map(t.sequences.mapValues { .int($0) }) }
        if !t.outputs.isEmpty { m["outputs"] = hashSecrets(.map(t.outputs)) }
        if !t.outputChanges.isEmpty {
            m["output_changes"] = .list(
                t.outputChanges.map { o in
                    .map([
                        "name": .string(o.name), "action": .string(o.action.rawValue), "before": o.before.map(hashSecrets) ?? .null,
                        "after": o.after.map(hashSecrets) ?? .null,
                    ])
                })
        }
        if let a = t.allocation {
            var am = a.stored
            if !a.bands.isEmpty { am["bands"] = .map(a.bands.mapValues { .list([.int($0.lowerBound), .int($0.upperBound)]) }) }
            m["allocation"] = .map(am)
        }
        return .map(m)
    }

    static func changeJSON(_ c: ResourceChange) -> Value {
        var m: [String: Value] = [
            "address": .string(c.address), "tenant": .string(c.tenant), "name": .string(c.name), "type": .string(c.type),
            "action": .string(c.action.rawValue), "reasons": .list(c.reasons.map { .string($0) }),
            "before": c.before.map { hashSecrets(.map($0)) } ?? .null, "after": c.after.map { hashSecrets(.map($0)) } ?? .null,
            "changed": strings(c.changed), "forced_by": strings(c.forcedBy), "computed": strings(c.computed),
            "dependencies": strings(c.dependencies), "prior_dependencies": strings(c.priorDependencies),
            "protect": .bool(c.protect), "data_bearing": .bool(c.dataBearing), "create_before_destroy": .bool(c.createBeforeDestroy),
            "prior_id": c.priorID.map { .string($0) } ?? .null,
        ]
        if let w = c.wait { m["wait"] = .map(["until": .string(w.until), "timeout": .double(w.timeout)]) }
        return .map(m)
    }

    static func strings(_ s: [String]) -> Value { .list(s.map { .string($0) }) }

    // MARK: Reading

    /// Reads and checks a plan file: marker, version, checksum, shape.
    public static func decode(_ bytes: [UInt8]) throws(Rejection) -> Plan {
        let v: Value
        do { v = try JSON.parse(bytes) } catch {
            throw Rejection(description: "the file is not a complete Landlord plan (truncated or corrupted: \(error))")
        }
        guard var doc = v.mapValue, doc["format"]?.stringValue == marker else {
            throw Rejection(description: "the file is not a Landlord plan (no \"format\": \"\(marker)\")")
        }
        let version = doc["format_version"]?.stringValue ?? "?"
        guard version == Plan.formatVersion else {
            throw Rejection(
                description:
                    "plan format version \(version) is not supported by landlord \(LandlordVersion.current) (it reads version \(Plan.formatVersion))")
        }
        guard let sum = doc.removeValue(forKey: "checksum")?.stringValue, sum == checksum(.map(doc)) else {
            throw Rejection(description: "the plan's checksum does not match its contents (corrupted or edited by hand)")
        }
        do {
            var tenants: [TenantPlan] = []
            for t in try list(doc["tenants"], "tenants") { tenants.append(try tenant(t)) }
            var plan = Plan(
                toolVersion: doc["tool_version"]?.stringValue ?? "?", platform: doc["platform"]?.stringValue ?? "",
                tenants: tenants, unchangedTenants: doc["unchanged_tenants"]?.intValue ?? 0,
                createdAt: StateDates.date(doc["created_at"]?.stringValue))
            plan.appliedTenants = Set(doc["applied_tenants"]?.listValue?.compactMap(\.stringValue) ?? [])
            plan.foreignPriorities = (doc["foreign_priorities"]?.mapValue ?? [:]).mapValues { Set($0.listValue?.compactMap(\.intValue) ?? []) }
            plan.shard = try shardCoverage(doc["shard"])
            return plan
        } catch let e as Rejection { throw e } catch { throw Rejection(description: "\(error)") }
    }

    static func list(_ v: Value?, _ what: String) throws -> [Value] {
        guard let l = v?.listValue else { throw Rejection(description: "malformed plan: '\(what)' is not a list") }
        return l
    }

    static func str(_ m: [String: Value], _ k: String) throws -> String {
        guard let s = m[k]?.stringValue else { throw Rejection(description: "malformed plan: '\(k)' missing") }
        return s
    }

    static func strs(_ m: [String: Value], _ k: String) -> [String] { m[k]?.listValue?.compactMap(\.stringValue) ?? [] }

    /// Sensitive hashes read back as `.sensitive(.map(["$sensitive_sha256": hex]))`.
    static func untagSecrets(_ v: Value) -> Value {
        switch v {
        case .map(let m):
            if m.count == 1, m["$sensitive_sha256"] != nil { return .sensitive(.map(m)) }
            return .map(m.mapValues(untagSecrets))
        case .list(let l): return .list(l.map(untagSecrets))
        default: return v
        }
    }

    static func tenant(_ v: Value) throws -> TenantPlan {
        guard let m = v.mapValue else { throw Rejection(description: "malformed plan: a tenant entry is not an object") }
        guard let op = TenantOperation(rawValue: try str(m, "operation")) else {
            throw Rejection(description: "malformed plan: unknown tenant operation")
        }
        var t = TenantPlan(tenant: try str(m, "tenant"), blueprint: m["blueprint"]?.stringValue ?? "", operation: op)
        t.lineage = m["lineage"]?.stringValue
        t.serial = m["serial"]?.intValue
        t.inputDigest = m["input_digest"]?.stringValue
        t.unchanged = m["unchanged"]?.intValue ?? 0
        t.sequences = (m["sequences"]?.mapValue ?? [:]).compactMapValues(\.intValue)
        t.outputs = m["outputs"].flatMap { JSON.untag(untagSecrets($0)).mapValue } ?? [:]
        for ov in m["output_changes"]?.listValue ?? [] {
            guard let o = ov.mapValue, let name = o["name"]?.stringValue, let action = o["action"]?.stringValue.flatMap(Action.init(rawValue:))
            else { throw Rejection(description: "malformed plan: bad output change of tenant \(t.tenant)") }
            func value(_ k: String) -> Value? { o[k].flatMap { $0 == .null ? nil : JSON.untag(untagSecrets($0)) } }
            t.outputChanges.append(OutputChange(name: name, action: action, before: value("before"), after: value("after")))
        }
        if let a = m["allocation"]?.mapValue, let alloc = TenantAllocation(stored: a) {
            t.allocation = alloc
            for (name, b) in a["bands"]?.mapValue ?? [:] {
                guard let l = b.listValue, l.count == 2, let lo = l[0].intValue, let hi = l[1].intValue, lo <= hi else {
                    throw Rejection(description: "malformed plan: band of \(t.tenant)/\(name) is not [low, high]")
                }
                t.allocation?.bands[name] = lo...hi
            }
        }
        for cv in try list(m["changes"], "changes") {
            guard let c = cv.mapValue, let action = Action(rawValue: try str(c, "action")) else {
                throw Rejection(description: "malformed plan: bad change entry")
            }
            var ch = ResourceChange(
                address: try str(c, "address"), tenant: try str(c, "tenant"), name: try str(c, "name"), type: try str(c, "type"), action: action)
            ch.reasons = strs(c, "reasons")
            ch.before = c["before"].flatMap { JSON.untag(untagSecrets($0)).mapValue }
            ch.after = c["after"].flatMap { JSON.untag(untagSecrets($0)).mapValue }
            ch.changed = strs(c, "changed")
            ch.forcedBy = strs(c, "forced_by")
            ch.computed = strs(c, "computed")
            ch.dependencies = strs(c, "dependencies")
            ch.priorDependencies = strs(c, "prior_dependencies")
            ch.protect = c["protect"]?.boolValue ?? false
            ch.dataBearing = c["data_bearing"]?.boolValue ?? false
            ch.createBeforeDestroy = c["create_before_destroy"]?.boolValue ?? false
            ch.priorID = c["prior_id"]?.stringValue
            if let w = c["wait"]?.mapValue, let u = w["until"]?.stringValue {
                ch.wait = WaitSpec(
                    until: u,
                    timeout: w["timeout"].flatMap { if case .double(let d) = $0 { return d } else { return $0.intValue.map(Double.init) } } ?? 600)
            }
            t.changes.append(ch)
        }
        return t
    }

    // MARK: Secrets at apply

    /// Puts the sensitive values back into a decoded plan's `after` values, taking them from a
    /// fresh plan of the same specs. Fails when a value is missing or its hash differs.
    public static func restoreSecrets(_ plan: inout Plan, from fresh: Plan) throws(Rejection) {
        var freshChanges: [String: ResourceChange] = [:]
        for t in fresh.tenants { for c in t.changes { freshChanges[c.address + "|" + c.action.rawValue] = c } }
        for ti in plan.tenants.indices where !plan.appliedTenants.contains(plan.tenants[ti].tenant) {
            for ci in plan.tenants[ti].changes.indices {
                let c = plan.tenants[ti].changes[ci]
                guard let after = c.after, after.values.contains(where: containsHash) else { continue }
                let source = freshChanges[c.address + "|" + c.action.rawValue]?.after ?? [:]
                var restored = after
                for (k, v) in after where containsHash(v) {
                    guard let value = source[k], let r = restore(v, value) else {
                        throw Rejection(description: "the sensitive value of \(c.address).\(k) differs from the one planned (or is gone); plan again")
                    }
                    restored[k] = r
                }
                plan.tenants[ti].changes[ci].after = restored
            }
            // Sensitive outputs, the same way.
            let outputs = plan.tenants[ti].outputs
            guard outputs.values.contains(where: containsHash) else { continue }
            let tenant = plan.tenants[ti].tenant
            let source = fresh.tenants.first { $0.tenant == tenant }?.outputs ?? [:]
            for (k, v) in outputs where containsHash(v) {
                guard let value = source[k], let r = restore(v, value) else {
                    throw Rejection(
                        description: "the sensitive value of output '\(k)' of tenant \(tenant) differs from the one planned (or is gone); plan again")
                }
                plan.tenants[ti].outputs[k] = r
            }
        }
    }

    static func containsHash(_ v: Value) -> Bool {
        switch v {
        case .sensitive(.map(let m)) where m["$sensitive_sha256"] != nil: return true
        case .list(let l): return l.contains(where: containsHash)
        case .map(let m): return m.values.contains(where: containsHash)
        default: return false
        }
    }

    static func restore(_ planned: Value, _ fresh: Value) -> Value? {
        switch (planned, fresh) {
        case (.sensitive(.map(let m)), .sensitive(let inner)) where m["$sensitive_sha256"] != nil:
            guard m["$sensitive_sha256"]?.stringValue == secretHash(inner) else { return nil }
            return fresh
        case (.list(let a), .list(let b)) where a.count == b.count:
            var out: [Value] = []
            for (x, y) in zip(a, b) {
                guard let r = restore(x, y) else { return nil }
                out.append(r)
            }
            return .list(out)
        case (.map(let a), .map(let b)):
            var out: [String: Value] = [:]
            for (k, x) in a {
                guard let y = b[k], let r = restore(x, y) else { return nil }
                out[k] = r
            }
            return .map(out)
        default:
            return containsHash(planned) ? nil : planned
        }
    }
}
