import Foundation
import PostgresSchema
import ProviderAPI

/// The `postgres.*` types in the simulated cloud, one simulated server with PostgreSQL's rules:
/// schema and role names unique and at most 63 bytes (not `pg_`), inputs checked with the
/// real provider's words, a schema holding tables refuses a restrict delete, dropping a role
/// reassigns what it owns (to the server's admin, `postgres`) and drops its grants and
/// memberships, dropping a schema drops the grants on it. Schemas and roles made outside
/// Landlord cannot be known, so a grant's role and schema, a schema's owner and a role's
/// `memberOf` are taken to exist. A test marks a schema as holding tables with the tag
/// `mock:tables` (a count), as an application that created tables in it would.
enum MockPostgres {
    typealias P = PostgresResourceTypes
    /// The connecting user of the simulated server: default owner, and heir of dropped roles.
    static let admin = "postgres"
    /// Tag counting the tables a simulated schema holds.
    static let tablesTag = "mock:tables"

    static func uniqueKeys(_ r: MockResource) -> [String] {
        switch r.type {
        case P.schemaType: return ["pg-schema|" + MockRules.str(r, "name")]
        case P.role: return ["pg-role|" + MockRules.str(r, "name")]
        case P.grant: return ["pg-grant|" + r.id]
        default: return []
        }
    }

    static func naturalID(_ type: String, _ inputs: [String: Value]) -> String? {
        guard type == P.grant else { return nil }
        return P.grantID(role: inputs["role"]?.revealed.stringValue ?? "", schema: inputs["schema"]?.revealed.stringValue ?? "")
    }

    static func fail(_ d: ProviderDiagnostic) -> ApplyResponse { ApplyResponse(resource: nil, diagnostics: [d]) }

    static func object(_ r: MockResource) -> ResourceObject { ResourceObject(type: r.type, id: r.id, attributes: r.attributes) }

    /// Create, update or delete of a `postgres.*` resource.
    static func apply(_ req: ApplyRequest, _ tx: inout MockCloud.Transaction) -> ApplyResponse {
        do {
            switch req.operation {
            case .create, .update: return try put(req, &tx)
            case .delete: return delete(req, &tx)
            }
        } catch {
            return fail(error)
        }
    }

    static func put(_ req: ApplyRequest, _ tx: inout MockCloud.Transaction) throws(ProviderDiagnostic) -> ApplyResponse {
        var attrs = req.inputs
        let id: String
        let what: String
        switch req.type {
        case P.schemaType:
            let s = try PostgresSpecs.schema(req.inputs)
            id = s.name
            what = "schema"
            attrs["owner"] = .string(s.owner ?? admin)
        case P.role:
            let r = try PostgresSpecs.role(req.inputs)
            id = r.name
            what = "role"
            let known = req.prior.flatMap { tx.get(type: P.role, id: $0.id) }?.attributes["password"]?.revealed.stringValue
            attrs["password"] = .sensitive(.string(r.password ?? known ?? PostgresSpecs.generatedPassword()))
            attrs["login"] = .bool(r.login)
            attrs["connectionLimit"] = .int(r.connectionLimit)
            attrs["memberOf"] = req.inputs["memberOf"] ?? .list([])
        case P.grant:
            let g = try PostgresSpecs.grant(req.inputs)
            id = P.grantID(role: g.role, schema: g.schema)
            what = "grant"
        default:
            return fail(.error("the mock provider does not serve \(req.type)", detail: "use postgres.schema, postgres.role or postgres.grant"))
        }
        var r = MockResource(type: req.type, id: id, attributes: attrs, tags: req.type == P.grant ? [:] : req.identity.tags)
        if req.operation == .update {
            guard let prior = req.prior, let old = tx.get(type: req.type, id: prior.id) else {
                return fail(
                    .error(
                        "\(req.type) \(req.prior?.id ?? "?") no longer exists", detail: "it was dropped outside Landlord; plan again to re-create it")
                )
            }
            r.tags.merge(old.tags) { new, _ in new }
            if old.id != id { tx.delete(type: old.type, id: old.id) }
        } else if let holder = uniqueKeys(r).compactMap({ tx.holder(of: $0) }).first {
            if req.type == P.grant {
                // GRANT is idempotent on a server: a second grant of one role on one schema
                // is the same grant.
                r.tags = holder.tags
            } else {
                return fail(
                    .error(
                        "\(what) '\(id)' already exists on the server",
                        detail: "it is not Landlord's (no matching comment): choose another name, or drop it",
                        attribute: "name", code: req.type == P.schemaType ? "42P06" : "42710"))
            }
        }
        tx.put(r)
        return ApplyResponse(resource: object(r))
    }

    static func delete(_ req: ApplyRequest, _ tx: inout MockCloud.Transaction) -> ApplyResponse {
        guard let prior = req.prior, let r = tx.get(type: req.type, id: prior.id) else { return ApplyResponse(resource: nil) }
        let name = MockRules.str(r, "name")
        switch r.type {
        case P.schemaType:
            let tables = Int(r.tags[tablesTag] ?? "") ?? 0
            if tables > 0 && MockRules.str(r, "deletion") != "cascade" {
                return fail(
                    .error(
                        "schema '\(name)' still holds tables or other objects, and its deletion is restrict",
                        detail:
                            """
                            to drop them with their data, set `deletion: cascade` on \(req.identity.address), apply, then \
                            delete again; otherwise move them out first
                            """,
                        attribute: "deletion", code: "2BP01"))
            }
            for g in tx.all(ofType: P.grant) where MockRules.str(g, "schema") == name { tx.delete(type: g.type, id: g.id) }
        case P.role:
            // REASSIGN OWNED BY r TO admin; DROP OWNED BY r; DROP ROLE r.
            for other in [P.grant, P.role, P.schemaType].flatMap(tx.all(ofType:)).sorted(by: { $0.key < $1.key }) {
                if other.type == P.schemaType, MockRules.str(other, "owner") == name {
                    var o = other
                    o.attributes["owner"] = .string(admin)
                    tx.put(o)
                } else if other.type == P.grant, MockRules.str(other, "role") == name {
                    tx.delete(type: other.type, id: other.id)
                } else if other.type == P.role, let members = other.attributes["memberOf"]?.listValue, members.contains(.string(name)) {
                    var o = other
                    o.attributes["memberOf"] = .list(members.filter { $0 != .string(name) })
                    tx.put(o)
                }
            }
        default: break
        }
        tx.delete(type: r.type, id: r.id)
        return ApplyResponse(resource: nil)
    }
}
