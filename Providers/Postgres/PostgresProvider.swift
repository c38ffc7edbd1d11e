import Foundation
import PostgresSchema
import ProviderAPI

/// The PostgreSQL provider: `postgres.schema`, `postgres.role` and `postgres.grant` on one
/// server, through libpq. Configured in platform.yaml:
/// `provider: {postgres: {url: "postgres://admin@127.0.0.1:5432/app", passwordEnv: PGPASSWORD}}`
/// (libpq's PG* variables fill in what the URL leaves out).
///
/// Schemas and roles carry their `landlord:*` tags as the JSON text of their `COMMENT`, so one
/// created by a run that died before recording it is found and adopted, not made twice. Grants
/// have no comment; they are found by their role and schema.
public final class PostgresProvider: Provider {
    /// Serves `postgres.*`.
    public let name = "postgres"
    /// The types this provider serves, without making one (for reading specs).
    public static let resourceSchema = PostgresResourceTypes.schema
    /// The `postgres.*` types (`PostgresResourceTypes.schema`).
    public let schema = PostgresProvider.resourceSchema
    let server: PGServer
    typealias T = PostgresResourceTypes

    /// A provider for the server at `url`, logging in with `password` (nil: libpq's own
    /// sources, PGPASSWORD or ~/.pgpass).
    public init(url: String, password: String?, passwordSource: String = "the caller") {
        server = PGServer(url: url, password: password, passwordSource: passwordSource)
    }

    /// A provider from platform.yaml's `provider.postgres` settings: `url` (default: libpq's
    /// PG* variables alone) and `passwordEnv` (the variable holding the password, default PGPASSWORD).
    public convenience init(settings: [String: Value], environment: [String: String] = ProcessInfo.processInfo.environment) {
        let variable = settings["passwordEnv"]?.stringValue ?? "PGPASSWORD"
        self.init(
            url: settings["url"]?.stringValue ?? "", password: environment[variable].flatMap { $0.isEmpty ? nil : $0 },
            passwordSource: "$\(variable) (provider.postgres.passwordEnv)")
    }

    // MARK: Provider

    /// Reads every requested resource from the catalogs in one turn on the server's connection.
    public func read(_ request: ReadRequest) async -> ReadResponse {
        let resources = request.resources
        let result = await server.run { c in try resources.map { r in try Self.read(r, c) } }
        switch result {
        case .success(let found): return ReadResponse(resources: found)
        case .failure(let e): return ReadResponse(resources: resources.map { _ in nil }, diagnostics: [Self.diagnostic("read", e)])
        }
    }

    /// One create, update or delete, as one transaction under Landlord's advisory lock.
    public func apply(_ request: ApplyRequest) async -> ApplyResponse {
        do {
            switch request.type {
            case T.schemaType: return try await applySchema(request)
            case T.role: return try await applyRole(request)
            case T.grant: return try await applyGrant(request)
            default:
                return ApplyResponse(
                    resource: nil,
                    diagnostics: [
                        .error("the postgres provider does not serve \(request.type)", detail: "use postgres.schema, postgres.role or postgres.grant")
                    ])
            }
        } catch let d as ProviderDiagnostic {
            return ApplyResponse(resource: nil, diagnostics: [d])
        } catch {
            return ApplyResponse(resource: nil, diagnostics: [.error("\(error)")])
        }
    }

