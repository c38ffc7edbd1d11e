import Hummingbird
import LandlordCore
import LandlordLifecycle
import ProviderAPI

/// The API's request bodies and query strings read into the lifecycle's typed requests; what
/// does not read is a 400 naming the field.
enum APIRequests {
    /// The fields of a `POST /v1/tenants` body.
    static let createFields = ["id", "blueprint", "parameters"]

    /// A `POST /v1/tenants` body: `{"id"?, "blueprint", "parameters"?}`.
    static func createTenant(_ bytes: [UInt8]) throws(APIError) -> TenantRequest {
        let value: Value
        do { value = try JSON.parse(bytes) } catch {
            throw APIError(400, "invalid_json", "the body is not JSON: \(error); send {\"blueprint\": NAME, \"parameters\": {...}}")
        }
        guard case .map(let m) = value else {
            throw APIError(400, "invalid_body", "the body must be a JSON object: {\"id\"?, \"blueprint\", \"parameters\"}")
        }
        for key in m.keys.sorted() where !createFields.contains(key) {
            throw APIError(
                400, "unknown_field",
                "unknown field '\(key)'\(Suggest.didYouMean(key, in: createFields)); the body takes: \(createFields.joined(separator: ", "))")
        }
        var id: String?
        if let v = m["id"] {
            guard case .string(let s) = v else { throw APIError(400, "invalid_body", "'id' must be a string") }
            id = s
        }
        guard case .string(let blueprint)? = m["blueprint"] else {
            throw APIError(400, "invalid_body", "'blueprint' is required and must be a string (the name of a blueprint)")
        }
        var parameters: [String: Value] = [:]
        switch m["parameters"] {
        case nil, .null?: break
        case .map(let p)?: parameters = p
        default: throw APIError(400, "invalid_body", "'parameters' must be a JSON object of name: value")
        }
        return TenantRequest(id: id, blueprint: blueprint, parameters: parameters)
    }

    /// A `PATCH /v1/tenants/{id}` body: `{"parameters": {...}}`, merged into the tenant's.
    static func updateTenant(_ bytes: [UInt8]) throws(APIError) -> [String: Value] {
        let value: Value
        do { value = try JSON.parse(bytes) } catch {
            throw APIError(400, "invalid_json", "the body is not JSON: \(error); send {\"parameters\": {...}}")
        }
        guard case .map(let m) = value else { throw APIError(400, "invalid_body", "the body must be a JSON object: {\"parameters\": {...}}") }
        for key in m.keys.sorted() where key != "parameters" {
            throw APIError(
                400, "unknown_field", "unknown field '\(key)'\(Suggest.didYouMean(key, in: ["parameters"])); the body takes: parameters")
        }
        guard case .map(let p)? = m["parameters"] else {
            throw APIError(400, "invalid_body", "'parameters' is required and must be a JSON object of name: value (null removes one)")
        }
        return p
    }

    /// A `POST /v1/tenants/{id}/reject` body: `{"reason"?: TEXT}`, or empty.
    static func rejectReason(_ bytes: [UInt8]) throws(APIError) -> String? {
        guard !bytes.isEmpty else { return nil }
        guard let v = try? JSON.parse(bytes), case .map(let m) = v, m.keys.allSatisfy({ $0 == "reason" }) else {
            throw APIError(400, "invalid_body", "the body must be {\"reason\": TEXT} (or empty)")
        }
        return m["reason"]?.stringValue
    }

    /// `GET /v1/tenants?status=S&limit=N&cursor=C`.
    static func tenantQuery(_ query: Parameters) throws(APIError) -> TenantQuery {
        var q = TenantQuery(cursor: query.get("cursor"))
        if let status = query.get("status") {
            switch LifecycleStatus.named(status) {
            case .success(let s): q.status = s
            case .failure(let e): throw APIError(e)
            }
        }
        if let limit = query.get("limit") {
            guard let n = Int(limit), TenantQuery.limits.contains(n) else {
                throw APIError(400, "invalid_query", "limit must be a whole number from 1 to 500")
            }
            q.limit = n
        }
        return q
    }

    /// `DELETE /v1/tenants/{id}?force=true|false`.
    static func force(_ query: Parameters) throws(APIError) -> Bool {
        switch query.get("force") {
        case nil, "false"?: return false
        case "true"?: return true
        default: throw APIError(400, "invalid_query", "force must be true or false")
        }
    }
}
