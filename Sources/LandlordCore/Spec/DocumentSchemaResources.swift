import Foundation
import ProviderAPI

/// The resource part of the generated JSON Schemas: each resource type's properties, the
/// definitions they share, and how a parameter's kind is read.
extension DocumentSchema {

    /// `resource` (any resource, dispatching on `type`) and `resource.TYPE` for each type.
    static func resourceDefinitions(_ resources: [String: ResourceSchema]) -> [String: Value] {
        let types = resources.keys.sorted()
        var defs: [String: Value] = [:]
        defs["resource"] = [
            "type": "object",
            "required": ["type"],
            "additionalProperties": false,
            "properties": [
                "type": ["enum": .list(types.map { .string($0) }), "description": "the resource type"],
                "properties": ["type": "object", "description": "the attributes to set"],
                "dependsOn": [
                    "type": "array", "items": ["type": "string"], "description": "resources to apply first, besides those referred to",
                ],
                "wait": ["type": "object", "description": "wait until the resource is ready: {until: stable, timeout: 10m}"],
                "protect": ["type": "boolean", "description": "refuse to delete or replace it without --allow-protected-deletes"],
                "when": ["$ref": "#/$defs/when"],
                "description": ["type": "string"],
                "deletion": deletionSchema,
                "suspended": [
                    "type": "object", "description": "literal properties used instead while the tenant is suspended: {desiredCount: 0}",
                ],
            ],
            "allOf": .list(
                types.map { type in
                    [
                        "if": ["properties": ["type": ["const": .string(type)]], "required": ["type"]],
                        "then": ["$ref": .string("#/$defs/resource.\(type)")],
                    ]
                } + [snapshotNeedsExport(resources)]),
        ]
        for type in types { defs["resource.\(type)"] = resource(resources[type]!) }
        return defs
    }

    static func resource(_ schema: ResourceSchema) -> Value {
        let settable = schema.attributes.filter { $0.value.settable }
        let auto = Set(AllocationRules.autoAttributes(schema))
        var properties: [String: Value] = [:]
        for (name, attr) in settable {
            var value = attributeValue(attr.type).mapValue ?? [:]
            if auto.contains(name) {
                value = autoValue(attr.type, base: value)
            }
            value["description"] = .string(describe(attr, name: name, auto: auto.contains(name)))
            properties[name] = .map(value)
        }
        let required = settable.filter { $0.value.required }.keys.sorted()
        var attributes: [String: Value] = [
            "type": "object",
            "additionalProperties": false,
            "properties": .map(properties),
        ]
        if !required.isEmpty { attributes["required"] = .list(required.map { .string($0) }) }
        let wait: Value =
            schema.waitConditions.isEmpty
            ? false
            : [
                "type": "object",
                "required": ["until"],
                "additionalProperties": false,
                "properties": [
                    "until": ["enum": .list(schema.waitConditions.sorted().map { .string($0) })],
                    "timeout": [
                        "anyOf": [["type": "string", "pattern": #"^[0-9]+(\.[0-9]+)?[smh]?$"#], ["type": "number", "minimum": 0]],
                        "description": "a duration such as 90s, 10m or 1h (default 10m)",
                    ],
                ],
            ]
        var out: [String: Value] = [
            "description": .string("\(schema.type)\(schema.dataBearing ? " (holds data: deleting it loses the data)" : "")"),
            "properties": ["properties": .map(attributes), "wait": wait],
        ]
        if !required.isEmpty { out["required"] = ["properties"] }
        return .map(out)
    }

    static func describe(_ attr: AttributeSchema, name: String, auto: Bool) -> String {
        var notes: [String] = [attr.type.rawValue]
        if attr.required { notes.append("required") }
        if attr.forceNew { notes.append("a change replaces the resource") }
        if attr.sensitive { notes.append("sensitive") }
        if attr.computed { notes.append("computed when not set") }
        let text = attr.description.isEmpty ? "" : "\(attr.description) "
        return "\(text)(\(notes.joined(separator: ", ")))"
    }

    /// `listener: auto`, `priority: auto` and `priority: {auto: true, band: [lo, hi]}`.
    static func autoValue(_ type: AttributeType, base: [String: Value]) -> [String: Value] {
        var choices: [Value] = [["const": "auto"]]
        if type == .int {
            choices.append([
                "type": "object",
                "required": ["auto"],
                "additionalProperties": false,
                "properties": [
                    "auto": ["const": true],
                    "band": [
                        "type": "array", "items": ["type": "integer", "minimum": 1, "maximum": 50_000], "minItems": 2, "maxItems": 2,
                        "description": "[lowest, highest] priority to take",
                    ],
                ],
            ])
        }
        return ["anyOf": .list(choices + (base["anyOf"]?.listValue ?? [.map(base)]))]
    }

    /// What a property of this type accepts, as the reader reads it: scalars typed by the
    /// attribute, and `${...}` references anywhere a whole value goes.
    static func attributeValue(_ type: AttributeType) -> Value {
        let reference: Value = ["$ref": "#/$defs/reference"]
        switch type {
        case .any: return [:]
        // Any scalar: the reader takes `80` or `true` as text for a string attribute.
        case .string: return ["type": ["string", "number", "boolean"]]
        case .int: return ["anyOf": [["type": "integer"], ["type": "string", "pattern": "^[+-]?[0-9]+$"], reference]]
        case .double: return ["anyOf": [["type": "number"], reference]]
        case .bool: return ["anyOf": [["type": "boolean"], ["enum": ["true", "false", "True", "False", "TRUE", "FALSE"]], reference]]
        case .list: return ["anyOf": [["type": "array"], reference]]
        case .map: return ["anyOf": [["type": "object"], reference]]
        }
    }

    static func commonDefinitions() -> [String: Value] {
        [
            "reference": [
                "type": "string", "pattern": .string(referencePattern),
                "description": "${parameter}, ${platform.input}, ${tenant.id}, ${seq.name}, ${env.NAME} or ${resource.attribute}",
            ],
            "when": [
                "type": "string", "minLength": 1,
                "description":
                    """
                include only for tenants where this holds: ==, !=, in [...] of ${parameter} and ${platform.input} \
                with literals, &&, ||, !, ( ), e.g. \"${tier} == 'premium'\"
                """,
                "examples": ["${tier} == 'premium'"],
            ],
        ]
    }
}

extension ParameterSpec.Kind {
    /// The attribute type a parameter of this kind is read as.
    var attributeType: AttributeType {
        switch self {
        case .string: return .string
        case .int: return .int
        case .number: return .double
        case .bool: return .bool
        case .list: return .list
        case .map: return .map
        }
    }
}
