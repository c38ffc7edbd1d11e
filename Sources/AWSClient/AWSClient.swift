import Foundation
import LandlordHTTP
import Synchronization

/// Paces requests per AWS API. The client asks it before every attempt it sends (retries
/// included) and tells it how each answered attempt went, so one pacer shared by every client
/// of a process keeps the whole process under a service's request rate.
public protocol RequestPacer: Sendable {
    /// Waits until a request to the service (its signing name, e.g. `route53`) may go out.
    func willSend(service: String) async
    /// The service answered: `throttled` when the answer was a throttling error.
    func didAnswer(service: String, throttled: Bool) async
}

/// Requests sent by one client, per API (signing name) and operation; shared by its copies.
public final class RequestCounter: Sendable {
    private let counts = Mutex<[String: [String: Int]]>([:])

    public init() {}

    /// One more request to `operation` of `service`.
    public func count(service: String, operation: String) {
        counts.withLock { $0[service, default: [:]][operation, default: 0] += 1 }
    }

    /// Requests so far: service -> operation -> count.
    public var snapshot: [String: [String: Int]] { counts.withLock { $0 } }
}

/// A small AWS client: signs with SigV4, sends through an `HTTPTransport`, retries throttling,
/// 5xx and connection failures with backoff, and turns error responses into `AWSError`s.
public struct AWSClient: Sendable {
    public let configuration: AWSConfiguration
    public let transport: HTTPTransport
    public let retry: RetryPolicy
    /// Paces every attempt (nil: requests go out unpaced).
    public let pacer: RequestPacer?
    /// Counts every attempt sent, per API and operation (retries included).
    public let requests: RequestCounter

    /// A client over `transport` (a `CurlTransport` when nil), paced by `pacer` when given.
    public init(configuration: AWSConfiguration, transport: HTTPTransport? = nil, retry: RetryPolicy = .standard, pacer: RequestPacer? = nil) {
        self.configuration = configuration
        self.transport = transport ?? CurlTransport()
        self.retry = retry
        self.pacer = pacer
        requests = RequestCounter()
    }

    /// The region requests are signed for.
    public var region: String { configuration.region }

    /// Signs and sends a request built by `build` for a resolved endpoint, retrying as the
    /// policy allows. Non-2xx answers throw `AWSError` with the service's code and message.
    /// `payloadHash` overrides the signed payload hash (S3 sends it as x-amz-content-sha256).
    /// `retryUnanswered: false` is for calls that are not safe to repeat (a create AWS does not
    /// deduplicate): a request sent whose answer was lost then throws `LocalFault.lostAnswer`.
    public func send(
        _ service: AWSService, operation: String, contentSHA256Header: Bool = false, retryUnanswered: Bool = true,
        build: (ResolvedEndpoint) -> HTTPRequest
    ) async throws -> HTTPResponse {
        let endpoint: ResolvedEndpoint
        do { endpoint = try configuration.endpoint(for: service) } catch var error as AWSError {
            error.service = service.signingName
            error.operation = operation
            throw error
        }
        let base = build(endpoint)
        let signer = SigV4(
            credentials: configuration.credentials, region: endpoint.signingRegion, service: service.signingName,
            doubleEncodePath: service.signingName != "s3")
        let transport = self.transport
        let pacer = self.pacer
        let requests = self.requests
        return try await retry.run {
            // Paced before signing, so a long wait never outlives the signature's clock skew.
            await pacer?.willSend(service: service.signingName)
            var request = base
            if !retryUnanswered { request.safeToRepeat = false }
            let hash = SigV4.sha256Hex(request.body)
            if contentSHA256Header { request.setHeader("x-amz-content-sha256", hash) }
            signer.sign(&request, payloadHash: hash)
            let response: HTTPResponse
            requests.count(service: service.signingName, operation: operation)
            do {
                response = try await transport.send(request)
            } catch {
                let sent = (error as? TransportError)?.mayHaveTakenEffect ?? true
                throw AWSError(
                    retryUnanswered || !sent ? .transport : .lostAnswer, message: "\(error)", service: service.signingName, operation: operation)
            }
            guard (200..<300).contains(response.status) else {
                let error = AWSError.parse(response, service: service.signingName, operation: operation)
                await pacer?.didAnswer(service: service.signingName, throttled: error.isThrottling)
                throw error
            }
            await pacer?.didAnswer(service: service.signingName, throttled: false)
            return response
        }
    }

