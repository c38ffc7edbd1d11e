import Foundation
import Hummingbird
import LandlordCore
@_exported import LandlordLifecycle
import Logging
import ProviderAPI
import ServiceLifecycle

/// The service's HTTP API: Hummingbird's router and middleware (``APIRoutes``) over a
/// ``TenantService``, run with its workers in a ServiceGroup that shuts down gracefully.
public enum HTTPAPI {
    /// Where the service listens and whom it lets in.
    public struct Options: Sendable {
        public var host: String
        public var port: Int
        /// Accepted bearer tokens; empty: no authentication, which only a loopback address allows.
        public var tokens: [String]
        /// After SIGTERM/SIGINT (with `signals`), how long the workers get to finish the batch
        /// in hand before they are cancelled; nil: wait for them however long it takes.
        /// Stopping them then is safe: everything the service owes is recorded before it is
        /// answered, so the next start resumes it, as after a SIGKILL.
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

    /// Seconds the workers get after the grace period, once cancelled, before ServiceGroup
    /// ends the process (a stuck call that ignores cancellation must not keep it alive).
    static let cancellationLimit = 5.0

    /// True for 127.0.0.0/8, ::1 and localhost.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// The tokens of `api.tokensEnv` (comma-separated, blanks ignored).
    public static func tokens(_ platform: PlatformSpec, environment: [String: String]) -> [String] {
        guard let name = platform.api.tokensEnv, let raw = environment[name] else { return [] }
        return raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The Hummingbird application serving `service`'s API (not its workers).
    public static func application(
        _ service: TenantService, metrics: APIMetrics, options: Options, logger: Logger,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = APIRoutes(service: service, metrics: metrics).router(tokens: options.tokens)
        let host = options.host.hasPrefix("[") ? String(options.host.dropFirst().dropLast()) : options.host
        return Application(
            router: router, configuration: .init(address: .hostname(host, port: options.port), serverName: "landlord"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? options.port) }, logger: logger)
    }

    /// Serves `service` until the task is cancelled (or, with `signals`, until SIGTERM/SIGINT
    /// starts a graceful shutdown: the server stops taking requests and answers those in
    /// flight, then the workers finish the batch in hand), running its workers alongside;
    /// `onRunning` gets the bound port (useful with port 0).
    public static func serve(
        _ service: TenantService, metrics: APIMetrics, options: Options, logger: Logger = Logger(label: "landlord"), signals: Bool = false,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        guard !options.tokens.isEmpty || isLoopback(options.host) else {
            throw StartError(
                description: "no API token is configured, so the service listens only on a loopback address (127.0.0.1): "
                    + "set `api: {tokensEnv: LANDLORD_API_TOKENS}` in platform.yaml and export LANDLORD_API_TOKENS=token1,token2, "
                    + "or use --listen 127.0.0.1:PORT")
        }
        let app = application(service, metrics: metrics, options: options, logger: logger, onRunning: onRunning)
        // Shut down in reverse order: the server first (no new work), then the workers.
        var configuration = ServiceGroupConfiguration(
            services: [
                .init(service: LifecycleWorkers(service: service, logger: logger), successTerminationBehavior: .gracefullyShutdownGroup),
                .init(service: app, successTerminationBehavior: .gracefullyShutdownGroup),
            ],
            gracefulShutdownSignals: signals ? [.sigterm, .sigint] : [], logger: logger)
        if signals, let grace = options.shutdownGrace {
            configuration.maximumGracefulShutdownDuration = .milliseconds(Int64(grace * 1000))
            configuration.maximumCancellationDuration = .milliseconds(Int64(cancellationLimit * 1000))
        }
        try await ServiceGroup(configuration: configuration).run()
    }
}

/// The lifecycle's workers (the apply queue, approval timeouts, event delivery) as a service
/// of the group: on graceful shutdown they finish the batch in hand and stop taking new work.
struct LifecycleWorkers: Service {
    let service: TenantService
    let logger: Logger

    func run() async throws {
        await withGracefulShutdownHandler {
            await service.run()
        } onGracefulShutdown: {
            logger.info("shutdown: the server stopped taking requests; the workers finish the batch in hand")
            service.stopTakingWork()
        }
        logger.info("shutdown: the workers stopped; what is still queued is recorded and resumes at the next start")
    }
}
