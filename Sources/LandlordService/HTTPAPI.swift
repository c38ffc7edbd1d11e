import Crypto
import Foundation
import Hummingbird
import LandlordCore
@_exported import LandlordLifecycle
import ProviderAPI

/// The service's HTTP API over Hummingbird: routing, bearer-token authentication, body limits
/// and JSON answers. Everything a request does is a ``TenantService`` call.
public enum HTTPAPI {
    /// Where the service listens and whom it lets in.
    public struct Options: Sendable {
        public var host: String
        public var port: Int
        /// Accepted bearer tokens; empty: no authentication, which only a loopback address allows.
        public var tokens: [String]
        /// After SIGTERM/SIGINT (with `signals`), how long the workers get to finish what they
        /// are doing before the process exits anyway; nil: wait for them however long it takes.
        /// Exiting then is safe: everything the service owes is recorded before it is answered,
        /// so the next start resumes it, as after a SIGKILL.
        public var shutdownGrace: Double?
        public init(host: String, port: Int, tokens: [String], shutdownGrace: Double? = nil) {
            self.host = host
            self.port = port
            self.tokens = tokens
            self.shutdownGrace = shutdownGrace
        }
    }

    /// Why the service refuses to start.
    public struct StartError: Error, CustomStringConvertible {
        public var description: String
    }