    func request(
        _ endpoint: ResolvedEndpoint, method: String, path: String, query: [(String, String)] = [], headers: [(String, String)] = [],
        body: Data = Data()
    ) -> HTTPRequest {
        HTTPRequest(
            method: method, scheme: endpoint.scheme, host: endpoint.host, port: endpoint.port, path: endpoint.basePath + path,
            query: query, headers: headers, body: body)
    }

    // MARK: Query protocol (ELBv2, EC2)

    /// Calls a Query-protocol action (form-encoded POST) and returns the parsed XML response's
    /// root. `parameters` are flattened names such as `Tags.member.1.Key`.
    public func query(_ service: AWSService, action: String, _ parameters: [String: String] = [:]) async throws -> XMLNode {
        var pairs = [("Action", action), ("Version", service.apiVersion)]
        pairs += parameters.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        let body = pairs.map { "\(SigV4.uriEncode($0.0))=\(SigV4.uriEncode($0.1))" }.joined(separator: "&")
        let response = try await send(service, operation: action) { endpoint in
            request(
                endpoint, method: "POST", path: "/", headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
                body: Data(body.utf8))
        }
        guard let root = XMLReader.parse(response.body) else {
            throw AWSError(
                .unparseableResponse, message: "the \(action) response is not XML", status: response.status, service: service.signingName,
                operation: action)
        }
        return root
    }

    // MARK: REST/XML (Route53, S3)

    /// A REST/XML operation's answer: its parsed body (nil when empty) and the response.
    public struct XMLAnswer: Sendable {
        public var root: XMLNode?
        public var response: HTTPResponse
    }

    /// Calls a REST/XML operation; returns the parsed body (nil when empty) and the response.
    public func restXML(
        _ service: AWSService, operation: String, method: String, path: String, query: [(String, String)] = [],
        headers: [(String, String)] = [], body: String? = nil
    ) async throws -> XMLAnswer {
        var allHeaders = headers
        if body != nil { allHeaders.append(("Content-Type", "application/xml")) }
        let response = try await send(service, operation: operation, contentSHA256Header: service.signingName == "s3") { endpoint in
            request(endpoint, method: method, path: path, query: query, headers: allHeaders, body: Data((body ?? "").utf8))
        }
        return XMLAnswer(root: XMLReader.parse(response.body), response: response)
    }

    // MARK: REST/JSON (SESv2)

    /// Calls a REST/JSON operation: `path` is already percent-encoded (each segment with
    /// `SigV4.uriEncode`), `body` is JSON or empty. Returns the response body (JSON or empty).
    public func restJSON(
        _ service: AWSService, operation: String, method: String, path: String, query: [(String, String)] = [], body: Data? = nil
    ) async throws -> Data {
        let headers: [(String, String)] = body == nil ? [] : [("Content-Type", "application/json")]
        let response = try await send(service, operation: operation) { endpoint in
            request(endpoint, method: method, path: path, query: query, headers: headers, body: body ?? Data())
        }
        return response.body
    }

    // MARK: JSON 1.0 / 1.1 (DynamoDB, ECS, Cognito)

    /// Calls a JSON-protocol operation (`X-Amz-Target: Prefix.Operation`) with a JSON body and
    /// returns the response body (JSON). `retryUnanswered` as for `send`.
    public func json(_ service: AWSService, operation: String, body: Data, retryUnanswered: Bool = true) async throws -> Data {
        let response = try await send(service, operation: operation, retryUnanswered: retryUnanswered) { endpoint in
            request(
                endpoint, method: "POST", path: "/",
                headers: [
                    ("Content-Type", "application/x-amz-json-\(service.jsonVersion ?? "1.1")"),
                    ("X-Amz-Target", "\(service.apiVersion).\(operation)"),
                ],
                body: body.isEmpty ? Data("{}".utf8) : body)
        }
        return response.body
    }
}
