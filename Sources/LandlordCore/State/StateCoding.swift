import Foundation
import ProviderAPI

// The JSON form of state documents and journal entries. Format version 2 (written) keeps marks
// beside values (`DocumentMarks`); version 1 (still read) wrote them in-band (`FormatV1`).
// Fields are read strictly (`DocumentFields`) after the version check (`DocumentVersion`).

/// A state document that does not parse or has the wrong shape.
public struct StateFormatError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// The marked values of a parsed document of either version: what its writer put in it, marks
/// and sealed values back in place.
enum MarkedDocument {
    /// `doc` (already version-checked) as marked values, read by its version's reader.
    static func read(_ doc: Value, version: Int, bytes: some Collection<UInt8>, cipher: StateCipher?, what: String) throws -> Value {
        switch version {
        case 1: return try FormatV1.read(doc, bytes: bytes, cipher: cipher, what: what)
        default:
            guard case .map(var m) = doc, let marks = m.removeValue(forKey: "marks") else { return doc }
            return try DocumentMarks(json: marks).apply(to: .map(m), cipher: cipher, what: what)
        }
    }

    /// `doc` as written: plain values, `marks` beside them (sensitive ones sealed by `cipher`)
    /// and `format_version`.
    static func written(_ doc: [String: Value], version: Int, cipher: StateCipher?) -> Value {
        var (plain, marks) = DocumentMarks.split(.map(doc))
        if let cipher, !marks.sensitive.isEmpty { marks.seal(&plain, with: cipher) }
        guard case .map(var m) = plain else { return plain }
        m["format_version"] = .int(version)
        if let j = marks.json { m["marks"] = j }
        return .map(m)
    }
}

extension ResourceState {
    var json: Value {
        var m: [String: Value] = [
            "type": .string(type), "id": .string(id), "inputs": .map(inputs), "outputs": .map(outputs),
            "dependencies": .list(dependencies.map { .string($0) }),
        ]
        if protect { m["protect"] = .bool(true) }
        if deletion != .delete { m["deletion"] = .string(deletion.rawValue) }
        return .map(m)
    }

    init(_ f: DocumentFields) throws(StateFormatError) {
        self.init(
            type: try f.string("type"), id: try f.string("id"), inputs: try f.map("inputs"), outputs: try f.map("outputs"),
            dependencies: try f.strings("dependencies"), protect: try f.bool("protect"))
        deletion = try Self.deletionPolicy(f)
    }
}

extension PendingIntent {
    var json: Value {
        .map(["type": .string(type), "clientToken": .string(clientToken), "startedAt": .string(StateDates.string(startedAt)), "inputs": .map(inputs)])
    }

    init(_ f: DocumentFields) throws(StateFormatError) {
        self.init(
            type: try f.string("type"), clientToken: try f.string("clientToken"), startedAt: try f.date("startedAt"), inputs: try f.map("inputs"))
    }
}

extension TenantState {
    /// The versions `decode` reads.
    static let readableVersions = 1...formatVersion

    /// The document's fields, marked values in place (`MarkedDocument.written` splits them).
    var fields: [String: Value] {
        var m: [String: Value] = [
            "lineage": .string(lineage), "serial": .int(serial), "tenant": .string(tenant), "blueprint": .string(blueprint),
            "status": .string(status.rawValue), "updated_at": .string(StateDates.string(updatedAt)),
            "resources": .map(resources.mapValues(\.json)), "pending": .map(pending.mapValues(\.json)),
        ]
        if !outputs.isEmpty { m["outputs"] = .map(outputs) }
        if let e = exportsJSON { m["exports"] = e }
        return m
    }

    /// The document as JSON bytes (format version 2: sorted keys, indented for people who read
    /// state, marks beside values), its sensitive values sealed with `cipher` when one is given.
    /// With `appliedFrom`, the document starts with `applied_from` (`AppliedKey.splice`).
    public func encoded(cipher: StateCipher?) -> [UInt8] {
        let body = JSON.serialize(MarkedDocument.written(fields, version: Self.formatVersion, cipher: cipher), sortedKeys: true, pretty: true)
        guard let appliedFrom else { return body }
        return AppliedKey.splice(body, tenantKey: appliedFrom)
    }

