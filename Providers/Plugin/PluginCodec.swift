import ProviderAPI

/// The wire forms of the provider protocol's messages (Providers/PROTOCOL.md): ProviderAPI's
/// requests as JSON-RPC params, and results back into ProviderAPI's responses.
enum PluginCodec {
    // MARK: - Requests

    static func encode(_ r: ResourceObject) -> Value {
        ["type": .string(r.type), "id": .string(r.id), "attributes": Value.map(r.attributes).revealed]
    }

    static func encode(_ i: ResourceIdentity) -> Value {
        ["address": .string(i.address), "tenant": .string(i.tenant), "platform": .string(i.platform)]
    }

    static func encode(_ r: ReadRequest) -> Value { ["resources": .list(r.resources.map(encode))] }

    static func encode(_ r: ApplyRequest) -> Value {
        [
            "operation": .string(r.operation.rawValue), "type": .string(r.type), "identity": encode(r.identity),
            "prior": r.prior.map(encode) ?? .null, "inputs": Value.map(r.inputs).revealed, "clientToken": .string(r.clientToken),
        ]
    }

    static func encode(_ r: ImportRequest) -> Value {
        ["type": .string(r.type), "identity": encode(r.identity), "id": r.id.map(Value.string) ?? .null, "inputs": Value.map(r.inputs).revealed]
    }

    static func encode(_ r: WaitRequest) -> Value {
        ["resource": encode(r.resource), "condition": .string(r.condition), "timeout": .double(r.timeout)]
    }

    // MARK: - Results

    /// A result that is not what the method answers.
    struct Malformed: Error {
        var message: String
    }

    static func resource(_ v: Value?, schema: ResourceSchema?) throws(Malformed) -> ResourceObject? {
        guard let v, v != .null else { return nil }
        guard let m = v.mapValue, let type = m["type"]?.stringValue, let id = m["id"]?.stringValue else {
            throw Malformed(message: "a resource must be {type, id, attributes}, got \(JSON.string(v).prefix(120))")
        }
        var attributes = m["attributes"]?.mapValue ?? [:]
        // Computed values are the plugin's alone: each must have the type its schema declares
        // (null: unset), or the engine would record and pass on a value of another type.
        if let schema {
            for (k, a) in attributes.sorted(by: { $0.key < $1.key }) where schema.attributes[k]?.computed == true {
                let declared = schema.attributes[k]!.type
                guard !matches(a.revealed, declared) else { continue }
                throw Malformed(
                    message: "the computed attribute `\(k)` of \(type) \(id) is declared `\(declared.rawValue)` in the schema, "
                        + "but the plugin returned \(a.isSensitive ? "a value of another type" : JSON.string(a.revealed).prefix(60))")
            }
        }
        // Attributes the plugin's schema marks sensitive are wrapped as the engine expects.
        if let schema {
            for (k, a) in attributes where schema.attributes[k]?.sensitive == true && !a.isSensitive { attributes[k] = .sensitive(a) }
        }
        return ResourceObject(type: type, id: id, attributes: attributes)
    }

    /// Whether `v` is of the declared type: `null` always (unset), an int also where a double is
    /// declared (JSON has one number type).
    static func matches(_ v: Value, _ type: AttributeType) -> Bool {
        switch (type, v) {
        case (_, .null), (.any, _), (.string, .string), (.int, .int), (.bool, .bool), (.double, .double), (.double, .int), (.list, .list),
            (.map, .map):
            return true
        default: return false
        }
    }

    static func diagnostics(_ v: Value?) -> [ProviderDiagnostic] {
        (v?.listValue ?? []).map { d in
            let m = d.mapValue ?? [:]
            return ProviderDiagnostic(
                m["severity"]?.stringValue == "warning" ? .warning : .error, summary: m["summary"]?.stringValue ?? JSON.string(d),
                detail: m["detail"]?.stringValue ?? "", attribute: m["attribute"]?.stringValue, code: m["code"]?.stringValue,
                retryable: m["retryable"]?.boolValue ?? false)
        }
    }

    static func map(_ v: Value, method: String) throws(Malformed) -> [String: Value] {
        guard let m = v.mapValue else { throw Malformed(message: "the result of `\(method)` must be an object, got \(JSON.string(v).prefix(120))") }
        return m
    }

    // MARK: - Schema

    /// Attribute type names on the wire (`number` is read as `double`).
    static func attributeType(_ s: String) -> AttributeType? {
        s == "number" ? .double : AttributeType(rawValue: s)
    }

    /// Test inputs a type declares for `landlord provider check`: a scratch resource safe to
    /// create, update and delete.
    struct TestInputs: Sendable {
        var create: [String: Value]
        var update: [String: Value]?
    }

    /// The resource types of a `schema` result, with their test inputs; problems as messages.
    static func schema(_ v: Value, provider: String) -> (resources: [ResourceSchema], tests: [String: TestInputs], problems: [String]) {
        var problems: [String] = []
        var out: [ResourceSchema] = []
        var tests: [String: TestInputs] = [:]
        guard let list = v.mapValue?["resources"]?.listValue else {
            return ([], [:], ["the result of `schema` must be {resources: [...]}"])
        }
        for item in list {
            guard let m = item.mapValue, let type = m["type"]?.stringValue else {
                problems.append("a resource type must be an object with a `type`: \(JSON.string(item).prefix(80))")
                continue
            }
            guard type.hasPrefix(provider + "."), type.count > provider.count + 1 else {
                problems.append("type `\(type)` does not start with `\(provider).`: a plugin serves the types under the name it is configured as")
                continue
            }
            var attributes: [String: AttributeSchema] = [:]
            for (name, a) in m["attributes"]?.mapValue ?? [:] {
                let am = a.mapValue ?? [:]
                guard let t = am["type"]?.stringValue, let kind = attributeType(t) else {
                    problems.append(
                        "attribute `\(name)` of `\(type)` has no known type (string, int, bool, double, number, list, map, any)")
                    continue
                }
                attributes[name] = AttributeSchema(
                    kind, required: am["required"]?.boolValue ?? false, computed: am["computed"]?.boolValue ?? false,
                    optional: am["optional"]?.boolValue ?? false, forceNew: am["forceNew"]?.boolValue ?? false,
                    sensitive: am["sensitive"]?.boolValue ?? false, description: am["description"]?.stringValue ?? "")
            }
            let strings: (String) -> [String] = { key in (m[key]?.listValue ?? []).compactMap(\.stringValue) }
            out.append(
                ResourceSchema(
                    type: type, attributes: attributes, waitConditions: Set(strings("waitConditions")), taggable: m["taggable"]?.boolValue ?? true,
                    dataBearing: m["dataBearing"]?.boolValue ?? false, uniqueKeys: strings("uniqueKeys"),
                    exportFormat: m["exportFormat"]?.stringValue, naturalKey: m["naturalKey"] == nil ? nil : strings("naturalKey")))
            if let t = m["test"]?.mapValue, let create = t["create"]?.mapValue {
                tests[type] = TestInputs(create: create, update: t["update"]?.mapValue)
            }
        }
        return (out, tests, problems)
    }
}
