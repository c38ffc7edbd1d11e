import Foundation
import LandlordService
import Logging

// `landlord-server [-C DIR] [--listen HOST:PORT] [--log-format text|json]`: the tenant lifecycle
// service, usually started as `landlord -C DIR serve --listen HOST:PORT` (which execs this binary).

let usage = """
    usage: landlord-server [-C DIR] [--listen HOST:PORT] [--log-format text|json] [--openapi]
      -C, --chdir DIR         the fleet directory (holding platform.yaml); default .
      --listen HOST:PORT      where to listen; default 127.0.0.1:8080 (anything but loopback needs api.tokensEnv)
      --log-format FORMAT     text (default): a line a person reads; json: one JSON object a line
      --openapi               print the OpenAPI 3.1 document of the API and exit
    """

func fail(_ message: String, code: Int32 = 1) -> Never {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    exit(code)
}

var dir = "."
var listen = "127.0.0.1:8080"
var format = LogFormat.text
var args = Array(CommandLine.arguments.dropFirst())
while !args.isEmpty {
    let a = args.removeFirst()
    switch a {
    case "-C", "--chdir":
        guard !args.isEmpty else { fail("\(a) needs a directory\n\(usage)", code: 64) }
        dir = args.removeFirst()
    case "--listen":
        guard !args.isEmpty else { fail("--listen needs HOST:PORT\n\(usage)", code: 64) }
        listen = args.removeFirst()
    case "--log-format":
        guard !args.isEmpty, let f = LogFormat(rawValue: args.removeFirst()) else { fail("--log-format takes text or json\n\(usage)", code: 64) }
        format = f
    case "--openapi":
        print(OpenAPIDocument.json)
        exit(0)
    case "-h", "--help":
        print(usage)
        exit(0)
    default:
        fail("unknown argument '\(a)'\n\(usage)", code: 64)
    }
}
guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
    fail("--listen takes HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080; got '\(listen)'", code: 64)
}
format.bootstrap()
let logger = Logger(label: "landlord")
let host = String(listen[..<colon])
let env = ProcessInfo.processInfo.environment
let runtime: ServiceRuntime
do {
    // Provider plugins run beside the service; what they write to stderr goes to its log.
    runtime = try await ServiceRuntime.load(root: URL(fileURLWithPath: dir).standardizedFileURL, environment: env) { plugin, line in
        logger.info("\(line)", metadata: ["plugin": .string(plugin)])
    }
} catch {
    fail(error.description)
}
// One process changes the tenant records at a time: held for the service's whole life.
let serviceLock: ServiceLock
do {
    switch try ServiceLock.acquire(root: runtime.root, holder: "landlord serve") {
    case .success(let l): serviceLock = l
    case .failure(let held):
        await runtime.shutdown()
        fail(
            "\(held.description.isEmpty ? "another process" : held.description) is changing this fleet's tenant records "
                + "(\(ServiceLock.path(root: runtime.root))); start the service when it has finished")
    }
} catch {
    await runtime.shutdown()
    fail("\(error)")
}
// With state in S3 the records are there too: one service per bucket, on any machine.
let sharedLock: SharedServiceLock?
do { sharedLock = try await SharedServiceLock.acquire(runtime: runtime) } catch {
    fail(
        "\(error); this fleet's service runs elsewhere (the lock is in its state bucket): stop that one, "
            + "or wait for its lease to end, then start again")
}
let tokens = HTTPAPI.tokens(runtime.fleet.platform, environment: env)
if let ignored = ServerStartNotes.ignoredTokenVariable(tokensEnv: runtime.fleet.platform.api.tokensEnv, environment: env) {
    logger.warning("\(ignored)")
}
// After SIGTERM the workers get this long (LANDLORD_SHUTDOWN_GRACE seconds, default 10) to stop.
let shutdownGrace = env["LANDLORD_SHUTDOWN_GRACE"].flatMap(Double.init).map { max(0, $0) } ?? 10
do {
    let metrics = APIMetrics()
    let service = try TenantService(
        runtime: runtime, environment: env, log: { logger.warning("\($0)") }, metrics: metrics, statusChanged: ServerStartNotes.logger(logger))
    try await HTTPAPI.serve(
        service, metrics: metrics, options: .init(host: host, port: port, tokens: tokens, shutdownGrace: shutdownGrace), logger: logger,
        signals: true
    ) { bound in
        let shown = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        let loopbackOnly = tokens.isEmpty ? " (no API tokens: loopback only)" : ""
        logger.info("landlord serve: listening on http://\(shown):\(bound) for fleet \(runtime.root.path)\(loopbackOnly)")
    }
} catch {
    await runtime.shutdown()
    fail("\(error)")
}
// The plugins are stopped (shutdown, then a kill after 5 s) before the process ends.
logger.info("shutdown: stopping provider plugins and releasing the service lock")
await runtime.shutdown()
await sharedLock?.release()
logger.info("shutdown: done")
