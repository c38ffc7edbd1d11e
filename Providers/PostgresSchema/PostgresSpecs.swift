import ProviderAPI

/// The inputs of a `postgres.schema`, checked.
public struct SchemaSpec: Sendable, Hashable {
    /// The schema's name.
    public var name: String
    /// nil: the connecting user.
    public var owner: String?
    /// `deletion: cascade`: a delete drops what the schema holds.
    public var cascade: Bool
}

/// The inputs of a `postgres.role`, checked.
public struct RoleSpec: Sendable, Hashable {
    /// The role's name.
    public var name: String
    /// The role may log in.
    public var login: Bool
    /// nil: keep the current one, or generate one when there is none.
    public var password: String?
    /// Most concurrent connections, -1 for no limit.
    public var connectionLimit: Int
    /// Roles this one is a member of, without repeats.
    public var memberOf: [String]
}

/// The inputs of a `postgres.grant`, checked.
public struct GrantSpec: Sendable, Hashable {
    /// The role given the privileges.
    public var role: String
    /// The schema they are on.
    public var schema: String
    /// On the schema: USAGE, CREATE (upper case, without repeats).
    public var privileges: [String]
    /// On every table of the schema: SELECT, INSERT, UPDATE, DELETE.
    public var tablePrivileges: [String]
    /// Tables the schema's owner creates later get `tablePrivileges` too.
    public var defaultPrivileges: Bool
}

/// Reads and checks the inputs of the `postgres.*` types, the same way for the real provider
/// and the mock, so both refuse the same specs with the same words.
public enum PostgresSpecs {
    typealias T = PostgresResourceTypes

    static func bad(_ summary: String, _ detail: String, _ attribute: String) -> ProviderDiagnostic {
        .error(summary, detail: detail, attribute: attribute, code: "InvalidParameter")
    }

    static func name(_ inputs: [String: Value], _ key: String, kind: String) throws(ProviderDiagnostic) -> String {
        let n = inputs[key]?.revealed.stringValue ?? ""
        if let p = PostgresNames.problem(n, kind: kind) { throw bad(p, "choose another \(key) for the \(kind)", key) }
        return n
    }

    /// A list of privileges, upper-cased, each one of `allowed`, without repeats, in the spec's order.
    static func privileges(_ inputs: [String: Value], _ key: String, allowed: [String]) throws(ProviderDiagnostic) -> [String] {
        guard let v = inputs[key]?.revealed, v != .null else { return [] }
        guard let list = v.listValue else { throw bad("\(key) must be a list", "write e.g. \(key): [\(allowed[0])]", key) }
        var out: [String] = []
        for item in list {
            let p = (item.stringValue ?? "").uppercased()
            guard allowed.contains(p) else {
                throw bad("unknown privilege '\(item.interpolationText)' in \(key)", "\(key) takes: \(allowed.joined(separator: ", "))", key)
            }
            if !out.contains(p) { out.append(p) }
        }
        return out
    }

    /// The inputs of a `postgres.schema`.
    public static func schema(_ inputs: [String: Value]) throws(ProviderDiagnostic) -> SchemaSpec {
        let n = try name(inputs, "name", kind: "schema")
        var owner: String?
        if let o = inputs["owner"]?.revealed.stringValue {
            if let p = PostgresNames.problem(o, kind: "owner role") { throw bad(p, "name an existing role as owner", "owner") }
            owner = o
        }
        let deletion = inputs["deletion"]?.revealed.stringValue ?? "restrict"
        guard deletion == "restrict" || deletion == "cascade" else {
            throw bad(
                "deletion must be restrict or cascade, not '\(deletion)'", "restrict (the default) keeps a schema that holds tables", "deletion")
        }
        return SchemaSpec(name: n, owner: owner, cascade: deletion == "cascade")
    }

    /// The inputs of a `postgres.role`.
    public static func role(_ inputs: [String: Value]) throws(ProviderDiagnostic) -> RoleSpec {
        let n = try name(inputs, "name", kind: "role")
        let limit = inputs["connectionLimit"]?.revealed.intValue ?? -1
        guard limit >= -1 else {
            throw bad("connectionLimit must be -1 (no limit) or more, not \(limit)", "set it to -1 or a count", "connectionLimit")
        }
        var members: [String] = []
        if let v = inputs["memberOf"]?.revealed, v != .null {
            guard let list = v.listValue else { throw bad("memberOf must be a list of role names", "write e.g. memberOf: [readers]", "memberOf") }
            for item in list {
                let m = item.stringValue ?? ""
                if let p = PostgresNames.problem(m, kind: "role") { throw bad(p, "memberOf names existing roles", "memberOf") }
                if m == n { throw bad("role '\(n)' cannot be a member of itself", "remove it from memberOf", "memberOf") }
                if !members.contains(m) { members.append(m) }
            }
        }
        var password = inputs["password"]?.revealed.stringValue
        if password?.isEmpty == true { password = nil }
        return RoleSpec(name: n, login: inputs["login"]?.revealed.boolValue ?? false, password: password, connectionLimit: limit, memberOf: members)
    }

    /// The inputs of a `postgres.grant`.
    public static func grant(_ inputs: [String: Value]) throws(ProviderDiagnostic) -> GrantSpec {
        GrantSpec(
            role: try name(inputs, "role", kind: "role"), schema: try name(inputs, "schema", kind: "schema"),
            privileges: try privileges(inputs, "privileges", allowed: T.schemaPrivileges),
            tablePrivileges: try privileges(inputs, "tablePrivileges", allowed: T.tablePrivileges),
            defaultPrivileges: inputs["defaultPrivileges"]?.revealed.boolValue ?? false)
    }

    /// `current` as a list of strings in the order of `recorded` when both hold the same names
    /// (so a read does not report a reordering as drift), sorted otherwise.
    /// Privileges compare without case (`usage` is `USAGE`); role names compare exactly.
    public static func list(_ current: [String], like recorded: Value?, ignoringCase: Bool = false) -> Value {
        let fold: (String) -> String = { ignoringCase ? $0.uppercased() : $0 }
        let old = (recorded?.revealed.listValue ?? []).compactMap(\.stringValue)
        if recorded != nil, Set(old.map(fold)) == Set(current.map(fold)), old.count == Set(old.map(fold)).count {
            return recorded!.revealed
        }
        return .list(current.sorted().map { .string($0) })
    }

    /// 32 random letters and digits: a generated role password.
    public static func generatedPassword() -> String {
        let chars = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var rng = SystemRandomNumberGenerator()
        return String((0..<32).map { _ in chars.randomElement(using: &rng)! })
    }
}
