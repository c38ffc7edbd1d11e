import Foundation
import Hummingbird
import LandlordTestSupport
import QuickstartFleet
import Testing

/// A server run in the background on a loopback port until `stop()`.
struct Served: Sendable {
    /// The port it bound.
    let port: Int
    let task: Task<Void, any Error>

    /// Runs `serve` in the background and returns once it reports the port it bound (or
    /// throws why it ended before that).
    static func start(_ serve: @escaping @Sendable (_ onRunning: @escaping @Sendable (Int) async -> Void) async throws -> Void) async throws
        -> Served
    {
        let (ports, bound) = AsyncStream<Int>.makeStream()
        let task = Task {
            defer { bound.finish() }
            try await serve { bound.yield($0) }
        }
        var port: Int?
        for await p in ports {
            port = p
            break
        }
        if port == nil { try await task.value }
        return Served(port: try #require(port, "the server ended before it bound a port"), task: task)
    }

    /// The platform.yaml line that sends events to this receiver's `/hooks`, signed with the
    /// key in the variable `secretEnv` when given.
    func webhookEvents(secretEnv: String? = nil) -> String {
        "events: {webhooks: [{url: \"http://127.0.0.1:\(port)/hooks\"\(secretEnv.map { ", secretEnv: \($0)" } ?? "")}]}\n"
    }

    func stop() { task.cancel() }
}

/// A local webhook endpoint: answers each request with `respond(to:)`.
protocol LoopbackReceiver: Sendable {
    /// The answer to one delivery.
    func respond(to request: Request) async throws -> Response
}

extension LoopbackReceiver {
    /// Serves on an ephemeral loopback port in the background; returns once the port is bound.
    func served() async throws -> Served {
        try await Served.start { onRunning in
            let app = Application(
                responder: CallbackResponder<BasicRequestContext> { request, _ in try await self.respond(to: request) },
                configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { await onRunning($0.localAddress?.port ?? 0) })
            try await app.run()
        }
    }
}

/// Writes the quickstart fleet (acme, globex and their tenant files) to `dir` and appends
/// `platformExtra` to its platform.yaml.
func writeQuickstartFleet(to dir: URL, platformExtra: String) throws {
    try QuickstartFleet.write(to: dir)
    let platform = dir.appendingPathComponent("platform.yaml")
    var text = try String(contentsOf: platform, encoding: .utf8)
    // The quickstart names its own token variable (`api: {tokensEnv: LANDLORD_API_TOKENS}`); extra
    // settings with an `api:` of their own replace that line rather than repeat the key.
    if platformExtra.contains("api:") {
        text = text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("api:") }.joined(separator: "\n")
    }
    try (text + platformExtra).write(to: platform, atomically: true, encoding: .utf8)
}

/// The quickstart fleet in a fresh directory, for runs of the `landlord` CLI; `remove()`
/// deletes it.
struct CLIFleet {
    let dir: URL
    let landlord = Spawned.landlordBinary(repoRoot: repoRoot)

    /// The fleet in a new directory `name-UUID`, with `platformExtra` appended to its
    /// platform.yaml.
    init(_ name: String, platformExtra: String) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
        try writeQuickstartFleet(to: dir, platformExtra: platformExtra)
    }

    /// `landlord -C <dir> args...`, run to the end.
    func run(_ args: [String], env: [String: String]) async throws -> ProcessRun {
        try await Spawned.run(landlord, ["-C", dir.path] + args, env: env)
    }

    /// The `.json` files left anywhere below `relative` (a path in the fleet), none when it
    /// does not exist.
    func jsonFiles(below relative: String) -> [String] {
        let path = dir.appendingPathComponent(relative).path
        return ((try? FileManager.default.subpathsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".json") }
    }

    func remove() { try? FileManager.default.removeItem(at: dir) }
}
