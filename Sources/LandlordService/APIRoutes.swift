import HTTPTypes
import Hummingbird
import LandlordCore
import LandlordLifecycle
import ProviderAPI

/// The API's routes over a ``TenantService``: each handler reads the path, query and body,
/// makes one lifecycle call and answers its JSON. The document of these routes is
/// api/openapi.json (served from ``OpenAPIDocument``).
struct APIRoutes: Sendable {
    let service: TenantService
    let metrics: APIMetrics

    /// Each route's path (`*`: one segment, an id) and the methods it takes: a request for a
    /// path here with another method gets 405 and `Allow` (from ``AccessLog``).
    static let allowed: [(path: [String], methods: [HTTPRequest.Method])] = [
        (["healthz"], [.get]), (["metrics"], [.get]), (["openapi.json"], [.get]), (["v1", "tenants"], [.get, .post]),
        (["v1", "tenants", "*"], [.get, .patch, .delete]), (["v1", "tenants", "*", "approve"], [.post]), (["v1", "tenants", "*", "reject"], [.post]),
        (["v1", "tenants", "*", "suspend"], [.post]), (["v1", "tenants", "*", "resume"], [.post]), (["v1", "drift"], [.get]),
    ]

    /// The methods the route at `path` takes; nil when no route has that path.
    static func methods(at path: String) -> [HTTPRequest.Method]? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        return allowed.first { route in
            route.path.count == parts.count && zip(route.path, parts).allSatisfy { $0 == "*" || $0 == $1 }
        }?.methods
    }

    /// The router: `AccessLog` around everything, bearer tokens (or the notice that there are
    /// none) around `/v1`.
    func router(tokens: [String]) -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: AccessLog(metrics: metrics))
        router.get("healthz") { _, _ in Reply(status: 200, ["status": "ok"]) }
        router.get("metrics") { _, _ in
            Reply(text: metrics.render(await service.gauges()), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        router.get("openapi.json") { _, _ in Reply(text: OpenAPIDocument.json, contentType: "application/json") }

        let tenants = router.group("v1/tenants")
        if tokens.isEmpty { tenants.add(middleware: TokensIgnored()) } else { tenants.add(middleware: BearerTokens(tokens: tokens)) }
        tenants.post { request, context in
            let tenant = try APIRequests.createTenant(try await body(request, context))
            return Reply(await service.create(tenant), success: 202)
        }
        tenants.get { request, _ in
            Reply(await service.list(try APIRequests.tenantQuery(request.uri.queryParameters)), success: 200)
        }
        tenants.get("{id}") { _, context in Reply(await service.get(try context.parameters.require("id")), success: 200) }
        tenants.delete("{id}") { request, context in
            let force = try APIRequests.force(request.uri.queryParameters)
            return Reply(await service.delete(try context.parameters.require("id"), force: force), success: 202)
        }
        tenants.patch("{id}") { request, context in
            let parameters = try APIRequests.updateTenant(try await body(request, context))
            return Reply(await service.update(try context.parameters.require("id"), parameters: parameters), success: 202)
        }
        tenants.post("{id}/suspend") { _, context in Reply(await service.suspend(try context.parameters.require("id")), success: 202) }
        tenants.post("{id}/resume") { _, context in Reply(await service.resume(try context.parameters.require("id")), success: 202) }
        tenants.post("{id}/approve") { _, context in Reply(await service.approve(try context.parameters.require("id")), success: 202) }
        tenants.post("{id}/reject") { request, context in
            let reason = try APIRequests.rejectReason(try await body(request, context))
            return Reply(await service.reject(try context.parameters.require("id"), reason: reason), success: 202)
        }
        let drift = router.group("v1/drift")
        if tokens.isEmpty { drift.add(middleware: TokensIgnored()) } else { drift.add(middleware: BearerTokens(tokens: tokens)) }
        drift.get { _, _ in Reply(await service.driftSummary(), success: 200) }
        return router
    }

    /// The request body, at most ``TenantDocument/maxBody`` bytes (413 beyond).
    func body(_ request: Request, _ context: APIRequestContext) async throws -> [UInt8] {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > context.maxUploadSize {
            throw APIError.from(HTTPError(.contentTooLarge), method: request.method, path: request.uri.path)
        }
        var request = request
        let buffer = try await request.collectBody(upTo: context.maxUploadSize)
        return Array(buffer.readableBytesView)
    }
}
