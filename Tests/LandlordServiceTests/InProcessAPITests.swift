import Foundation
import Hummingbird
import InMemoryLogging
import LandlordHTTP
import LandlordService
import Logging
import ProviderAPI
import Synchronization
import Testing

/// The API's router and middleware served in this process (on an ephemeral loopback port, no
/// workers), asked through Landlord's own HTTP client: request ids, the access log, lifecycle
/// log lines, errors in the API's shape, the notice that a service without tokens checks none,
/// diagnostics that name the parameter. (In-process, not through HummingbirdTesting: its
/// client would add async-http-client and a second BoringSSL to every test build.)
@Suite struct InProcessAPITests {
    /// A quickstart fleet's service behind the router, with its log in memory.
    struct Harness {
        let fixture: ServiceFixture
        let runtime: ServiceRuntime
        let service: TenantService
        let log = InMemoryLogHandler()
        let logger: Logger
        let metrics = APIMetrics()
        let options: HTTPAPI.Options

        init(tokens: Bool) async throws {
            fixture = try ServiceFixture()
            var env = fixture.env
            if !tokens { env["SERVE_TEST_TOKENS"] = nil }
            runtime = try await ServiceRuntime.load(root: fixture.dir, environment: env)
            let log = self.log
            logger = Logger(label: "test") { _ in log }
            service = try TenantService(
                runtime: runtime, environment: env, log: { _ in }, metrics: metrics, statusChanged: ServerStartNotes.logger(logger))
            options = HTTPAPI.Options(host: "127.0.0.1", port: 0, tokens: HTTPAPI.tokens(runtime.fleet.platform, environment: env))
        }

        /// Runs `body` with a client of the served router; stops the server and the fleet's plugins after.
        func test(_ body: @Sendable @escaping (Client) async throws -> Void) async throws {
            let port = Mutex<Int?>(nil)
            let app = HTTPAPI.application(service, metrics: metrics, options: options, logger: logger) { p in port.withLock { $0 = p } }
            let server = Task { try await app.runService(gracefulShutdownSignals: []) }
            defer { server.cancel() }
            let deadline = Date().addingTimeInterval(60)
            while port.withLock({ $0 }) == nil && Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
            let bound = try #require(port.withLock { $0 }, "the server did not start within 60 s")
            do { try await body(Client(port: bound)) } catch {
                server.cancel()
                await runtime.shutdown()
                throw error
            }
            server.cancel()
            _ = await server.result
            await runtime.shutdown()
        }

        /// The access-log entries.
        var requests: [InMemoryLogHandler.Entry] { log.entries.filter { "\($0.message)" == "request" } }
    }

    /// Requests to the served API over loopback.
    struct Client: Sendable {
        let port: Int
        let transport = CurlTransport()

        /// One request; the answer whatever its status.
        func execute(uri: String, method: String, headers: [(String, String)] = [], body: Data = Data()) async throws -> LandlordHTTP.HTTPResponse {
            try await transport.send(
                LandlordHTTP.HTTPRequest(method: method, scheme: "http", host: "127.0.0.1", port: port, path: uri, headers: headers, body: body))
        }
    }

