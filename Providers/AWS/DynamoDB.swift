import AWSClient
import AWSSchema
import Foundation
import ProviderAPI

/// `aws.dynamodb_item`: one record (e.g. the tenant record). Created with PutItem and
/// `attribute_not_exists` so an existing record is never silently overwritten; updated with
/// PutItem on condition that it exists; deleted with DeleteItem. The id is `TABLE/<key JSON>`.
struct DynamoItems: ResourceHandler {
    let client: AWSClient
    static let type = AWSResourceTypes.dynamoItem

    /// A Value as a DynamoDB AttributeValue.
    static func encode(_ v: Value) -> Value {
        switch v.revealed {
        case .string(let s): return ["S": .string(s)]
        case .int(let i): return ["N": .string(String(i))]
        case .double(let d): return ["N": .string(String(d))]
        case .bool(let b): return ["BOOL": .bool(b)]
        case .list(let l): return ["L": .list(l.map(encode))]
        case .map(let m): return ["M": .map(m.mapValues(encode))]
        default: return ["NULL": true]
        }
    }

    /// A DynamoDB AttributeValue as a Value.
    static func decode(_ v: Value) -> Value {
        guard let m = v.mapValue, let (type, inner) = m.first else { return .null }
        switch type {
        case "S": return inner
        case "N":
            let text = inner.stringValue ?? ""
            if let i = Int(text) { return .int(i) }
            return Double(text).map(Value.double) ?? .string(text)
        case "BOOL": return inner
        case "L": return .list((inner.listValue ?? []).map(decode))
        case "M": return .map((inner.mapValue ?? [:]).mapValues(decode))
        case "SS", "NS": return inner
        default: return .null
        }
    }

    struct Target {
        var table: String
        var key: [String: Value]
        var id: String { "\(table)/\(JSON.string(.map(key)))" }
    }

    func target(_ inputs: Inputs) throws -> Target {
        guard let key = inputs.map("key"), !key.isEmpty else {
            throw InputError(attribute: "key", message: "'key' must be a map of the primary key attributes, e.g. {pk: tenant#acme}")
        }
        return Target(table: try inputs.string("table"), key: key)
    }

    /// The key attribute that `item` repeats with another value than `key` gives it, if any: such
    /// an item cannot be written as given (DynamoDB keeps one value per attribute name).
    static func conflictingKeyAttribute(key: [String: Value], item: [String: Value]) -> String? {
        key.keys.sorted().first { name in item[name].map { $0.revealed != key[name]!.revealed } ?? false }
    }

    /// An item as DynamoDB returns it (key attributes included), shaped like `recorded`: a key
    /// attribute stays in `item` only where the recorded item repeats it.
    static func item(_ decoded: [String: Value], key: [String: Value], like recorded: [String: Value]?) -> [String: Value] {
        var rest = decoded
        for k in key.keys where recorded?[k] == nil { rest[k] = nil }
        return rest
    }

    func put(_ request: ApplyRequest, condition: String) async throws -> ResourceObject {
        let inputs = Inputs(request.inputs)
        let t = try target(inputs)
        if let name = Self.conflictingKeyAttribute(key: t.key, item: inputs.map("item") ?? [:]) {
            throw InputError(
                attribute: "item",
                message: "'item' repeats the key attribute '\(name)' with another value than 'key' gives it; "
                    + "remove '\(name)' from 'item' or give it the key's value")
        }
        var item = (inputs.map("item") ?? [:]).mapValues(Self.encode)
        for (k, v) in t.key { item[k] = Self.encode(v) }
        let first = t.key.keys.sorted().first!
        _ = try await client.call(
            .dynamodb, "PutItem",
            [
                "TableName": .string(t.table), "Item": .map(item),
                "ConditionExpression": .string("\(condition)(#k)"), "ExpressionAttributeNames": ["#k": .string(first)],
            ])
        return ResourceObject(type: Self.type, id: t.id, attributes: request.inputs)
    }

    func create(_ request: ApplyRequest) async throws -> ResourceObject {
        do {
            return try await put(request, condition: "attribute_not_exists")
        } catch let e as AWSError where e.code == "ConditionalCheckFailedException" {
            throw ProviderDiagnostic.error(
                "create aws.dynamodb_item \(request.identity.address): a record with this key already exists",
                detail: "Landlord never overwrites a record it did not create; import it (`landlord import`) or change the key", code: e.code)
        }
    }

    func update(_ request: ApplyRequest, prior: ResourceObject) async throws -> ResourceObject {
        do {
            return try await put(request, condition: "attribute_exists")
        } catch let e as AWSError where e.code == "ConditionalCheckFailedException" {
            throw ProviderDiagnostic.error(
                "update aws.dynamodb_item \(request.identity.address): the record no longer exists",
                detail: "it was deleted outside Landlord; run `landlord plan` (refresh) to plan its re-creation", code: e.code)
        }
    }

    func delete(_ prior: ResourceObject) async throws {
        let t = try target(Inputs(prior.attributes))
        _ = try await unlessMissing(["ResourceNotFoundException"]) {
            try await client.call(.dynamodb, "DeleteItem", ["TableName": .string(t.table), "Key": .map(t.key.mapValues(Self.encode))])
        }
    }

    func read(_ resource: ResourceObject) async throws -> ResourceObject? {
        let inputs = Inputs(resource.attributes)
        return try await fetch(try target(inputs), like: inputs.map("item"))
    }

    /// Reads the item with GetItem; `recorded` is the item as state records it (its shape is kept).
    func fetch(_ t: Target, like recorded: [String: Value]?) async throws -> ResourceObject? {
        guard
            let out = try await unlessMissing(
                ["ResourceNotFoundException"],
                {
                    try await client.call(
                        .dynamodb, "GetItem", ["TableName": .string(t.table), "Key": .map(t.key.mapValues(Self.encode)), "ConsistentRead": true])
                })
        else { return nil }
        guard let item = out["Item"]?.mapValue else { return nil }
        let rest = Self.item(item.mapValues(Self.decode), key: t.key, like: recorded)
        return ResourceObject(type: Self.type, id: t.id, attributes: ["table": .string(t.table), "key": .map(t.key), "item": .map(rest)])
    }

    func find(_ request: ImportRequest) async throws -> [ResourceObject] {
        var inputs = request.inputs
        if let id = request.id, let slash = id.firstIndex(of: "/") {
            inputs["table"] = .string(String(id[..<slash]))
            inputs["key"] = (try? JSON.parse(String(id[id.index(after: slash)...]))) ?? .null
        }
        let wanted = Inputs(inputs)
        return try await fetch(try target(wanted), like: wanted.map("item")).map { [$0] } ?? []
    }
}
