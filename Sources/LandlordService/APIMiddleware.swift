import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import Logging

/// The outermost middleware: turns every error into the API's JSON error answer, gives each
/// response its request id (`Request-Id`), counts it in `landlord_http_requests_total` and
/// writes the access-log line (method, path, status, duration, request id, tenant).
struct AccessLog: RouterMiddleware {
    typealias Context = APIRequestContext
    let metrics: APIMetrics

    /// The response header that carries the request id the log lines show.
    static let requestID = HTTPField.Name("Request-Id")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = APIError.from(error, method: request.method, path: request.uri.path).reply.response(from: request, context: context)
        }
        // Hummingbird's id, kept in the logger's metadata (`context.id` traps when a logger
        // keeps no metadata, as a no-op one does).
        response.headers[Self.requestID] = context.logger[metadataKey: "hb.request.id"]?.description ?? RequestID().description
        let route = context.endpointPath ?? "other"
        metrics.request(method: request.method.rawValue, route: route, status: Int(response.status.code))
        let elapsed = ContinuousClock.now - started
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        var metadata: Logger.Metadata = [
            "method": .string(request.method.rawValue), "path": .string(request.uri.path), "status": .stringConvertible(Int(response.status.code)),
            "duration_ms": .stringConvertible((ms * 1000).rounded() / 1000),
        ]
        if let tenant = context.parameters.get("id") { metadata["tenant"] = .string(tenant) }
        context.logger.info("request", metadata: metadata)
        return response
    }
}

/// Lets in a request with `Authorization: Bearer TOKEN` where TOKEN is one of the service's
/// tokens (compared by SHA-256 in constant time); any other gets a 401 that says what to send.
struct BearerTokens: AuthenticatorMiddleware {
    typealias Context = APIRequestContext
    /// SHA-256 of each accepted token.
    let digests: [[UInt8]]

    init(tokens: [String]) {
        digests = tokens.map { Array(SHA256.hash(data: Array($0.utf8))) }
    }

    func authenticate(request: Request, context: Context) async throws -> APICaller? {
        guard let bearer = request.headers.bearer else {
            throw APIError(401, "unauthorized", "send `Authorization: Bearer TOKEN` with a token from the service's tokensEnv")
        }
        let given = Array(SHA256.hash(data: Array(bearer.token.trimmingCharacters(in: .whitespaces).utf8)))
        var match = 0
        for (n, t) in digests.enumerated() {
            var diff: UInt8 = 0
            for i in 0..<t.count { diff |= t[i] ^ given[i] }
            if diff == 0 && match == 0 { match = n + 1 }
        }
        guard match > 0 else { throw APIError(401, "unauthorized", "the bearer token is not accepted; check the service's tokensEnv") }
        return APICaller(token: match)
    }
}

/// On a service without tokens (loopback only): a request that sends `Authorization` gets a
/// `Landlord-Auth` response header, and the log a warning, saying the header was not checked,
/// so a caller who thinks it is authenticating learns that nothing is.
struct TokensIgnored: RouterMiddleware {
    typealias Context = APIRequestContext
    static let header = HTTPField.Name("Landlord-Auth")!
    static let warning =
        "an Authorization header was sent, but this service has no API tokens and lets every loopback caller in; "
        + "set `api: {tokensEnv: NAME}` in platform.yaml to check tokens"
    static let notice = "ignored: this service has no API tokens (platform.yaml sets no api.tokensEnv), so it checks no Authorization header"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.headers[.authorization] != nil else { return try await next(request, context) }
        context.logger.warning(
            "\(Self.warning)")
        do {
            var response = try await next(request, context)
            response.headers[Self.header] = Self.notice
            return response
        } catch {
            var response = APIError.from(error, method: request.method, path: request.uri.path).reply.response(from: request, context: context)
            response.headers[Self.header] = Self.notice
            return response
        }
    }
}
