import Foundation
import LandlordHTTP
import ProviderAPI

/// An error answer from Stripe (`{"error": {"type", "code", "message", "param"}}`), or no answer.
struct StripeError: Error, Sendable, CustomStringConvertible {
    /// HTTP status; 0 when no response arrived.
    var status: Int
    /// `invalid_request_error`, `api_error`, `idempotency_error`, `rate_limit_error`, ... (or `connection_error`).
    var type: String
    /// `resource_missing`, `parameter_invalid_string_too_long`, ... when Stripe gives one.
    var code: String?
    var message: String
    /// The request parameter Stripe blames (`email`, `metadata[plan]`).
    var param: String?
    /// Stripe's own word on retrying (`Stripe-Should-Retry`), when it gave one.
    var shouldRetry: Bool?

    /// Throttled (429), a server fault (5xx), a lock on the idempotency key held by a concurrent
    /// request (409), or no response at all: the same request may succeed later.
    var isRetryable: Bool {
        if let shouldRetry { return shouldRetry }
        return status == 0 || status == 429 || status == 409 || status >= 500
    }

    var description: String { "Stripe \(status == 0 ? "unreachable" : String(status)) \(code ?? type): \(message)" }

    /// Parses Stripe's error JSON; falls back to the status and body text.
    static func parse(_ response: HTTPResponse) -> StripeError {
        let should = response.headers["stripe-should-retry"].map { $0 == "true" }
        if let doc = try? JSON.parse(Array(response.body)), let e = doc.mapValue?["error"]?.mapValue {
            return StripeError(
                status: response.status, type: e["type"]?.stringValue ?? "api_error", code: e["code"]?.stringValue,
                message: e["message"]?.stringValue ?? "no message", param: e["param"]?.stringValue, shouldRetry: should)
        }
        let text = String(decoding: response.body.prefix(200), as: UTF8.self)
        return StripeError(
            status: response.status, type: "api_error", code: nil, message: text.isEmpty ? "HTTP \(response.status)" : text, param: nil,
            shouldRetry: should)
    }
}

extension RetryPolicy {
    /// How the Stripe client retries: 6 attempts, 0.25 s doubling up to 8 s, within a minute.
    public static let stripe = RetryPolicy(maxAttempts: 6, baseDelay: 0.25, maxDelay: 8, maxTotalTime: 60)
}

/// Stripe's REST API over an `HTTPTransport`: form-encoded bodies, `Authorization: Bearer`,
/// an `Idempotency-Key` on every POST that creates, and retries of throttled, failed and
/// unanswered requests with backoff (the same key on every attempt, so Stripe applies a
/// create once). The API key is never part of a description or an error.
struct StripeClient: Sendable, CustomStringConvertible {
    let scheme: String
    let host: String
    let port: Int?
    /// A path prefix of `apiBase` (empty for https://api.stripe.com).
    let basePath: String
    private let apiKey: String
    let transport: HTTPTransport
    let retry: RetryPolicy

    /// A client for `apiBase` (`https://api.stripe.com`, or a local server's `http://127.0.0.1:8420`).
    init(apiBase: String, apiKey: String, transport: HTTPTransport, retry: RetryPolicy = .stripe) throws(ProviderDiagnostic) {
        guard let url = URLComponents(string: apiBase), let scheme = url.scheme, ["http", "https"].contains(scheme), let host = url.host,
            !host.isEmpty
        else {
            throw .error(
                "provider.stripe.apiBase '\(apiBase)' is not an http(s) URL", detail: "set it to https://api.stripe.com (or a local server's URL)",
                code: "configuration")
        }
        self.scheme = scheme
        self.host = host
        port = url.port
        basePath = url.path.hasSuffix("/") ? String(url.path.dropLast()) : url.path
        self.apiKey = apiKey
        self.transport = transport
        self.retry = retry
    }

    var description: String { "StripeClient(\(scheme)://\(host)\(port.map { ":\($0)" } ?? "")\(basePath), key: (sensitive))" }

    /// `text` with the API key cut out, for anything that reaches a message.
    func redacted(_ text: String) -> String {
        apiKey.isEmpty ? text : text.replacingOccurrences(of: apiKey, with: "(sensitive)")
    }

    /// Sends one call and returns its JSON answer; a 404 returns nil when `missingIsNil`.
    /// Non-2xx answers throw `StripeError` once retries are spent.
    func call(
        _ method: String, _ path: String, query: [(String, String)] = [], form: [(String, String)] = [], idempotencyKey: String? = nil,
        missingIsNil: Bool = false
    ) async throws -> [String: Value]? {
        var request = HTTPRequest(method: method, scheme: scheme, host: host, port: port, path: basePath + path, query: query)
        request.setHeader("Authorization", "Bearer \(apiKey)")
        request.setHeader("Accept", "application/json")
        if method == "POST" {
            request.setHeader("Content-Type", "application/x-www-form-urlencoded")
            request.body = Data(PercentEncoding.form(form).utf8)
        }
        if let idempotencyKey { request.setHeader("Idempotency-Key", idempotencyKey) }
        let transport = self.transport
        do {
            return try await retry.run(
                {
                    let response: HTTPResponse
                    do { response = try await transport.send(request) } catch {
                        throw StripeError(
                            status: 0, type: "connection_error", code: nil, message: "\(error)", param: nil, shouldRetry: nil)
                    }
                    if (200..<300).contains(response.status) {
                        guard let doc = try? JSON.parse(Array(response.body)), let map = doc.mapValue else {
                            throw StripeError(
                                status: response.status, type: "api_error", code: "invalid_json",
                                message: "the answer to \(method) \(path) is not a JSON object", param: nil, shouldRetry: false)
                        }
                        return map
                    }
                    if response.status == 404 && missingIsNil { return nil }
                    throw StripeError.parse(response)
                }, retryable: { ($0 as? StripeError)?.isRetryable == true })
        } catch var failure as StripeError {
            failure.message = redacted(failure.message)
            throw failure
        }
    }
}
