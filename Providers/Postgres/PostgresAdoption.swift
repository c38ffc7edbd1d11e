import Foundation
import PostgresSchema
import ProviderAPI

/// `landlord adopt` for schemas, roles and grants made outside Landlord: each type is listed
/// with one query a lookup call (a schema's or role's tags are its `COMMENT`), and an adopted
/// schema or role is tagged by writing its comment.
extension PostgresProvider: AdoptingProvider {
    public func lookUp(_ lookups: [KeyLookup]) async -> KeyLookupResponse {
        let result = await server.run { c -> KeyLookupResponse in
            var matches = Array(repeating: [KeyMatch](), count: lookups.count)
            var queries = 0
            var owners: [String: [String: String?]] = [:]  // type -> name -> comment
            for type in Set(lookups.map(\.type)) where type == T.schemaType || type == T.role {
                let sql =
                    type == T.schemaType
                    ? """
                    SELECT n.nspname, d.description FROM pg_namespace n LEFT JOIN pg_description d ON d.objoid = n.oid \
                    AND d.classoid = 'pg_namespace'::regclass
                    """
                    : """
                    SELECT r.rolname, d.description FROM pg_roles r LEFT JOIN pg_shdescription d ON d.objoid = r.oid \
                    AND d.classoid = 'pg_authid'::regclass
                    """
                queries += 1
                var byName: [String: String?] = [:]
                for row in try c.query(sql) { if let name = row[0] { byName[name] = row[1] } }
                owners[type] = byName
            }
            for (i, l) in lookups.enumerated() {
                switch l.type {
                case T.schemaType, T.role:
                    guard let name = l.key["name"]?.stringValue, let comment = owners[l.type]?[name] else { continue }
                    let probe = ResourceObject(type: l.type, id: name, attributes: ["name": .string(name)])
                    if let found = try Self.read(probe, c) { matches[i] = [KeyMatch(resource: found, owner: PostgresComment.address(comment))] }
                default:
                    guard let role = l.key["role"]?.stringValue, let schema = l.key["schema"]?.stringValue else { continue }
                    queries += 1
                    let probe = ResourceObject(
                        type: T.grant, id: T.grantID(role: role, schema: schema), attributes: ["role": .string(role), "schema": .string(schema)])
                    if let found = try Self.read(probe, c), Self.grantsAnything(found) { matches[i] = [KeyMatch(resource: found)] }
                }
            }
            return KeyLookupResponse(matches: matches, calls: queries)
        }
        switch result {
        case .success(let r): return r
        case .failure(let e): return KeyLookupResponse(matches: lookups.map { _ in [] }, diagnostics: [Self.diagnostic("look up", e)])
        }
    }

    public func tag(_ resource: ResourceObject, identity: ResourceIdentity) async -> [ProviderDiagnostic] {
        guard resource.type == T.schemaType || resource.type == T.role else { return [] }  // grants carry no comment
        let result = await server.run { c -> ProviderDiagnostic? in
            let isSchema = resource.type == T.schemaType
            let sql =
                isSchema
                ? """
                SELECT d.description FROM pg_namespace n LEFT JOIN pg_description d ON d.objoid = n.oid AND \
                d.classoid = 'pg_namespace'::regclass WHERE n.nspname = $1
                """
                : """
                SELECT d.description FROM pg_roles r LEFT JOIN pg_shdescription d ON d.objoid = r.oid AND \
                d.classoid = 'pg_authid'::regclass WHERE r.rolname = $1
                """
            let rows = try c.query(sql, [resource.id])
            guard let row = rows.first else {
                return .error("\(resource.type) \(resource.id) no longer exists", detail: "run adopt again", code: "NotFound")
            }
            if let owner = PostgresComment.address(row[0]), owner != identity.address {
                return .error("\(resource.type) \(resource.id) is tagged for \(owner)", detail: "it is not adopted", code: "OwnedElsewhere")
            }
            try c.query(
                "COMMENT ON \(isSchema ? "SCHEMA" : "ROLE") \(try c.identifier(resource.id)) IS \(try c.literal(PostgresComment.text(identity)))")
            return nil
        }
        switch result {
        case .success(let d): return d.map { [$0] } ?? []
        case .failure(let e): return [Self.diagnostic("tag", e)]
        }
    }
}
