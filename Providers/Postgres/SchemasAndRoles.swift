import PostgresSchema
import ProviderAPI

/// `postgres.schema` and `postgres.role`: CREATE, ALTER, DROP, with their tags as a COMMENT.
extension PostgresProvider {
    // MARK: postgres.schema

    static func readSchema(_ r: ResourceObject, _ c: PGConnection) throws -> ResourceObject? {
        let name = r.attributes["name"]?.revealed.stringValue ?? r.id
        guard let row = try c.query("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = $1", [name]).first else { return nil }
        var attrs = r.attributes
        attrs["name"] = .string(name)
        attrs["owner"] = .string(row[0] ?? "")
        return ResourceObject(type: T.schemaType, id: name, attributes: attrs)
    }

    func applySchema(_ req: ApplyRequest) async throws -> ApplyResponse {
        let comment = PostgresComment.text(req.identity)
        switch req.operation {
        case .create, .update:
            let spec = try PostgresSpecs.schema(req.inputs)
            let inputs = req.inputs
            let create = req.operation == .create
            let result = await server.change { c -> ResourceObject? in
                let s = try c.identifier(spec.name)
                if create {
                    try c.query("CREATE SCHEMA \(s)" + (try spec.owner.map { " AUTHORIZATION \(try c.identifier($0))" } ?? ""))
                } else {
                    try c.query("ALTER SCHEMA \(s) OWNER TO " + (try spec.owner.map { try c.identifier($0) } ?? "CURRENT_USER"))
                }
                try c.query("COMMENT ON SCHEMA \(s) IS \(try c.literal(comment))")
                return try Self.readSchema(ResourceObject(type: T.schemaType, id: spec.name, attributes: inputs), c)
            }
            if case .failure(let e) = result, e.sqlState == "42P06" {
                return ApplyResponse(
                    resource: nil,
                    diagnostics: [
                        .error(
                            "schema '\(spec.name)' already exists on the server",
                            detail: "it is not Landlord's (no matching comment): choose another name, or drop it",
                            attribute: "name", code: e.sqlState)
                    ])
            }
            return Self.answer("\(req.operation.rawValue) schema '\(spec.name)'", result)
        case .delete:
            guard let prior = req.prior else { return ApplyResponse(resource: nil) }
            let name = prior.attributes["name"]?.revealed.stringValue ?? prior.id
            let cascade = prior.attributes["deletion"]?.revealed.stringValue == "cascade"
            let result = await server.change { c -> ResourceObject? in
                try c.query("DROP SCHEMA IF EXISTS \(try c.identifier(name)) \(cascade ? "CASCADE" : "RESTRICT")")
                return nil
            }
            if case .failure(let e) = result, e.sqlState == "2BP01" {
                return ApplyResponse(
                    resource: nil,
                    diagnostics: [
                        .error(
                            "schema '\(name)' still holds tables or other objects, and its deletion is restrict",
                            detail:
                                """
                                to drop them with their data, set `deletion: cascade` on \(req.identity.address), apply, then \
                                delete again; otherwise move them out first
                                """,
                            attribute: "deletion", code: e.sqlState)
                    ])
            }
            return Self.answer("drop schema '\(name)'", result)
        }
    }

    // MARK: postgres.role

    static func readRole(_ r: ResourceObject, _ c: PGConnection) throws -> ResourceObject? {
        let name = r.attributes["name"]?.revealed.stringValue ?? r.id
        let sql = """
            SELECT r.rolcanlogin, r.rolconnlimit, coalesce((SELECT json_agg(b.rolname ORDER BY b.rolname) FROM pg_auth_members m \
            JOIN pg_roles b ON b.oid = m.roleid WHERE m.member = r.oid), '[]') FROM pg_roles r WHERE r.rolname = $1
            """
        guard let row = try c.query(sql, [name]).first else { return nil }
        let members = ((try? JSON.parse(row[2] ?? "[]"))?.listValue ?? []).compactMap(\.stringValue)
        var attrs = r.attributes
        attrs["name"] = .string(name)
        attrs["login"] = .bool(row[0] == "t")
        attrs["connectionLimit"] = .int(Int(row[1] ?? "") ?? -1)
        attrs["memberOf"] = PostgresSpecs.list(members, like: r.attributes["memberOf"])
        return ResourceObject(type: T.role, id: name, attributes: attrs)
    }

