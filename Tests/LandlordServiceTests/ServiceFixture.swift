import Foundation
import LandlordBasics
import LandlordCore
import LandlordHTTP
import LandlordService
import LandlordTestSupport
import Logging
import ProviderAPI
import Synchronization
import Testing

/// The repository root, found from this file.
let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The tenants of each plan a service applied, in order.
final class PlanLog: Sendable {
    let tenants = Mutex<[[String]]>([])
}

/// The API tokens every fixture accepts.
let token = "test-token-1"

/// A quickstart fleet (without its tenants) plus a `gated` blueprint that needs approval
/// within `approvalTimeout`, served on an ephemeral loopback port with the mock provider and
/// local state.
// @unchecked: `task`, `port` and `service` are set by start() and stop() and read by the same
// test between them, never concurrently.
final class ServiceFixture: @unchecked Sendable {
    let dir: URL
    var env: [String: String]
    var task: Task<Void, any Error>?
    var port = 0
    var service: TenantService?
    var runtime: ServiceRuntime?
    let client = CurlTransport(timeout: 30)
    /// The service's clock (the system's unless a test brings its own).
    let clock: any PacingClock
    /// The service's pause after a create before provisioning starts (its default unless set).
    var burstPause = Duration.milliseconds(20)
    /// The tenants of each plan the service's worker applied, in order.
    let plans = PlanLog()

    init(
        approvalTimeout: String = "1h", events: String = "", env extra: [String: String] = [:], clock: any PacingClock = SystemPacingClock()
    ) throws {
        self.clock = clock
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("landlord-serve-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try writeQuickstartFleet(to: dir, platformExtra: "api: {tokensEnv: SERVE_TEST_TOKENS}\n" + events)
        try? FileManager.default.removeItem(at: dir.appendingPathComponent("tenants"))
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("tenants"), withIntermediateDirectories: true)
        // The web blueprint with outputs (one of them sensitive).
        var web = try String(contentsOf: dir.appendingPathComponent("blueprints/web.yaml"), encoding: .utf8)
        web +=
            """
            \noutputs:\n  url: \"https://${subdomain}.${platform.domain}\"\n  userPoolId: \"${users.id}\"\n  \
            clientSecret: \"${users_client.clientSecret}\"\n
            """
        try web.write(to: dir.appendingPathComponent("blueprints/web.yaml"), atomically: true, encoding: .utf8)
        let gated = web.replacingOccurrences(
            of: "\nname: web\n", with: "\nname: gated\nonboarding: {approval: required, timeout: \(approvalTimeout)}\n")
        try gated.write(to: dir.appendingPathComponent("blueprints/gated.yaml"), atomically: true, encoding: .utf8)
        env = ["SERVE_TEST_TOKENS": "other-token, \(token)", "LANDLORD_STATE_FSYNC": "0"].merging(extra) { _, b in b }
    }

    deinit { try? FileManager.default.removeItem(at: dir) }

    /// Loads the fleet and serves it; returns once the port is bound.
    func start() async throws {
        let runtime = try await ServiceRuntime.load(root: dir, environment: env)
        self.runtime = runtime
        let metrics = APIMetrics()
        let service = try TenantService(
            runtime: runtime, environment: env, lockTimeout: 5, eventRetry: 30, log: { _ in },
            observe: { [plans] plan in
                plans.tenants.withLock { $0.append(plan.tenants.map(\.tenant)) }
                return SilentObserver()
            }, metrics: metrics, clock: clock, burstPause: burstPause)
        self.service = service
        let tokens = HTTPAPI.tokens(runtime.fleet.platform, environment: env)
        let served = try await Served.start { onRunning in
            // Cancelled at stop(), the server logs its channels' cancellation: not this test's news.
            try await HTTPAPI.serve(
                service, metrics: metrics, options: .init(host: "127.0.0.1", port: 0, tokens: tokens),
                logger: Logger(label: "landlord-test") { _ in SwiftLogNoOpLogHandler() }, onRunning: onRunning)
        }
        task = served.task
        port = served.port
    }

