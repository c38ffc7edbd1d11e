import ProviderAPI

/// The `postgres.*` resource types, shared by the PostgreSQL provider and the mock provider so
/// a blueprint written for a real server runs unchanged in dry-run. Names force replacement
/// (Landlord never renames); owner, privileges, login and connection limit change in place
/// (`ALTER`).
public enum PostgresResourceTypes {
    /// A schema, with its owner and what deleting it may take along.
    public static let schemaType = "postgres.schema"
    /// A role (a user when it may log in), with its password and memberships.
    public static let role = "postgres.role"
    /// A role's privileges on a schema and its tables.
    public static let grant = "postgres.grant"

    /// Privileges `postgres.grant` takes on the schema itself.
    public static let schemaPrivileges = ["USAGE", "CREATE"]
    /// Privileges `postgres.grant` takes on the schema's tables (and, with
    /// `defaultPrivileges: true`, on tables created later).
    public static let tablePrivileges = ["SELECT", "INSERT", "UPDATE", "DELETE"]

    /// Every `postgres.*` type with its attributes.
    public static let schema = ProviderSchema(resources: [
        ResourceSchema(
            type: schemaType,
            attributes: [
                "name": .init(.string, required: true, forceNew: true, description: "schema name, at most 63 bytes, not starting with pg_"),
                "owner": AttributeSchema(
                    .string, computed: true, optional: true, description: "owning role (default: the connecting user); changed in place"),
                "deletion": .init(
                    .string,
                    description: "restrict (default: destroy refuses while the schema holds tables) or cascade (destroy drops its tables too)"),
            ], dataBearing: true, uniqueKeys: ["name"], exportFormat: "sql"),
        ResourceSchema(
            type: role,
            attributes: [
                "name": .init(.string, required: true, forceNew: true, description: "role name, at most 63 bytes, not starting with pg_"),
                "login": .init(.bool, description: "the role may log in (default false)"),
                "password": AttributeSchema(
                    .string, computed: true, optional: true, sensitive: true,
                    description: "generated when absent (32 random characters, kept in state)"),
                "connectionLimit": .init(.int, description: "most concurrent connections; -1 (default) for no limit"),
                "memberOf": .init(.list, description: "roles this role is a member of"),
            ], uniqueKeys: ["name"]),
        ResourceSchema(
            type: grant,
            attributes: [
                "role": .init(.string, required: true, forceNew: true, description: "the role given the privileges"),
                "schema": .init(.string, required: true, forceNew: true, description: "the schema they are on"),
                "privileges": .init(.list, description: "on the schema: USAGE, CREATE"),
                "tablePrivileges": .init(.list, description: "on every table in the schema: SELECT, INSERT, UPDATE, DELETE"),
                "defaultPrivileges": .init(.bool, description: "give tablePrivileges on tables the schema's owner creates later too"),
            ], taggable: false, uniqueKeys: ["role", "schema"]),
    ])

    /// The id of a grant: its schema and role.
    public static func grantID(role: String, schema: String) -> String { schema + "/" + role }
}

/// PostgreSQL's rules for the names Landlord creates, checked before any statement is sent
/// (a name over 63 bytes would be truncated with only a notice, and the resource never found
/// again under its name).
public enum PostgresNames {
    /// Why `name` cannot name a schema or role (nil when it can).
    public static func problem(_ name: String, kind: String) -> String? {
        if name.isEmpty { return "\(kind) name is empty" }
        if name.utf8.count > 63 { return "\(kind) name '\(name)' is \(name.utf8.count) bytes; PostgreSQL allows 63" }
        if name.lowercased().hasPrefix("pg_") { return "\(kind) name '\(name)' starts with pg_, which PostgreSQL reserves" }
        if name.contains("\u{0}") { return "\(kind) name contains a NUL character" }
        return nil
    }
}

/// The tags of a resource as the JSON text of its `COMMENT`, and back.
public enum PostgresComment {
    /// `{"landlord:address": ..., "landlord:platform": ..., "landlord:tenant": ...}`.
    public static func text(_ identity: ResourceIdentity) -> String {
        JSON.string(.map(identity.tags.mapValues { .string($0) }), sortedKeys: true)
    }

    /// The `landlord:address` a comment carries, if it is one of Landlord's.
    public static func address(_ comment: String?) -> String? {
        guard let comment, comment.hasPrefix("{"), let v = try? JSON.parse(comment) else { return nil }
        return v.mapValue?[LandlordTag.address]?.stringValue
    }
}