    /// Reads a document of any version this landlord reads. A key problem (a sealed value and
    /// no key, or another key) is a `StateError`; a malformed document or one of a newer
    /// version a `StateFormatError` saying what is wrong and where.
    public static func decode(_ bytes: [UInt8], cipher: StateCipher?, what: @autoclosure () -> String) throws -> TenantState {
        let v: Value
        do { v = try JSON.parse(bytes) } catch { throw StateFormatError(message: "not valid JSON (\(error))") }
        let version = try DocumentVersion.check(try DocumentFields(v), reads: readableVersions, document: "tenant state")
        return try decode(fields: DocumentFields(try MarkedDocument.read(v, version: version, bytes: bytes, cipher: cipher, what: what())))
    }

    /// Reads the fields of a document whose marks are back in place (the same in every version).
    static func decode(fields f: DocumentFields) throws(StateFormatError) -> TenantState {
        var s = TenantState(tenant: try f.string("tenant"), blueprint: try f.optionalString("blueprint") ?? "")
        s.lineage = try f.string("lineage")
        s.serial = try f.int("serial")
        s.status = try f.enumeration("status", TenantStatus.self)
        s.updatedAt = try f.date("updated_at")
        for (k, r) in try f.objects("resources") { s.resources[k] = try ResourceState(r) }
        for (k, p) in try f.objects("pending") { s.pending[k] = try PendingIntent(p) }
        s.outputs = try f.map("outputs")
        try s.readExports(f)
        return s
    }
}

extension PlatformState {
    /// The versions `decode` reads (1 and 2 have the same fields; 3 renames two of an allocation's).
    static let readableVersions = 1...formatVersion

    /// The document as JSON bytes.
    public func encoded() -> [UInt8] {
        let allocs: [String: Value] = allocations.mapValues { .map($0.stored) }
        let doc: [String: Value] = [
            "lineage": .string(lineage), "serial": .int(serial), "allocations": .map(allocs),
            "sequences": .map(sequences.mapValues { .int($0) }),
            "numbers": .map(numbers.mapValues { .map($0.mapValues { .int($0) }) }),
        ]
        return JSON.serialize(MarkedDocument.written(doc, version: Self.formatVersion, cipher: nil), sortedKeys: true, pretty: true)
    }

    /// Reads a document written by `encoded()` (any version this landlord reads).
    public static func decode(_ bytes: [UInt8]) throws(StateFormatError) -> PlatformState {
        let v: Value
        do { v = try JSON.parse(bytes) } catch { throw StateFormatError(message: "not valid JSON (\(error))") }
        let f = try DocumentFields(v)
        _ = try DocumentVersion.check(f, reads: readableVersions, document: "platform state")
        var s = PlatformState()
        s.lineage = try f.string("lineage")
        s.serial = try f.int("serial")
        s.sequences = try f.ints("sequences")
        for (k, m) in try f.objects("numbers") { s.numbers[k] = try m.asInts() }
        for (tenant, a) in try f.objects("allocations") { s.allocations[tenant] = try TenantAllocation(a) }
        return s
    }
}

extension DocumentFields {
    /// Every field, as an integer.
    func asInts() throws(StateFormatError) -> [String: Int] {
        var out: [String: Int] = [:]
        for (k, v) in fields {
            guard case .int(let n) = v else { throw wrong(k, "an integer", v) }
            out[k] = n
        }
        return out
    }
}

extension TenantAllocation {
    /// Reads the stored form (`stored`): `member`, `numbers` (or the older form's `listener`
    /// and `priorities`) and one integer per capacity.
    init(_ f: DocumentFields) throws(StateFormatError) {
        var usage: [String: Int] = [:]
        for (k, v) in f.fields where !Self.fixedKeys.contains(k) {
            guard case .int(let n) = v else { throw f.wrong(k, "an integer (a capacity used)", v) }
            usage[k] = n
        }
        func key(_ name: String) -> String {
            f.fields[name] == nil ? Self.olderKeys[name, default: name] : name
        }
        self.init(member: try f.string(key("member")), numbers: try f.ints(key("numbers")), usage: usage)
    }
}
