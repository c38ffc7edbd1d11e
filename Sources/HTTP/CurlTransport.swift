import CLandlordCurl
import Foundation

/// How long one HTTP exchange may take, in seconds. Every call of every client (AWS, S3 state,
/// Stripe, event sinks) goes through a transport with these, so none waits without end.
public struct HTTPDeadlines: Sendable, Equatable {
    /// Setting up the connection (TCP, and TLS for https).
    public var connect: TimeInterval
    /// No byte sent or received for this long: the peer went silent (a dropped connection
    /// that was never closed, a stalled server).
    public var stall: TimeInterval
    /// The whole exchange, from the first byte sent to the last byte received.
    public var total: TimeInterval

    /// Deadlines; each at least a tenth of a second (a stall is noticed within a quarter second).
    public init(connect: TimeInterval = 10, stall: TimeInterval = 30, total: TimeInterval = 120) {
        self.connect = max(0.1, connect)
        self.stall = max(0.1, stall)
        self.total = max(0.1, total)
    }

    /// 10 s to connect, 30 s of silence, 120 s in all.
    public static let standard = HTTPDeadlines()

    /// `base`, with what the environment overrides: `LANDLORD_HTTP_CONNECT_TIMEOUT`,
    /// `LANDLORD_HTTP_STALL_TIMEOUT`, `LANDLORD_HTTP_TIMEOUT` (seconds; unreadable values are ignored).
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment, base: HTTPDeadlines = .standard
    ) -> HTTPDeadlines {
        func seconds(_ name: String) -> TimeInterval? {
            guard let text = environment[name], let value = Double(text), value.isFinite, value > 0 else { return nil }
            return value
        }
        return HTTPDeadlines(
            connect: seconds("LANDLORD_HTTP_CONNECT_TIMEOUT") ?? base.connect, stall: seconds("LANDLORD_HTTP_STALL_TIMEOUT") ?? base.stall,
            total: seconds("LANDLORD_HTTP_TIMEOUT") ?? base.total)
    }

    /// `connect 10 s, stall 30 s, total 120 s`.
    public var summary: String { "connect \(Self.text(connect)), stall \(Self.text(stall)), total \(Self.text(total))" }

    private static func text(_ seconds: TimeInterval) -> String {
        seconds == seconds.rounded() ? "\(Int(seconds)) s" : String(format: "%.1f s", seconds)
    }
}

/// `HTTPTransport` over libcurl's multi interface, driven by one thread that waits in
/// `curl_multi_poll` (Sources/CLandlordCurl). Each exchange has the `deadlines`: a connection
/// closed without an answer, a reset, a stall or a framing error ends it with a `TransportError`
/// within them, never a hang.
///
/// It replaces URLSession (FoundationNetworking), which on Linux keeps a socket's libdispatch
/// write source armed after libcurl stops asking for writability: a connected socket is always
/// writable, so while a request waits for its answer that source fires without pause, one core
/// per waiting request. Under a slow or silent peer, apply spun until its timeouts and starved
/// the peer too.
public final class CurlTransport: HTTPTransport {
    /// The deadlines of every exchange sent through this transport.
    public let deadlines: HTTPDeadlines

    /// A transport with these deadlines (by default the standard ones, as the environment overrides them).
    public init(deadlines: HTTPDeadlines = .fromEnvironment()) {
        self.deadlines = deadlines
    }