    /// Stops the server and its workers.
    func stop() async {
        task?.cancel()
        _ = try? await task?.value
        task = nil
        await runtime?.shutdown()
        runtime = nil
    }

    /// A request with the fixture's token (or `auth`: nil for none).
    func call(_ method: String, _ path: String, json body: String? = nil, auth: String? = token) async throws -> (
        status: Int, body: Value, text: String
    ) {
        var headers: [(String, String)] = []
        if let auth { headers.append(("Authorization", "Bearer \(auth)")) }
        if body != nil { headers.append(("Content-Type", "application/json")) }
        let parts = path.split(separator: "?", maxSplits: 1).map(String.init)
        let query: [(String, String)] =
            parts.count > 1
            ? parts[1].split(separator: "&").map { kv in
                let p = kv.split(separator: "=", maxSplits: 1).map(String.init)
                return (p[0], p.count > 1 ? p[1] : "")
            } : []
        let r = try await client.send(
            HTTPRequest(
                method: method, scheme: "http", host: "127.0.0.1", port: port, path: parts[0], query: query, headers: headers,
                body: Data((body ?? "").utf8)))
        let text = String(decoding: r.body, as: UTF8.self)
        return (r.status, (try? JSON.parse(Array(r.body))) ?? .null, text)
    }

    /// `POST /v1/tenants` of a tenant of `blueprint` with a unique subdomain.
    func create(_ id: String, blueprint: String = "web", extra: String = "") async throws -> (status: Int, body: Value, text: String) {
        try await call(
            "POST", "/v1/tenants",
            json: #"{"id": "\#(id)", "blueprint": "\#(blueprint)", "parameters": {"subdomain": "sub-\#(id)", "backendImage": "img:1"\#(extra)}}"#)
    }

    /// Polls the tenant until it has `status` (or fails after `seconds`).
    @discardableResult
    func wait(_ id: String, for status: String, seconds: Double = 60) async throws -> Value {
        let end = Date().addingTimeInterval(seconds)
        var last: Value = .null
        while Date() < end {
            let r = try await call("GET", "/v1/tenants/\(id)")
            last = r.body
            if r.body["status"]?.stringValue == status { return r.body }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("tenant \(id) did not become \(status) within \(seconds)s; last: \(JSON.string(last))")
        return last
    }

    /// How long ``firstAnswer(from:)`` waits. Only a bound for a server that never answers, not a
    /// speed target: at the start of the full debug test pass on a 2-core machine (hundreds of
    /// suites at once), the real server answered its first /healthz only after 24-28 s, and once
    /// after more than 30 s.
    static let firstAnswerSeconds = 120

    /// Polls the fixture's port every 50 ms until `server` answers `GET /healthz` with 200
    /// (true), exits, or ``firstAnswerSeconds`` pass (false).
    func firstAnswer(from server: Spawned) async throws -> Bool {
        let end = Date().addingTimeInterval(Double(Self.firstAnswerSeconds))
        while Date() < end && server.isRunning {
            if let r = try? await call("GET", "/healthz", auth: nil), r.status == 200 { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    func fileExists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: dir.appendingPathComponent(relative).path) }

    /// A file of the fleet, as text.
    func read(_ relative: String) throws -> String { try String(contentsOf: dir.appendingPathComponent(relative), encoding: .utf8) }

    /// Writes a file of the fleet (as a CI checkout would: a new file replaces the old).
    func write(_ relative: String, _ text: String) throws {
        let url = dir.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }
}

extension Value {
    /// A member of a map.
    subscript(key: String) -> Value? {
        if case .map(let m) = self { return m[key] }
        return nil
    }
    var list: [Value] {
        if case .list(let l) = self { return l }
        return []
    }
}
