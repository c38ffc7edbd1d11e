import Foundation
import ProviderAPI

/// The saved-plan format: JSON with a format marker and version, the tool version, creation
/// time, per tenant the lineage, serial and input digest it was planned against, the changes,
/// and a SHA-256 checksum over the rest. Documented in Plans/plan.schema.json.
///
/// Version 2 (written) keeps marks beside values, as state does (`DocumentMarks`): a sensitive
/// value is stored only as its hash, the hex SHA-256 of its JSON, at its place, its path listed
/// in `marks.sensitive`; unknown and deferred values are `null` there, listed in
/// `marks.unknown` and `marks.deferred`. `apply` takes the secrets again from the spec inputs.
/// Version 1 (still read) wrote them in-band (`{"$sensitive_sha256": HEX}`, `FormatV1`).
/// Once decoded, a hashed secret is `.sensitive(.map(["$sensitive_sha256": HEX]))` until
/// `restoreSecrets` puts the value back.
public enum PlanFile {
    public static let marker = "landlord-plan"
    /// The version written.
    public static let formatVersion = 2

    /// Why a plan file cannot be used.
    public struct Rejection: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    // MARK: Writing

    public static func encode(_ plan: Plan) -> [UInt8] {
        var doc: [String: Value] = [
            "format": .string(marker),
            "tool_version": .string(plan.toolVersion),
            "created_at": .string(StateDates.string(plan.createdAt)),
            "platform": .string(plan.platform),
            "unchanged_tenants": .int(plan.unchangedTenants),
            "tenants": .list(plan.tenants.map { tenantJSON($0) }),
            "applied_tenants": .list(plan.appliedTenants.sorted().map { .string($0) }),
        ]
        if !plan.foreignPriorities.isEmpty {
            doc["foreign_priorities"] = .map(plan.foreignPriorities.mapValues { .list($0.sorted().map { .int($0) }) })
        }
        if let shard = plan.shard { doc["shard"] = shardJSON(shard) }
        guard case .map(var written) = MarkedDocument.written(doc, version: formatVersion, cipher: nil) else { return [] }
        written["format_version"] = .string(String(formatVersion))  // a string, as version 1 wrote it
        written["checksum"] = .string(checksum(.map(written)))
        return JSON.serialize(.map(written), sortedKeys: true, pretty: true)
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

    /// Replaces every sensitive value by its hash (still marked sensitive).
    public static func hashSecrets(_ v: Value) -> Value {
        switch v {
        case .sensitive(let inner): return .sensitive(.string(secretHash(inner)))
        case .list(let l): return .list(l.map(hashSecrets))
        case .map(let m): return .map(m.mapValues(hashSecrets))
        default: return v
        }
    }

    /// The hash a plan file keeps of a sensitive value.
    public static func secretHash(_ v: Value) -> String { Digest.sha256Hex(Data(JSON.serialize(v.revealed))) }

    /// One tenant's part of the plan; `secrets` is what a sensitive value is written as (its
    /// hash in a saved plan; itself, to be sealed, in an apply's spool).
    static func tenantJSON(_ t: TenantPlan, secrets: (Value) -> Value = hashSecrets) -> Value {
        var m: [String: Value] = [
            "tenant": .string(t.tenant), "blueprint": .string(t.blueprint), "operation": .string(t.operation.rawValue),
            "lineage": t.lineage.map { .string($0) } ?? .null, "serial": t.serial.map { .int($0) } ?? .null,
            "input_digest": t.inputDigest.map { .string($0) } ?? .null, "unchanged": .int(t.unchanged),
            "changes": .list(t.changes.map { changeJSON($0, secrets: secrets) }),
        ]
        if !t.sequences.isEmpty { m["sequences"] = .map(t.sequences.mapValues { .int($0) }) }
        if !t.adoptions.isEmpty { m["adoptions"] = .list(t.adoptions.map { adoptionJSON($0, secrets: secrets) }) }
        if !t.outputs.isEmpty { m["outputs"] = secrets(.map(t.outputs)) }
        if !t.outputChanges.isEmpty {
            m["output_changes"] = .list(
                t.outputChanges.map { o in
                    .map([
                        "name": .string(o.name), "action": .string(o.action.rawValue), "before": o.before.map(secrets) ?? .null,
                        "after": o.after.map(secrets) ?? .null,
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

    static func changeJSON(_ c: ResourceChange, secrets: (Value) -> Value = hashSecrets) -> Value {
        var m: [String: Value] = [
            "address": .string(c.address), "tenant": .string(c.tenant), "name": .string(c.name), "type": .string(c.type),
            "action": .string(c.action.rawValue), "reasons": .list(c.reasons.map { .string($0) }),
            "before": c.before.map { secrets(.map($0)) } ?? .null, "after": c.after.map { secrets(.map($0)) } ?? .null,
            "changed": strings(c.changed), "forced_by": strings(c.forcedBy), "computed": strings(c.computed),
            "dependencies": strings(c.dependencies), "prior_dependencies": strings(c.priorDependencies),
            "protect": .bool(c.protect), "data_bearing": .bool(c.dataBearing), "create_before_destroy": .bool(c.createBeforeDestroy),
            "prior_id": c.priorID.map { .string($0) } ?? .null,
        ]
        if let w = c.wait { m["wait"] = .map(["until": .string(w.until), "timeout": .double(w.timeout)]) }
        if c.deletion != .delete { m["deletion"] = .string(c.deletion.rawValue) }
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
        do {
            let version = try DocumentVersion.check(try DocumentFields(v), reads: 1...formatVersion, document: "saved plan")
            guard let sum = doc.removeValue(forKey: "checksum")?.stringValue, sum == checksum(.map(doc)) else {
                throw Rejection(description: "the plan's checksum does not match its contents (corrupted or edited by hand)")
            }
            let f = try DocumentFields(
                version == 1
                    ? FormatV1.untag(v1Secrets(.map(doc)))
                    : v2Secrets(try MarkedDocument.read(.map(doc), version: version, bytes: bytes, cipher: nil, what: "the plan")))
            var tenants: [TenantPlan] = []
            for (i, t) in try f.list("tenants").enumerated() { tenants.append(try tenant(try DocumentFields(t, at: "tenants.\(i)"))) }
            var plan = Plan(
                toolVersion: try f.string("tool_version"), platform: try f.string("platform"), tenants: tenants,
                unchangedTenants: try f.int("unchanged_tenants"), createdAt: try f.date("created_at"))
            plan.appliedTenants = Set(try f.strings("applied_tenants"))
            for (listener, _) in try f.map("foreign_priorities") {
                plan.foreignPriorities[listener] = Set(try f.object("foreign_priorities").intList(listener))
            }
            plan.shard = try shardCoverage(doc["shard"])
            return plan
        } catch let e as Rejection { throw e } catch let e as StateFormatError {
            throw Rejection(description: "malformed plan: \(e.message)")
        } catch { throw Rejection(description: "\(error)") }
    }

    /// Version 1's sensitive hashes (`{"$sensitive_sha256": HEX}`) as decoded plans hold them.
    static func v1Secrets(_ v: Value) -> Value {
        switch v {
        case .map(let m):
            if m.count == 1, m["$sensitive_sha256"] != nil { return .sensitive(.map(m)) }
            return .map(m.mapValues(v1Secrets))
        case .list(let l): return .list(l.map(v1Secrets))
        default: return v
        }
    }

    /// Version 2's sensitive hashes (a sensitive hex string) as decoded plans hold them.
    static func v2Secrets(_ v: Value) -> Value {
        switch v {
        case .sensitive(.string(let hex)): return .sensitive(.map(["$sensitive_sha256": .string(hex)]))
        case .sensitive(let inner): return .sensitive(v2Secrets(inner))
        case .map(let m): return .map(m.mapValues(v2Secrets))
        case .list(let l): return .list(l.map(v2Secrets))
        default: return v
        }
    }

    static func tenant(_ f: DocumentFields) throws(StateFormatError) -> TenantPlan {
        var t = TenantPlan(
            tenant: try f.string("tenant"), blueprint: try f.optionalString("blueprint") ?? "",
            operation: try f.enumeration("operation", TenantOperation.self))
        t.lineage = try f.optionalString("lineage")
        t.serial = try f.optionalInt("serial")
        t.inputDigest = try f.optionalString("input_digest")
        t.unchanged = try f.optionalInt("unchanged") ?? 0
        t.sequences = try f.ints("sequences")
        t.outputs = try f.map("outputs")
        for (i, ov) in try f.list("output_changes").enumerated() {
            let o = try DocumentFields(ov, at: f.at("output_changes.\(i)"))
            func value(_ k: String) -> Value? { o.fields[k].flatMap { $0 == .null ? nil : $0 } }
            let action = try o.enumeration("action", Action.self)
            t.outputChanges.append(OutputChange(name: try o.string("name"), action: action, before: value("before"), after: value("after")))
        }
        if f.fields["allocation"] != nil {
            let a = try f.object("allocation")
            var alloc = try TenantAllocation(a)
            for (name, _) in try a.map("bands") {
                let b = try a.object("bands").intList(name)
                guard b.count == 2, b[0] <= b[1] else { throw StateFormatError(message: "\(a.at("bands." + name)): expected [low, high]") }
                alloc.bands[name] = b[0]...b[1]
            }
            t.allocation = alloc
        }
        for (i, cv) in try f.list("changes").enumerated() { t.changes.append(try change(try DocumentFields(cv, at: f.at("changes.\(i)")))) }
        for (i, av) in try f.list("adoptions").enumerated() {
            t.adoptions.append(try adoption(try DocumentFields(av, at: f.at("adoptions.\(i)"))))
        }
        return t
    }

    static func change(_ c: DocumentFields) throws(StateFormatError) -> ResourceChange {
        var ch = ResourceChange(
            address: try c.string("address"), tenant: try c.string("tenant"), name: try c.string("name"), type: try c.string("type"),
            action: try c.enumeration("action", Action.self))
        ch.reasons = try c.strings("reasons")
        if c.fields["before"] != nil && c.fields["before"] != .null { ch.before = try c.map("before") }
        if c.fields["after"] != nil && c.fields["after"] != .null { ch.after = try c.map("after") }
        ch.changed = try c.strings("changed")
        ch.forcedBy = try c.strings("forced_by")
        ch.computed = try c.strings("computed")
        ch.dependencies = try c.strings("dependencies")
        ch.priorDependencies = try c.strings("prior_dependencies")
        ch.protect = try c.bool("protect")
        ch.dataBearing = try c.bool("data_bearing")
        ch.createBeforeDestroy = try c.bool("create_before_destroy")
        ch.priorID = try c.optionalString("prior_id")
        ch.deletion = try ResourceState.deletionPolicy(c)
        if c.fields["wait"] != nil {
            let w = try c.object("wait")
            ch.wait = WaitSpec(until: try w.string("until"), timeout: try w.optionalNumber("timeout") ?? 600)
        }
        return ch
    }

    // MARK: Secrets at apply

    /// Puts the sensitive values back into a decoded plan's `after` values, taking them from a
    /// fresh plan of the same specs. Fails when a value is missing or its hash differs.
    public static func restoreSecrets(_ plan: inout Plan, from fresh: Plan) throws(Rejection) {
        /// A change of the fresh plan is the saved one's when its address and action are.
        struct Key: Hashable {
            var address: String
            var action: Action
        }
        var freshChanges: [Key: ResourceChange] = [:]
        for t in fresh.tenants { for c in t.changes { freshChanges[Key(address: c.address, action: c.action)] = c } }
        for ti in plan.tenants.indices where !plan.appliedTenants.contains(plan.tenants[ti].tenant) {
            for ci in plan.tenants[ti].changes.indices {
                let c = plan.tenants[ti].changes[ci]
                guard let after = c.after, after.values.contains(where: containsHash) else { continue }
                let source = freshChanges[Key(address: c.address, action: c.action)]?.after ?? [:]
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