    /// A transport whose exchanges take at most `timeout` seconds in all (and stall at most as long).
    public convenience init(timeout: TimeInterval) {
        var deadlines = HTTPDeadlines.fromEnvironment()
        deadlines.total = max(0.1, timeout)
        deadlines.stall = min(deadlines.stall, deadlines.total)
        self.init(deadlines: deadlines)
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        guard let url = request.url?.absoluteString else {
            throw TransportError("cannot form a URL for host \(request.host) path \(request.path); check the endpoint's host and the path")
        }
        let lines = request.headers.filter { $0.0.lowercased() != "host" }.map { "\($0.0): \($0.1)" }
        let sendBody = !request.body.isEmpty || request.method == "POST" || request.method == "PUT"
        let deadlines = self.deadlines
        let started = Date()
        // The exchange is not cancelled with the caller's task: it ends within its deadlines anyway.
        let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<CurlOutcome, Never>) in
            let box = Unmanaged.passRetained(CurlCompletion(continuation)).toOpaque()
            let queued = Self.enqueue(request.method, url, lines, request.body, sendBody, request.safeToRepeat, deadlines, box)
            if !queued {
                Unmanaged<CurlCompletion>.fromOpaque(box).release()
                continuation.resume(
                    returning: .failed("libcurl could not start the request (out of memory, or libcurl failed to initialise)", false, false))
            }
        }
        switch outcome {
        case .answered(let response):
            return response
        case .failed(let message, let timedOut, let sent):
            let elapsed = String(format: "%.1f", Date().timeIntervalSince(started))
            let why = timedOut ? "a deadline passed (\(deadlines.summary))" : "the exchange failed"
            throw TransportError(
                "no response from \(request.hostHeader) to \(request.method) \(request.path) after \(elapsed) s: \(message); \(why). "
                    + "If it persists, check the network path to \(request.hostHeader), or raise LANDLORD_HTTP_TIMEOUT / "
                    + "LANDLORD_HTTP_STALL_TIMEOUT (seconds)", mayHaveTakenEffect: sent)
        }
    }

    /// Hands the request to the driver thread; false when it could not be queued.
    private static func enqueue(
        _ method: String, _ url: String, _ lines: [String], _ body: Data, _ sendBody: Bool, _ safeToRepeat: Bool, _ deadlines: HTTPDeadlines,
        _ context: UnsafeMutableRawPointer
    ) -> Bool {
        let headers = lines.map { strdup($0) }
        defer { for header in headers { free(header) } }
        let constHeaders = headers.map { UnsafePointer<CChar>($0) }
        return method.withCString { methodC in
            url.withCString { urlC in
                constHeaders.withUnsafeBufferPointer { headerPointers in
                    body.withUnsafeBytes { bytes in
                        var request = ll_http_request(
                            method: methodC, url: urlC, headers: headerPointers.baseAddress, header_count: headerPointers.count,
                            body: bytes.bindMemory(to: UInt8.self).baseAddress, body_length: bytes.count, send_body: sendBody ? 1 : 0,
                            connect_timeout_ms: Int(deadlines.connect * 1000), total_timeout_ms: Int(deadlines.total * 1000),
                            stall_timeout_ms: Int(deadlines.stall * 1000), fresh_connection: safeToRepeat ? 0 : 1)
                        return ll_http_send(&request, context, curlDone) == 0
                    }
                }
            }
        }
    }
}

/// What one exchange came to.
private enum CurlOutcome: Sendable {
    case answered(HTTPResponse)
    /// libcurl's message; whether a deadline ended it; whether the request may have been sent.
    case failed(String, Bool, Bool)
}

/// The continuation of one exchange, kept alive (retained) by the C side until it completes.
private final class CurlCompletion {
    let continuation: CheckedContinuation<CurlOutcome, Never>
    init(_ continuation: CheckedContinuation<CurlOutcome, Never>) { self.continuation = continuation }
}

/// Called once per exchange on the driver thread: copies the answer out and resumes the caller.
private let curlDone: ll_http_done = { context, result in
    guard let context, let result else { return }
    let completion = Unmanaged<CurlCompletion>.fromOpaque(context).takeRetainedValue()
    let r = result.pointee
    guard r.curl_code == 0 else {
        let message = r.error.map { String(cString: $0) } ?? "libcurl error \(r.curl_code)"
        // 6 CURLE_COULDNT_RESOLVE_HOST, 7 CURLE_COULDNT_CONNECT: nothing was sent.
        completion.continuation.resume(returning: .failed(message, r.timed_out != 0, r.curl_code != 6 && r.curl_code != 7))
        return
    }
    let body = r.body.map { Data(bytes: $0, count: r.body_length) } ?? Data()
    let headerText = r.headers.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: r.headers_length), as: UTF8.self) } ?? ""
    completion.continuation.resume(returning: .answered(HTTPResponse(status: r.status, headers: parseHeaders(headerText), body: body)))
}

/// Header lines (after the status line) as a dictionary with lowercased names; repeated
/// headers are joined with ", " as HTTP allows.
func parseHeaders(_ text: String) -> [String: String] {
    var headers: [String: String] = [:]
    for line in text.split(separator: "\r\n", omittingEmptySubsequences: true).dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { continue }
        if let existing = headers[name] { headers[name] = existing + ", " + value } else { headers[name] = value }
    }
    return headers
}