    /// Finds a schema or role by the address in its comment (or by name when `id` is given), a
    /// grant by its role and schema.
    public func importResources(_ request: ImportRequest) async -> ImportResponse {
        let result = await server.run { c -> [ResourceObject] in
            if let id = request.id {
                return try Self.read(ResourceObject(type: request.type, id: id, attributes: Self.attributes(fromID: id, request.type)), c).map {
                    [$0]
                } ?? []
            }
            switch request.type {
            case T.schemaType, T.role:
                return try Self.tagged(request.type, address: request.identity.address, c)
            default:
                // Grants carry no comment: found by their role and schema.
                guard let role = request.inputs["role"]?.stringValue, let schema = request.inputs["schema"]?.stringValue else { return [] }
                let probe = ResourceObject(
                    type: T.grant, id: T.grantID(role: role, schema: schema), attributes: ["role": .string(role), "schema": .string(schema)])
                guard let found = try Self.read(probe, c), Self.grantsAnything(found) else { return [] }
                return [found]
            }
        }
        switch result {
        case .success(let found): return ImportResponse(resources: found)
        case .failure(let e): return ImportResponse(resources: [], diagnostics: [Self.diagnostic("look up", e)])
        }
    }

    // MARK: Shared

    static func attributes(fromID id: String, _ type: String) -> [String: Value] {
        guard type == T.grant, let slash = id.firstIndex(of: "/") else { return ["name": .string(id)] }
        return ["schema": .string(String(id[..<slash])), "role": .string(String(id[id.index(after: slash)...]))]
    }

    static func read(_ r: ResourceObject, _ c: PGConnection) throws -> ResourceObject? {
        switch r.type {
        case T.schemaType: return try readSchema(r, c)
        case T.role: return try readRole(r, c)
        case T.grant: return try readGrant(r, c)
        default: return nil
        }
    }

    /// Schemas or roles whose comment carries `address`.
    static func tagged(_ type: String, address: String, _ c: PGConnection) throws -> [ResourceObject] {
        let sql =
            type == T.schemaType
            ? """
            SELECT n.nspname, d.description FROM pg_namespace n JOIN pg_description d ON d.objoid = n.oid AND \
            d.classoid = 'pg_namespace'::regclass WHERE d.description LIKE '{%' ORDER BY 1
            """
            : """
            SELECT r.rolname, d.description FROM pg_roles r JOIN pg_shdescription d ON d.objoid = r.oid AND \
            d.classoid = 'pg_authid'::regclass WHERE d.description LIKE '{%' ORDER BY 1
            """
        var out: [ResourceObject] = []
        for row in try c.query(sql) where PostgresComment.address(row[1]) == address {
            let name = row[0] ?? ""
            if let found = try read(ResourceObject(type: type, id: name, attributes: ["name": .string(name)]), c) { out.append(found) }
        }
        return out
    }

    /// What a server error means for the resource, and what to do next.
    static func diagnostic(_ what: String, _ e: PGError, attribute: String? = nil) -> ProviderDiagnostic {
        var detail = [e.detail, e.hint].filter { !$0.isEmpty }.joined(separator: "; ")
        if e.sqlState.isEmpty {
            detail +=
                (detail.isEmpty ? "" : "; ")
                + "check provider.postgres.url in platform.yaml, the password variable it names, and that the server is up"
        } else if detail.isEmpty {
            detail = "fix the cause on the server or in the spec, then run again"
        }
        return .error(
            "postgres could not \(what): \(e.message)\(e.sqlState.isEmpty ? "" : " [\(e.sqlState)]")", detail: detail, attribute: attribute,
            code: e.sqlState.isEmpty ? "ConnectionFailed" : e.sqlState, retryable: e.sqlState.isEmpty || e.sqlState.hasPrefix("40"))
    }

    /// The result of a change, or the diagnostic of its failure.
    static func answer(_ what: String, _ result: Result<ResourceObject?, PGError>) -> ApplyResponse {
        switch result {
        case .success(let obj): return ApplyResponse(resource: obj)
        case .failure(let e): return ApplyResponse(resource: nil, diagnostics: [diagnostic(what, e)])
        }
    }

    static func grantsAnything(_ g: ResourceObject) -> Bool {
        !(g.attributes["privileges"]?.listValue ?? []).isEmpty || !(g.attributes["tablePrivileges"]?.listValue ?? []).isEmpty
            || g.attributes["defaultPrivileges"]?.boolValue == true
    }
}