    static func json(_ body: String) -> Data { Data(body.utf8) }
    static func value(_ r: LandlordHTTP.HTTPResponse) -> Value { (try? JSON.parse(Array(r.body))) ?? .null }
    static let bearer = [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")]

    @Test func everyAnswerCarriesItsRequestIdAndOneAccessLogLine() async throws {
        let h = try await Harness(tokens: true)
        try await h.test { client in
            let health = try await client.execute(uri: "/healthz", method: "GET")
            #expect(health.status == 200)
            let missing = try await client.execute(uri: "/v1/tenants/nobody", method: "GET", headers: Self.bearer)
            #expect(missing.status == 404)
            #expect(Self.value(missing)["error"]?["code"]?.stringValue == "not_found")
            let ids = [health, missing].compactMap { $0.headers["request-id"] }
            #expect(ids.count == 2 && ids[0] != ids[1])
            let lines = h.requests
            #expect(lines.count == 2)
            #expect(lines.map { $0.metadata["hb.request.id"]?.description } == ids.map { $0 })
            #expect(lines[1].metadata["method"]?.description == "GET")
            #expect(lines[1].metadata["path"]?.description == "/v1/tenants/nobody")
            #expect(lines[1].metadata["status"]?.description == "404")
            #expect(lines[1].metadata["tenant"]?.description == "nobody")
            #expect(lines[1].metadata["duration_ms"].flatMap { Double($0.description) }.map { $0 >= 0 } == true)
        }
    }

    @Test func errorsOutsideTheRoutesHaveTheAPIsShape() async throws {
        let h = try await Harness(tokens: true)
        try await h.test { client in
            let nowhere = try await client.execute(uri: "/v2/things", method: "GET")
            #expect(nowhere.status == 404)
            #expect(Self.value(nowhere)["error"]?["code"]?.stringValue == "not_found")
            let put = try await client.execute(uri: "/v1/tenants", method: "PUT", headers: Self.bearer)
            #expect(put.status == 405)
            #expect(Self.value(put)["error"]?["message"]?.stringValue == "PUT is not allowed here; use GET, POST")
            let big = try await client.execute(
                uri: "/v1/tenants", method: "POST", headers: Self.bearer, body: Data(repeating: 0x20, count: TenantDocument.maxBody + 1))
            #expect(big.status == 413)
            #expect(Self.value(big)["error"]?["code"]?.stringValue == "body_too_large")
            let unauthenticated = try await client.execute(uri: "/v1/tenants", method: "GET")
            #expect(unauthenticated.status == 401)
            #expect(Self.value(unauthenticated)["error"]?["code"]?.stringValue == "unauthorized")
            #expect(h.requests.map { $0.metadata["status"]?.description } == ["404", "405", "413", "401"])
        }
    }

    /// Issue 29, point 1: an `Authorization` header sent to a service without tokens is
    /// answered, with a header saying it was not checked, and logged.
    @Test func anAuthorizationHeaderToAServiceWithoutTokensIsCalledIgnored() async throws {
        let h = try await Harness(tokens: false)
        try await h.test { client in
            let r = try await client.execute(uri: "/v1/tenants", method: "GET", headers: Self.bearer)
            #expect(r.status == 200)
            #expect(r.headers["landlord-auth"]?.hasPrefix("ignored: this service has no API tokens") == true)
            let plain = try await client.execute(uri: "/v1/tenants", method: "GET")
            #expect(plain.headers["landlord-auth"] == nil)
            let warnings = h.log.entries.filter { $0.level == .warning }
            #expect(warnings.count == 1)
            #expect("\(warnings.first?.message ?? "")".contains("set `api: {tokensEnv: NAME}` in platform.yaml"))
        }
    }

    /// Issue 29, point 4: a bad parameter is named, not a line of a file the caller never saw.
    @Test func createDiagnosticsNameTheParameter() async throws {
        let h = try await Harness(tokens: true)
        try await h.test { client in
            let body = #"{"id": "p4", "blueprint": "web", "parameters": {"subdomain": "p4-sub", "backendImage": "img:1", "replicas": "two"}}"#
            let r = try await client.execute(uri: "/v1/tenants", method: "POST", headers: Self.bearer, body: Self.json(body))
            #expect(r.status == 400)
            let diagnostics = Self.value(r)["error"]?["diagnostics"]?.list ?? []
            #expect(diagnostics.count == 1, "\(Self.value(r))")
            let d = diagnostics.first
            #expect(d?["parameter"]?.stringValue == "parameters.replicas")
            #expect(d?["message"]?.stringValue?.hasPrefix("parameters.replicas: ") == true, "\(d.map { JSON.string($0) } ?? "")")
            #expect(d?["file"] == nil && d?["line"] == nil && d?["column"] == nil)
        }
    }

    /// Issue 29, point 2: one log line per recorded status change, with the tenant.
    @Test func aStatusChangeIsLoggedWithItsTenant() async throws {
        let h = try await Harness(tokens: true)
        try await h.test { client in
            let body = #"{"id": "g1", "blueprint": "gated", "parameters": {"subdomain": "g1-sub", "backendImage": "img:1"}}"#
            let created = try await client.execute(uri: "/v1/tenants", method: "POST", headers: Self.bearer, body: Self.json(body))
            #expect(created.status == 202)
            let rejected = try await client.execute(uri: "/v1/tenants/g1/reject", method: "POST", headers: Self.bearer)
            #expect(rejected.status == 202)
            let changes = h.log.entries.filter { $0.metadata["tenant"]?.description == "g1" && "\($0.message)" != "request" }
            #expect(changes.map { $0.metadata["status"]?.description } == ["pending_approval", "rejected"])
            #expect(changes.map { $0.metadata["from"]?.description } == ["none", "pending_approval"])
        }
    }
}
