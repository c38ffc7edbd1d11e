import PostgresSchema
import ProviderAPI

/// `postgres.grant`: privileges of a role on a schema, on the schema's tables, and on tables
/// its owner creates later (default privileges). Read back from the catalogs' ACLs, so a
/// privilege revoked or added outside Landlord shows as drift.
extension PostgresProvider {
    static let relationKinds = "('r','p','v','m','f')"

    static func readGrant(_ r: ResourceObject, _ c: PGConnection) throws -> ResourceObject? {
        let role = r.attributes["role"]?.revealed.stringValue ?? ""
        let schema = r.attributes["schema"]?.revealed.stringValue ?? ""
        guard
            let ids = try c.query(
                "SELECT (SELECT oid FROM pg_roles WHERE rolname = $1), n.oid FROM pg_namespace n WHERE n.nspname = $2", [role, schema]
            ).first, let roleOID = ids[0], let schemaOID = ids[1]
        else { return nil }
        let onSchema = try c.query(
            "SELECT DISTINCT a.privilege_type FROM pg_namespace n, aclexplode(n.nspacl) a WHERE n.oid = $1::oid AND a.grantee = $2::oid",
            [schemaOID, roleOID]
        ).compactMap { $0[0] }.filter(T.schemaPrivileges.contains)
        let tables =
            Int(try c.query("SELECT count(*) FROM pg_class WHERE relnamespace = $1::oid AND relkind IN \(relationKinds)", [schemaOID])[0][0] ?? "0")
            ?? 0
        let perPrivilege = try c.query(
            """
            SELECT a.privilege_type, count(DISTINCT c.oid) FROM pg_class c, aclexplode(c.relacl) a \
            WHERE c.relnamespace = $1::oid AND c.relkind IN \(relationKinds) AND a.grantee = $2::oid GROUP BY 1
            """, [schemaOID, roleOID])
        // A table privilege is held when the role holds it on every table of the schema.
        let onTables = perPrivilege.filter { Int($0[1] ?? "") == tables }.compactMap { $0[0] }.filter(T.tablePrivileges.contains)
        let defaults = Set(
            try c.query(
                """
                SELECT DISTINCT a.privilege_type FROM pg_default_acl d, aclexplode(d.defaclacl) a \
                WHERE d.defaclnamespace = $1::oid AND d.defaclobjtype = 'r' AND a.grantee = $2::oid
                """, [schemaOID, roleOID]
            ).compactMap { $0[0] }.filter(T.tablePrivileges.contains))
        var attrs = r.attributes
        attrs["role"] = .string(role)
        attrs["schema"] = .string(schema)
        attrs["privileges"] = PostgresSpecs.list(onSchema, like: r.attributes["privileges"], ignoringCase: true)
        // With no table in the schema there is nothing to read table privileges from: the
        // recorded ones stand (default privileges still show what new tables will get).
        attrs["tablePrivileges"] =
            tables > 0 || r.attributes["tablePrivileges"] == nil
            ? PostgresSpecs.list(onTables, like: r.attributes["tablePrivileges"], ignoringCase: true) : r.attributes["tablePrivileges"]
        let wanted = Set((r.attributes["tablePrivileges"]?.revealed.listValue ?? []).compactMap { $0.stringValue?.uppercased() })
        // Default privileges are "on" when new tables get exactly the table privileges; with
        // no table privileges wanted there is nothing to tell on from off, unless some are set.
        let recorded = r.attributes["defaultPrivileges"]?.revealed.boolValue ?? false
        attrs["defaultPrivileges"] = .bool(wanted.isEmpty ? (defaults.isEmpty ? recorded : true) : defaults == wanted)
        return ResourceObject(type: T.grant, id: T.grantID(role: role, schema: schema), attributes: attrs)
    }

    func applyGrant(_ req: ApplyRequest) async throws -> ApplyResponse {
        switch req.operation {
        case .create, .update:
            let g = try PostgresSpecs.grant(req.inputs)
            let inputs = req.inputs
            let result = await server.change { c -> ResourceObject? in
                let s = try c.identifier(g.schema)
                let r = try c.identifier(g.role)
                try Self.setPrivileges(c, want: g.privileges, of: T.schemaPrivileges, on: "SCHEMA \(s)", to: r)
                try Self.setPrivileges(c, want: g.tablePrivileges, of: T.tablePrivileges, on: "ALL TABLES IN SCHEMA \(s)", to: r)
                let defaults = try Self.defaultPrivilegesClause(c, schema: g.schema)
                try Self.setPrivileges(
                    c, want: g.defaultPrivileges ? g.tablePrivileges : [], of: T.tablePrivileges, on: "TABLES", to: r, prefix: defaults)
                return try Self.readGrant(ResourceObject(type: T.grant, id: T.grantID(role: g.role, schema: g.schema), attributes: inputs), c)
            }
            if case .success(nil) = result {
                return ApplyResponse(
                    resource: nil, diagnostics: [.error("grant of \(g.role) on \(g.schema) vanished while it was applied", detail: "run apply again")]
                )
            }
            return Self.answer("grant \(g.role) on schema '\(g.schema)'", result)
        case .delete:
            guard let prior = req.prior else { return ApplyResponse(resource: nil) }
            let role = prior.attributes["role"]?.revealed.stringValue ?? ""
            let schema = prior.attributes["schema"]?.revealed.stringValue ?? ""
            let result = await server.change { c -> ResourceObject? in
                // Gone with its role or its schema: nothing left to revoke.
                guard try Self.readGrant(prior, c) != nil else { return nil }
                let s = try c.identifier(schema)
                let r = try c.identifier(role)
                try Self.setPrivileges(c, want: [], of: T.schemaPrivileges, on: "SCHEMA \(s)", to: r)
                try Self.setPrivileges(c, want: [], of: T.tablePrivileges, on: "ALL TABLES IN SCHEMA \(s)", to: r)
                try Self.setPrivileges(
                    c, want: [], of: T.tablePrivileges, on: "TABLES", to: r, prefix: try Self.defaultPrivilegesClause(c, schema: schema))
                return nil
            }
            return Self.answer("revoke \(role) on schema '\(schema)'", result)
        }
    }

    /// `ALTER DEFAULT PRIVILEGES FOR ROLE <the schema's owner> IN SCHEMA <schema> `: default
    /// privileges belong to the role that creates the tables, taken to be the schema's owner.
    static func defaultPrivilegesClause(_ c: PGConnection, schema: String) throws -> String {
        guard let owner = try c.query("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = $1", [schema]).first?[0] else {
            throw PGError(message: "schema \"\(schema)\" does not exist", sqlState: "3F000")
        }
        return "ALTER DEFAULT PRIVILEGES FOR ROLE \(try c.identifier(owner)) IN SCHEMA \(try c.identifier(schema)) "
    }

    /// Grants `want` and revokes the rest of `all` (privileges are keywords from a fixed list,
    /// never spec text).
    static func setPrivileges(_ c: PGConnection, want: [String], of all: [String], on target: String, to role: String, prefix: String = "") throws {
        let grant = all.filter(want.contains)
        let revoke = all.filter { !want.contains($0) }
        if !grant.isEmpty { try c.query(prefix + "GRANT \(grant.joined(separator: ", ")) ON \(target) TO \(role)") }
        if !revoke.isEmpty { try c.query(prefix + "REVOKE \(revoke.joined(separator: ", ")) ON \(target) FROM \(role)") }
    }
}
