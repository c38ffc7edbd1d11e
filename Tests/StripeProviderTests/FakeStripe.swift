import Foundation
import LandlordHTTP
import ProviderAPI
import StripeProvider
import Synchronization

/// A transport that answers from a script (then with `fallback`) and records every request.
final class ScriptedStripe: HTTPTransport, Sendable {
    private let state: Mutex<(script: [Result<HTTPResponse, TransportError>], requests: [HTTPRequest])>
    private let fallback: @Sendable (HTTPRequest) -> HTTPResponse

    init(_ script: [Result<HTTPResponse, TransportError>], fallback: @escaping @Sendable (HTTPRequest) -> HTTPResponse) {
        state = Mutex((script, []))
        self.fallback = fallback
    }

    var requests: [HTTPRequest] { state.withLock { $0.requests } }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let next: Result<HTTPResponse, TransportError>? = state.withLock { s in
            s.requests.append(request)
            return s.script.isEmpty ? nil : s.script.removeFirst()
        }
        switch next {
        case .success(let r): return r
        case .failure(let e): throw e
        case nil: return fallback(request)
        }
    }
}

enum FakeStripe {
    static let key = "sk_test_fakeSecretKey123"
    /// Retries without waiting; the total-time budget is out of the way (a loaded test machine
    /// must not turn a count of attempts into a count of seconds).
    static let quickRetry = RetryPolicy(maxAttempts: 4, baseDelay: 0, maxDelay: 0, maxTotalTime: 3_600)

    static func json(_ status: Int, _ body: String, headers: [String: String] = [:]) -> HTTPResponse {
        HTTPResponse(status: status, headers: headers, body: Data(body.utf8))
    }

    static func customer(_ id: String, name: String = "Acme", metadata: [String: String] = [:]) -> String {
        let meta = metadata.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \"\($0.value)\"" }.joined(separator: ", ")
        return #"{"id": "\#(id)", "object": "customer", "name": "\#(name)", "email": null, "description": null, "metadata": {\#(meta)}}"#
    }

    static func provider(_ transport: HTTPTransport, env: [String: String] = ["STRIPE_API_KEY": key]) -> StripeProvider {
        StripeProvider(settings: ["apiBase": "http://127.0.0.1:9"], environment: env, transport: transport, retry: quickRetry)
    }

    static let identity = ResourceIdentity(address: "acme/billing", tenant: "acme", platform: "demo")

    static func create(_ inputs: [String: Value], token: String = "tok-1") -> ApplyRequest {
        ApplyRequest(operation: .create, type: "stripe.customer", identity: identity, prior: nil, inputs: inputs, clientToken: token)
    }

    /// The form fields of a request body, decoded.
    static func form(_ request: HTTPRequest) -> [String: String] {
        var out: [String: String] = [:]
        for pair in String(decoding: request.body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            out[parts[0].removingPercentEncoding ?? parts[0]] = parts.count > 1 ? (parts[1].removingPercentEncoding ?? parts[1]) : ""
        }
        return out
    }
}
