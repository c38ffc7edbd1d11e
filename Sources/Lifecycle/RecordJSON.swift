import Foundation
import LandlordCore
import ProviderAPI

/// The JSON form of a record, shared by the stores: the project's own `Value` and `JSON`
/// (sorted keys, as the state documents), read through `DocumentFields`, so a damaged record's
/// error names the field (`history[1].at: missing`). Dates are whole-second ISO 8601
/// (`StateDates.seconds`), as the records written by `JSONEncoder` before have them, and those
/// read unchanged (`\/` in their strings is JSON's escape of `/`).
enum RecordCoding {
    /// The record's file (or S3 object) bytes.
    static func encode(_ r: TenantRecord) -> [UInt8] { JSON.serialize(r.json) }

    /// The record in `bytes`; an error naming the field when it is not one.
    static func decode(_ bytes: some Collection<UInt8>) throws -> TenantRecord {
        try TenantRecord(json: DocumentFields(JSON.parse(bytes)))
    }
}

extension TenantRecord {
    /// `{id, blueprint, status, document, parametersJSON, deadline?, error?, force, history,
    /// createdAt, pendingUpdate?}`.
    var json: Value {
        var m: [String: Value] = [
            "id": .string(id), "blueprint": .string(blueprint), "status": .string(status.rawValue), "document": .string(document),
            "parametersJSON": .string(parametersJSON), "force": .bool(force), "history": .list(history.map(\.json)),
            "createdAt": .string(StateDates.seconds(createdAt)),
        ]
        if let deadline { m["deadline"] = .string(StateDates.seconds(deadline)) }
        if let error { m["error"] = error.json }
        if let pendingUpdate { m["pendingUpdate"] = pendingUpdate.json }
        return .map(m)
    }

    init(json d: DocumentFields) throws(StateFormatError) {
        id = try d.string("id")
        blueprint = try d.string("blueprint")
        status = try d.enumeration("status", LifecycleStatus.self)
        document = try d.string("document")
        parametersJSON = try d.string("parametersJSON")
        deadline = try d.optionalString("deadline") == nil ? nil : try d.date("deadline")
        error = try d.optional("error").map { v throws(StateFormatError) in try ErrorBody(json: DocumentFields(v, at: d.at("error"))) }
        force = try d.bool("force")
        history = try d.objectList("history").map { h throws(StateFormatError) in try HistoryEntry(json: h) }
        createdAt = try d.date("createdAt")
        pendingUpdate = try d.optional("pendingUpdate").map { v throws(StateFormatError) in
            try PendingUpdate(json: DocumentFields(v, at: d.at("pendingUpdate")))
        }
    }
}

extension HistoryEntry {
    var json: Value {
        var m: [String: Value] = ["status": .string(status.rawValue), "at": .string(StateDates.seconds(at))]
        if let reason { m["reason"] = .string(reason) }
        return .map(m)
    }

    init(json d: DocumentFields) throws(StateFormatError) {
        status = try d.enumeration("status", LifecycleStatus.self)
        at = try d.date("at")
        reason = try d.optionalString("reason")
    }
}

extension PendingUpdate {
    var json: Value {
        .map([
            "document": .string(document), "parametersJSON": .string(parametersJSON), "changed": .list(changed.map(Value.string)),
            "from": .string(from.rawValue),
        ])
    }

    init(json d: DocumentFields) throws(StateFormatError) {
        document = try d.string("document")
        parametersJSON = try d.string("parametersJSON")
        changed = try d.strings("changed")
        from = try d.enumeration("from", LifecycleStatus.self)
    }
}

extension ErrorBody {
    /// `{code, message, diagnostics}` (``ErrorBody/value(_:)``, as the API shows it).
    var json: Value { ErrorBody.value(self) }

    init(json d: DocumentFields) throws(StateFormatError) {
        code = try d.string("code")
        message = try d.string("message")
        diagnostics = try d.objectList("diagnostics").map { f throws(StateFormatError) in try DiagnosticBody(json: f) }
    }
}

extension DiagnosticBody {
    init(json f: DocumentFields) throws(StateFormatError) {
        severity = try f.string("severity")
        message = try f.string("message")
        detail = try f.optionalString("detail")
        file = try f.optionalString("file")
        line = try f.optionalInt("line")
        column = try f.optionalInt("column")
        address = try f.optionalString("address")
        parameter = try f.optionalString("parameter")
    }
}

extension DocumentFields {
    /// A field that may be absent or null.
    func optional(_ key: String) -> Value? {
        guard let v = fields[key], v != .null else { return nil }
        return v
    }

    /// A list of objects, each read with its index in the path (`history[1]`).
    func objectList(_ key: String) throws(StateFormatError) -> [DocumentFields] {
        var out: [DocumentFields] = []
        for (i, v) in try list(key).enumerated() { out.append(try DocumentFields(v, at: at(key) + "[\(i)]")) }
        return out
    }
}