    /// True for 127.0.0.0/8, ::1 and localhost.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// The tokens of `api.tokensEnv` (comma-separated, blanks ignored).
    public static func tokens(_ platform: PlatformSpec, environment: [String: String]) -> [String] {
        guard let name = platform.api.tokensEnv, let raw = environment[name] else { return [] }
        return raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Serves `service` until the task is cancelled (or SIGTERM/SIGINT when `signals`), running
    /// its workers alongside; `onRunning` gets the bound port (useful with port 0).
    public static func serve(
        _ service: TenantService, options: Options, signals: Bool = false, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        guard !options.tokens.isEmpty || isLoopback(options.host) else {
            throw StartError(
                description:
                    "no API token is configured, so the service listens only on a loopback address (127.0.0.1): set `api: {tokensEnv: LANDLORD_API_TOKENS}` in platform.yaml and export LANDLORD_API_TOKENS=token1,token2, or use --listen 127.0.0.1:PORT"
            )
        }
        let router = Router(service: service, tokens: options.tokens.map { Array(SHA256.hash(data: Array($0.utf8))) })
        let responder = CallbackResponder<BasicRequestContext> { request, _ in await router.respond(request) }
        let host = options.host.hasPrefix("[") ? String(options.host.dropFirst().dropLast()) : options.host
        let app = Application(
            responder: responder, configuration: .init(address: .hostname(host, port: options.port), serverName: "landlord"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? options.port) })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await service.run() }
            group.addTask {
                if signals { try await app.runService() } else { try await app.run() }
            }
            // The server ends (a signal, or cancellation); the workers go with it.
            _ = try await group.next()
            if signals, let grace = options.shutdownGrace { Self.exitAfter(grace) }
            group.cancelAll()
        }
    }

    /// Ends the process `grace` seconds from now, on a thread of its own (the cooperative pool
    /// may be what is stuck): an apply in flight or a sink that does not answer must not keep a
    /// stopped service, or a deploy waiting for it, alive.
    static func exitAfter(_ grace: Double) {
        let watchdog = Thread {
            Thread.sleep(forTimeInterval: grace)
            FileHandle.standardError.write(
                Data(
                    "landlord serve: the workers did not stop within \(grace) s of the signal; exiting now. Everything they owe is recorded, and the next start resumes it (set LANDLORD_SHUTDOWN_GRACE for a longer wait)\n"
                        .utf8))
            exit(0)
        }
        watchdog.start()
    }

    struct Router: Sendable {
        let service: TenantService
        /// SHA-256 of each accepted token (compared in constant time).
        let tokens: [[UInt8]]

        func respond(_ request: Request) async -> Response {
            let method = request.method.rawValue
            let parts = request.uri.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
            let (route, answer) = await dispatch(request, method, parts)
            service.metrics.request(method: method, route: route, status: answer.status)
            return answer.response
        }

        struct Reply {
            var status: Int
            var contentType = "application/json"
            var body: [UInt8]
            var response: Response {
                Response(
                    status: .init(code: status), headers: [.contentType: contentType],
                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
            }
            init(_ a: Answer) {
                status = a.status
                body = JSON.serialize(a.body) + [0x0A]
            }
            init(text: String, contentType: String) {
                status = 200
                self.contentType = contentType
                body = Array(text.utf8)
            }
        }

        func dispatch(_ request: Request, _ method: String, _ parts: [String]) async -> (String, Reply) {
            switch parts {
            case ["healthz"]:
                guard method == "GET" else { return ("/healthz", notAllowed(method, "GET")) }
                return ("/healthz", Reply(Answer(200, ["status": "ok"])))
            case ["metrics"]:
                guard method == "GET" else { return ("/metrics", notAllowed(method, "GET")) }
                return ("/metrics", Reply(text: await service.metricsText(), contentType: "text/plain; version=0.0.4; charset=utf-8"))
            case ["openapi.json"]:
                guard method == "GET" else { return ("/openapi.json", notAllowed(method, "GET")) }
                return ("/openapi.json", Reply(text: OpenAPIDocument.json, contentType: "application/json"))
            default: break
            }
            guard parts.first == "v1", parts.count >= 2, parts[1] == "tenants", parts.count <= 4 else {
                return (
                    "other",
                    Reply(
                        .error(404, ErrorBody(code: "not_found", message: "no such endpoint \(request.uri.path); see GET /openapi.json")))
                )
            }
            let route = ["/v1/tenants", "/v1/tenants/{id}", "/v1/tenants/{id}/" + (parts.count == 4 ? parts[3] : "")][parts.count - 2]
            if let denied = authenticate(request) { return (route, Reply(denied)) }
            let query = request.uri.queryParameters
            switch (method, parts.count) {
            case ("POST", 2):
                switch await body(request) {
                case .failure(let e): return (route, Reply(e))
                case .success(let b): return (route, Reply(await service.create(b)))
                }
            case ("GET", 2):
                return (
                    route,
                    Reply(await service.list(status: query.get("status"), limit: query.get("limit"), cursor: query.get("cursor")))
                )
            case ("GET", 3): return (route, Reply(await service.get(parts[2])))
            case ("DELETE", 3):
                let force = query.get("force")
                guard force == nil || force == "true" || force == "false" else {
                    return (route, Reply(.error(400, ErrorBody(code: "invalid_query", message: "force must be true or false"))))
                }
                return (route, Reply(await service.delete(parts[2], force: force == "true")))
            case ("POST", 4) where parts[3] == "approve":
                return (route, Reply(await service.approve(parts[2])))
            case ("POST", 4) where parts[3] == "reject":
                switch await body(request) {
                case .failure(let e): return (route, Reply(e))
                case .success(let b): return (route, Reply(await service.reject(parts[2], body: b)))
                }
            case (_, 2): return (route, notAllowed(method, "GET, POST"))
            case (_, 3): return (route, notAllowed(method, "GET, DELETE"))
            case (_, 4) where parts[3] == "approve" || parts[3] == "reject": return (route, notAllowed(method, "POST"))
            default:
                return (
                    "other", Reply(.error(404, ErrorBody(code: "not_found", message: "no such endpoint \(request.uri.path); see GET /openapi.json")))
                )
            }
        }

        func notAllowed(_ method: String, _ allowed: String) -> Reply {
            Reply(.error(405, ErrorBody(code: "method_not_allowed", message: "\(method) is not allowed here; use \(allowed)")))
        }

        /// nil when the request may go on; else the 401 answer.
        func authenticate(_ request: Request) -> Answer? {
            guard !tokens.isEmpty else { return nil }
            let header = request.headers[.authorization] ?? ""
            guard header.hasPrefix("Bearer ") else {
                return .error(
                    401, ErrorBody(code: "unauthorized", message: "send `Authorization: Bearer TOKEN` with a token from the service's tokensEnv"))
            }
            let given = Array(SHA256.hash(data: Array(header.dropFirst(7).trimmingCharacters(in: .whitespaces).utf8)))
            var match = false
            for t in tokens {
                var diff: UInt8 = 0
                for i in 0..<t.count { diff |= t[i] ^ given[i] }
                match = match || diff == 0
            }
            return match
                ? nil : .error(401, ErrorBody(code: "unauthorized", message: "the bearer token is not accepted; check the service's tokensEnv"))
        }

        /// The request body, at most 1 MiB (413 beyond).
        func body(_ request: Request) async -> Result<[UInt8], Answer> {
            let tooLarge = Answer.error(
                413, ErrorBody(code: "body_too_large", message: "the body is larger than \(TenantDocument.maxBody) bytes; send a smaller one"))
            if let length = request.headers[.contentLength].flatMap(Int.init), length > TenantDocument.maxBody { return .failure(tooLarge) }
            do {
                let buffer = try await request.body.collect(upTo: TenantDocument.maxBody)
                return .success(Array(buffer.readableBytesView))
            } catch {
                return .failure(tooLarge)
            }
        }
    }
}
