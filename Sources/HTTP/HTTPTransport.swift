import Foundation

/// One HTTP request, as a client builds it (the AWS client signs it, the Stripe provider
/// authorises it with a bearer key) before a transport sends it.
public struct HTTPRequest: Sendable {
    /// `GET`, `POST`, `PUT`, `DELETE`, `HEAD`.
    public var method: String
    /// `https` or `http`.
    public var scheme: String
    /// Host name, without the port.
    public var host: String
    /// Port when it is not the scheme's default.
    public var port: Int?
    /// The path exactly as it goes on the wire (already percent-encoded), starting with `/`.
    public var path: String
    /// Query parameters, not encoded; `url` (and the AWS signer) encode them.
    public var query: [(String, String)]
    /// Header names as given; the signer lowercases them.
    public var headers: [(String, String)]
    public var body: Data
    /// False for a request that must not be sent twice (a create the server does not
    /// deduplicate): it then goes on a connection of its own, never a reused one, because
    /// libcurl silently sends a request again when a reused connection dies before any byte of
    /// the answer, although the first one may have taken effect.
    public var safeToRepeat: Bool

    public init(
        method: String, scheme: String = "https", host: String, port: Int? = nil, path: String = "/",
        query: [(String, String)] = [], headers: [(String, String)] = [], body: Data = Data(), safeToRepeat: Bool = true
    ) {
        self.method = method
        self.scheme = scheme
        self.host = host
        self.port = port
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.safeToRepeat = safeToRepeat
    }

    /// `host` or `host:port`, as the Host header carries it.
    public var hostHeader: String { port.map { "\(host):\($0)" } ?? host }

    /// The request URL (query encoded as RFC 3986 unreserved characters, the way SigV4
    /// canonicalises it).
    public var url: URL? {
        var text = "\(scheme)://\(hostHeader)\(path)"
        if !query.isEmpty {
            text += "?" + query.map { "\(PercentEncoding.encode($0.0))=\(PercentEncoding.encode($0.1))" }.joined(separator: "&")
        }
        return URL(string: text)
    }

    /// The first value of a header, matched case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// Sets a header, replacing any with the same name.
    public mutating func setHeader(_ name: String, _ value: String) {
        headers.removeAll { $0.0.lowercased() == name.lowercased() }
        headers.append((name, value))
    }
}

/// What came back: status, headers (names lowercased) and body.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data
    public init(status: Int, headers: [String: String] = [:], body: Data = Data()) {
        self.status = status
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
        self.body = body
    }
}

/// Sends one HTTP request. The client signs (or authorises) before calling it and retries
/// around it, so a transport does neither; tests inject a fake one.
public protocol HTTPTransport: Sendable {
    /// Sends the request; throws only when no whole response arrived (connection refused or
    /// closed, reset, a deadline passed): a status line alone, or part of a body, is not one.
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
}

/// A transport failure: no HTTP response was received.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// False only when the request never left (the host did not resolve, the connection was
    /// refused): a request that was sent may have taken effect although its answer was lost.
    public var mayHaveTakenEffect: Bool
    public init(_ message: String, mayHaveTakenEffect: Bool = true) {
        self.message = message
        self.mayHaveTakenEffect = mayHaveTakenEffect
    }
    public var description: String { message }
}