    func applyRole(_ req: ApplyRequest) async throws -> ApplyResponse {
        let comment = PostgresComment.text(req.identity)
        switch req.operation {
        case .create, .update:
            let spec = try PostgresSpecs.role(req.inputs)
            let known = req.prior?.attributes["password"]?.revealed.stringValue
            // The spec's password, else the one recorded, else (a create, or a role adopted
            // after state was lost, whose password nobody knows) a new one.
            let password = spec.password ?? known ?? PostgresSpecs.generatedPassword()
            let setPassword = password != known || req.operation == .create
            let inputs = req.inputs
            let create = req.operation == .create
            let result = await server.change { c -> ResourceObject? in
                let r = try c.identifier(spec.name)
                var options = "\(spec.login ? "LOGIN" : "NOLOGIN") CONNECTION LIMIT \(spec.connectionLimit)"
                if setPassword { options += " PASSWORD \(try c.literal(password))" }
                try c.query(create ? "CREATE ROLE \(r) WITH \(options)" : "ALTER ROLE \(r) WITH \(options)")
                let current = try Self.readRole(ResourceObject(type: T.role, id: spec.name, attributes: [:]), c)
                let have = Set((current?.attributes["memberOf"]?.listValue ?? []).compactMap(\.stringValue))
                for m in spec.memberOf where !have.contains(m) { try c.query("GRANT \(try c.identifier(m)) TO \(r)") }
                for m in have.subtracting(spec.memberOf).sorted() { try c.query("REVOKE \(try c.identifier(m)) FROM \(r)") }
                try c.query("COMMENT ON ROLE \(r) IS \(try c.literal(comment))")
                var attrs = inputs
                attrs["password"] = .sensitive(.string(password))
                return try Self.readRole(ResourceObject(type: T.role, id: spec.name, attributes: attrs), c)
            }
            if case .failure(let e) = result, e.sqlState == "42710" {
                return ApplyResponse(
                    resource: nil,
                    diagnostics: [
                        .error(
                            "role '\(spec.name)' already exists on the server",
                            detail: "it is not Landlord's (no matching comment): choose another name, or drop it",
                            attribute: "name", code: e.sqlState)
                    ])
            }
            return Self.answer("\(req.operation.rawValue) role '\(spec.name)'", result)
        case .delete:
            guard let prior = req.prior else { return ApplyResponse(resource: nil) }
            let name = prior.attributes["name"]?.revealed.stringValue ?? prior.id
            let server = self.server
            let result = await server.change { c -> ResourceObject? in
                guard try !c.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [name]).isEmpty else { return nil }
                let r = try c.identifier(name)
                // What the role owns or was granted in other databases of the server goes
                // first, each through a connection of its own (REASSIGN and DROP OWNED act on
                // the current database only).
                let others = try c.query(
                    """
                    SELECT DISTINCT d.datname FROM pg_shdepend s JOIN pg_database d ON d.oid = s.dbid \
                    WHERE s.refclassid = 'pg_authid'::regclass AND s.refobjid = (SELECT oid FROM pg_roles WHERE rolname = $1) \
                    AND d.datname <> current_database() AND d.datallowconn ORDER BY 1
                    """, [name]
                ).compactMap { $0[0] }
                for db in others {
                    let o = try server.other(database: db)
                    try o.query("REASSIGN OWNED BY \(r) TO CURRENT_USER")
                    try o.query("DROP OWNED BY \(r)")
                }
                try c.query("REASSIGN OWNED BY \(r) TO CURRENT_USER")
                try c.query("DROP OWNED BY \(r)")
                try c.query("DROP ROLE \(r)")
                return nil
            }
            return Self.answer("drop role '\(name)'", result)
        }
    }
}
