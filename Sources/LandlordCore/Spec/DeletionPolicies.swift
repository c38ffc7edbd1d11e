import ProviderAPI

/// Where `deletion: snapshot` puts the data of the resources it deletes (platform.yaml's
/// `exports:`).
public enum ExportPlace: Sendable, Hashable {
    /// `exports: {s3: {bucket: B, prefix: P}}`: objects `P/TENANT/NAME-TIME.EXT` in bucket B
    /// (region and credentials as for the AWS provider).
    case s3(bucket: String, prefix: String)
    /// `exports: {directory: PATH}`: files `PATH/TENANT/NAME-TIME.EXT` (relative to platform.yaml).
    case directory(String)
}

/// Reads a resource's `deletion:` and the platform's `exports:`.
enum DeletionPolicyReader {
    /// `deletion: delete | retain | snapshot`; `snapshot` only on a type that can export.
    static func read(_ node: YAMLNode, type: String, schema: ResourceSchema, _ r: inout DocumentReader) -> DeletionPolicy {
        let known = DeletionPolicy.allCases.map(\.rawValue)
        guard let s = node.scalar, !node.isNull, let p = DeletionPolicy(rawValue: s) else {
            let found = node.scalar ?? node.kindName
            r.diagnostics.append(
                .error(
                    "unknown deletion policy '\(found)'\(Suggest.didYouMean(found, in: known))",
                    detail: "write `deletion: delete` (the default), `retain` (forget it, leave it in the cloud) or `snapshot` (export, then delete)",
                    at: node.location))
            return .delete
        }
        if p == .snapshot && schema.exportFormat == nil {
            r.diagnostics.append(
                .error(
                    "\(type) cannot be exported, so it cannot have `deletion: snapshot`",
                    detail: "use `deletion: retain` to keep it, or `delete`; types that export: postgres.schema, aws.dynamodb_item",
                    at: node.location))
            return .delete
        }
        return p
    }

    /// `exports: {s3: {bucket, prefix}}` or `exports: {directory: PATH}`.
    static func readExports(_ node: YAMLNode, _ r: inout DocumentReader) -> ExportPlace? {
        let example = "write `exports: {s3: {bucket: NAME, prefix: exports}}` or `exports: {directory: exports}`"
        guard node.mapping != nil, node.mapping?.count == 1 else {
            r.diagnostics.append(.error("'exports' must be a mapping with one of s3 or directory", detail: example, at: node.location))
            return nil
        }
        r.checkKeys(node, allowed: ["s3", "directory"], what: "exports place")
        if let given = node["s3"] {
            // Left empty it is an error, not absent: `exports:` then names no place, and s3 needs its bucket.
            guard
                let s3 = r.mapping(
                    given, named: "s3", example: example, allowed: ["bucket", "prefix"], what: "exports.s3 field", emptyIsAbsent: false)
            else { return nil }
            guard let bucket = r.requiredString("bucket", in: s3, what: "the bucket exports are written to") else { return nil }
            var prefix = s3["prefix"]?.scalar ?? ""
            while prefix.hasSuffix("/") { prefix.removeLast() }
            return .s3(bucket: bucket, prefix: prefix)
        }
        if let d = node["directory"] {
            guard let path = d.scalar, !d.isNull, !path.isEmpty else {
                r.diagnostics.append(.error("'directory' must be a path", detail: example, at: d.location))
                return nil
            }
            return .directory(path)
        }
        return nil
    }
}

extension DocumentSchema {
    /// A blueprint resource's `deletion:`.
    static let deletionSchema: Value = [
        "enum": ["delete", "retain", "snapshot"],
        "description": "on destroy: delete (default), retain (forget it, leave it in the cloud) or snapshot (export its data, then delete)",
    ]

    /// `deletion: snapshot` only on the types whose schema can export.
    static func snapshotNeedsExport(_ resources: [String: ResourceSchema]) -> Value {
        let exporting = resources.values.filter { $0.exportFormat != nil }.map(\.type).sorted()
        return [
            "if": ["properties": ["deletion": ["const": "snapshot"]], "required": ["deletion"]],
            "then": ["properties": ["type": ["enum": .list(exporting.map { .string($0) })]]],
        ]
    }

    /// platform.yaml's `exports:`.
    static let exportsSchema: Value = [
        "type": "object", "minProperties": 1, "maxProperties": 1, "additionalProperties": false,
        "description": "where `deletion: snapshot` writes the data of deleted resources: an S3 bucket and prefix, or a local directory",
        "properties": [
            "s3": [
                "type": "object", "required": ["bucket"], "additionalProperties": false,
                "properties": ["bucket": ["type": "string"], "prefix": ["type": "string"]],
            ],
            "directory": ["type": "string"],
        ],
    ]

    /// `events.eventbridge.format`.
    static let eventFormat: Value = [
        "enum": ["cloudevents", "sbt-aws"],
        "description": "cloudevents (default: Source landlord, the CloudEvents type and JSON) or sbt-aws (the SaaS Builder Toolkit's names)",
    ]
}
