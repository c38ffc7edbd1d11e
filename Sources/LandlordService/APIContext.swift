import HTTPTypes
import Hummingbird
import HummingbirdAuth
import LandlordCore
import LandlordLifecycle
import ProviderAPI

/// What a request of the API carries from middleware to handler: Hummingbird's core context
/// (the matched route, the path parameters, the logger with the request id) and the caller
/// whose bearer token was accepted.
public struct APIRequestContext: AuthRequestContext, RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The caller, once ``BearerTokens`` accepted its token; nil without tokens.
    public var identity: APICaller?

    /// A context for a request from `source`.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        identity = nil
    }

    /// The largest request body accepted (413 beyond).
    public var maxUploadSize: Int { TenantDocument.maxBody }
}

/// A caller the service let in: which of the configured tokens it sent (1-based, so a log
/// line can name it without showing it).
public struct APICaller: Sendable {
    /// The position of the caller's token in the `tokensEnv` list, from 1.
    public var token: Int
}

/// An answer of the API that is an error: its status and the `{"error": ...}` body. Thrown by
/// middleware and handlers; ``AccessLog`` turns it (and Hummingbird's own errors) into a response.
struct APIError: Error {
    var status: Int
    var body: ErrorBody
    /// Headers the answer carries (`Allow` on a 405).
    var headers: HTTPFields = [:]

    init(_ status: Int, _ code: String, _ message: String) {
        self.status = status
        body = ErrorBody(code: code, message: message)
    }

    /// The lifecycle's refusal as an HTTP status.
    init(_ e: LifecycleError) {
        body = e.body
        switch e.kind {
        case .invalidRequest: status = 400
        case .notFound: status = 404
        case .conflict, .busy: status = 409
        case .fleetUnavailable: status = 503
        case .storageFailed: status = 500
        }
    }

    /// The JSON answer.
    var reply: Reply {
        var reply = Reply(status: status, body.envelope)
        reply.headers = headers
        return reply
    }

    /// Any error a request ended with, as the API's error answer: Hummingbird's own (no route:
    /// 404, or 405 when the path has routes for other methods; a body over the limit: 413)
    /// under the API's error body.
    static func from(_ error: any Error, method: HTTPRequest.Method, path: String) -> APIError {
        if let e = error as? APIError { return e }
        if let e = error as? LifecycleError { return APIError(e) }
        guard let http = error as? HTTPError else {
            return APIError(500, "internal", "the service failed: \(error); try again")
        }
        switch http.status {
        case .notFound:
            guard let methods = APIRoutes.methods(at: path) else {
                return APIError(404, "not_found", "no such endpoint \(path); see GET /openapi.json")
            }
            let names = methods.map(\.rawValue).joined(separator: ", ")
            var refusal = APIError(405, "method_not_allowed", "\(method.rawValue) is not allowed here; use \(names)")
            refusal.headers[.allow] = names
            return refusal
        case .contentTooLarge:
            return APIError(413, "body_too_large", "the body is larger than \(TenantDocument.maxBody) bytes; send a smaller one")
        default: return APIError(Int(http.status.code), "bad_request", http.body ?? http.status.reasonPhrase)
        }
    }
}

/// A response body of the API: JSON (every answer of the lifecycle), or text.
struct Reply: ResponseGenerator {
    var status: Int
    var contentType = "application/json"
    var body: [UInt8]
    var headers: HTTPFields = [:]

    /// `value` as JSON, with `status`.
    init(status: Int, _ value: Value) {
        self.status = status
        body = JSON.serialize(value) + [0x0A]
    }

    /// What the lifecycle answered: `success` (200 for a read, 202 for an accepted change)
    /// with what it shows, or its refusal's status and error body.
    init(_ result: LifecycleResult, success: Int) {
        switch result {
        case .success(let value): self.init(status: success, value)
        case .failure(let e): self = APIError(e).reply
        }
    }

    /// A 200 with `text` of `contentType`.
    init(text: String, contentType: String) {
        status = 200
        self.contentType = contentType
        body = Array(text.utf8)
    }

    func response(from request: Request, context: some RequestContext) -> Response {
        var fields = headers
        fields[.contentType] = contentType
        return Response(status: .init(code: status), headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
