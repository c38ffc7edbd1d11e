// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Landlord",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "landlord", targets: ["landlord"]),
        /// The tenant lifecycle service, `landlord serve` (which execs this sibling binary): its own
        /// product so that building the CLI never compiles SwiftNIO and Hummingbird.
        .executable(name: "landlord-server", targets: ["landlord-server"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "4.5.2"),
        // Tests only: property-based tests of the JSON codec (ProviderAPITests).
        .package(url: "https://github.com/x-sheep/swift-property-based", exact: "2.0.1"),
        // landlord-server only (the HTTP service); the `landlord` product does not depend on it.
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        // landlord-server only: bearer tokens as Hummingbird middleware, the Prometheus text of
        // /metrics, structured logs and the ServiceGroup (the last two already under Hummingbird).
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", exact: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", exact: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types", exact: "1.8.0"),
    ],
    targets: [
        // MARK: System libraries
        /// Debian's libyaml (libyaml-dev), read as an event stream by LandlordCore/Spec.
        .systemLibrary(
            name: "CYAML",
            path: "Sources/CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        /// Debian's libpq (libpq-dev), the PostgreSQL client library of Providers/Postgres.
        .systemLibrary(
            name: "CLibPQ",
            path: "Sources/CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),

        // MARK: Infrastructure
        /// Shared plumbing: atomic private files (0600/0700), file locks, blocking I/O off the
        /// cooperative pool, token buckets and their clocks. Foundation and Synchronization only.
        .target(name: "LandlordBasics", path: "Sources/Basics"),

        // MARK: Provider API (no I/O)
        /// The provider protocol, schemas and the Value type shared by the engine and every provider.
        .target(name: "ProviderAPI", path: "Sources/ProviderAPI"),

        // MARK: Engine
        /// Specs, graph, state, plan and apply. Never prints, never imports a provider, names no provider's types.
        .target(
            name: "LandlordCore",
            dependencies: ["CYAML", "LandlordBasics", "ProviderAPI", .product(name: "Crypto", package: "swift-crypto")],
            path: "Sources/LandlordCore"
        ),

        // MARK: Providers
        /// The `aws.*` resource types' schemas (attributes, allocation, pool usage), shared by the AWS and mock providers.
        .target(name: "AWSSchema", dependencies: ["ProviderAPI"], path: "Providers/AWSSchema"),
        /// The `stripe.*` resource types' schemas and Stripe's limits on them, shared by the Stripe and mock providers.
        .target(name: "StripeSchema", dependencies: ["ProviderAPI"], path: "Providers/StripeSchema"),
        /// The dry-run provider: a simulated cloud in a JSON file serving every built-in type, enforcing each service's constraints.
        .target(
            name: "MockProvider", dependencies: ["LandlordBasics", "ProviderAPI", "AWSSchema", "StripeSchema", "PostgresSchema"],
            path: "Providers/Mock"),
        /// HTTP requests over libcurl's multi interface on a thread of their own (libcurl4-openssl-dev):
        /// connect, stall and overall deadlines, no busy wait. Small C, used by LandlordHTTP only.
        .target(name: "CLandlordCurl", path: "Sources/CLandlordCurl", linkerSettings: [.linkedLibrary("curl")]),
        /// The HTTP transport protocol and its libcurl implementation, RFC 3986 percent-encoding;
        /// shared by the HTTP clients of every provider (AWSClient, the Stripe provider).
        .target(name: "LandlordHTTP", dependencies: ["CLandlordCurl"], path: "Sources/HTTP"),
        /// The `postgres.*` resource types' schemas and input checks, shared by the PostgreSQL and mock providers.
        .target(name: "PostgresSchema", dependencies: ["ProviderAPI"], path: "Providers/PostgresSchema"),
        /// The PostgreSQL provider: schemas, roles and grants over libpq, one serialised connection per server.
        .target(name: "PostgresProvider", dependencies: ["CLibPQ", "ProviderAPI", "PostgresSchema"], path: "Providers/Postgres"),
        /// A small AWS client: SigV4, the Query/XML, REST/XML and JSON protocols over LandlordHTTP
        /// (re-exported), error parsing, retries with backoff and jitter.
        .target(
            name: "AWSClient",
            dependencies: ["LandlordHTTP", .product(name: "Crypto", package: "swift-crypto")],
            path: "Sources/AWSClient"
        ),
        /// The AWS provider: ELBv2, Route53, ECS, Cognito, DynamoDB resource types over AWSClient.
        .target(name: "AWSProvider", dependencies: ["LandlordBasics", "ProviderAPI", "AWSSchema", "AWSClient"], path: "Providers/AWS"),
        /// The Stripe provider: `stripe.customer` over Stripe's form-encoded REST API (LandlordHTTP, not AWSClient).
        .target(name: "StripeProvider", dependencies: ["ProviderAPI", "StripeSchema", "LandlordHTTP"], path: "Providers/Stripe"),

        /// Providers served by plugin processes over JSON-RPC 2.0 on stdin/stdout (Providers/PROTOCOL.md).
        .target(
            name: "PluginProvider", dependencies: ["ProviderAPI"], path: "Providers/Plugin", exclude: ["protocol.schema.json"]),

        // MARK: State backends
        /// State on the local disk under `.landlord/`: atomic 0600 documents with backups, the
        /// apply's write-ahead journal and its replay, tenant locks (one file per run under `flock`).
        .target(
            name: "LandlordLocalState", dependencies: ["LandlordBasics", "LandlordCore", "ProviderAPI"], path: "Sources/LandlordLocalState"),
        /// State in an S3 bucket: compare-and-swap writes (If-Match) and lock objects (If-None-Match).
        .target(
            name: "LandlordS3State", dependencies: ["LandlordCore", "LandlordLocalState", "ProviderAPI", "AWSClient"], path: "Sources/LandlordS3State"
        ),

        // MARK: Events
        /// Tenant lifecycle events (CloudEvents 1.0) in a durable per-sink outbox and their
        /// delivery to webhooks (Standard Webhooks signatures) and EventBridge (PutEvents), in
        /// order per tenant; shared by `landlord serve` and the CLI's apply and destroy. No SwiftNIO.
        .target(
            name: "LandlordEvents",
            dependencies: [
                "LandlordBasics", "LandlordCore", "ProviderAPI", "LandlordHTTP", "AWSClient", .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Sources/Events"
        ),

        // MARK: Examples
        /// The quickstart fleet of examples/quickstart as Swift strings (generated by
        /// scripts/embed-quickstart.sh), for `landlord init` and the tests.
        .target(name: "QuickstartFleet", path: "Sources/QuickstartFleet"),

        // MARK: Command line
        /// `landlord`: one file per verb; wires providers into the engine.
        .executableTarget(
            name: "landlord",
            dependencies: [
                "LandlordBasics", "LandlordCore", "ProviderAPI", "MockProvider", "AWSProvider", "StripeProvider", "PluginProvider",
                "PostgresProvider", "AWSSchema", "PostgresSchema", "StripeSchema",
                "LandlordLocalState",
                "LandlordS3State", "QuickstartFleet", "LandlordEvents", "LandlordLifecycle", "FleetWiring",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/landlord"
        ),

        // MARK: Fleet wiring
        /// How a fleet's platform.yaml becomes a state store, built-in providers and started
        /// plugins: one place for the CLI and the service, so the two never choose differently.
        .target(
            name: "FleetWiring",
            dependencies: [
                "LandlordCore", "ProviderAPI", "MockProvider", "AWSProvider", "StripeProvider", "PostgresProvider", "PluginProvider",
                "LandlordLocalState", "LandlordS3State", "AWSClient", "LandlordBasics",
            ],
            path: "Sources/FleetWiring"
        ),

        // MARK: Service
        /// The tenant lifecycle without HTTP: records, approvals, timeouts, the queue of applies
        /// through the engine's rollout, events. Used by `landlord tenant ...` and the service;
        /// no SwiftNIO or Hummingbird, so the CLI's build never compiles them.
        .target(
            name: "LandlordLifecycle",
            dependencies: [
                "LandlordBasics", "LandlordCore", "ProviderAPI", "MockProvider", "AWSProvider", "StripeProvider", "PostgresProvider", "LandlordHTTP",
                "LandlordLocalState", "PluginProvider",
                "LandlordS3State", "LandlordEvents", "FleetWiring",
            ],
            path: "Sources/Lifecycle"
        ),
        /// The tenant lifecycle service's HTTP API over Hummingbird (and its OpenAPI document),
        /// every request a ``TenantService`` call of LandlordLifecycle.
        .target(
            name: "LandlordService",
            dependencies: [
                "LandlordLifecycle", "LandlordCore", "ProviderAPI",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            path: "Sources/LandlordService"
        ),
        /// `landlord-server`: the service's executable, started by `landlord serve`.
        .executableTarget(name: "landlord-server", dependencies: ["LandlordService"], path: "Sources/landlord-server"),

        // MARK: Tests
        /// What several test targets share: moto access, the moto lock trait, running a process.
        .target(name: "LandlordTestSupport", dependencies: ["AWSClient"], path: "Tests/TestSupport"),
        /// Unit tests of the spec reader, graph, diff and state model.
        .testTarget(
            name: "LandlordCoreTests", dependencies: ["LandlordCore", "ProviderAPI", "AWSSchema", "MockProvider"], path: "Tests/LandlordCoreTests",
            exclude: ["Fixtures"]),
        /// The local state backend: damaged documents and backups, the journal's replay and frames.
        .testTarget(
            name: "LandlordLocalStateTests", dependencies: ["LandlordLocalState", "LandlordCore", "LandlordBasics", "ProviderAPI"],
            path: "Tests/LandlordLocalStateTests"),
        /// The JSON codec against RFC 8259: rejected inputs, and round trips of generated values.
        .testTarget(
            name: "ProviderAPITests",
            dependencies: ["ProviderAPI", .product(name: "PropertyBased", package: "swift-property-based")],
            path: "Tests/ProviderAPITests"
        ),
        /// End-to-end behaviour with the mock provider: plan, apply, change, destroy, crash, stale plan.
        .testTarget(
            name: "ScenarioTests",
            dependencies: [
                "LandlordBasics", "LandlordCore", "LandlordLocalState", "ProviderAPI", "AWSSchema", "MockProvider", "landlord", "LandlordTestSupport",
                "QuickstartFleet", "PostgresSchema", "StripeSchema",
            ],
            path: "Tests/ScenarioTests", exclude: ["Fixtures"]
        ),
        /// Plugins over the provider protocol: misbehaving test plugins (Fixtures/), the reference
        /// plugin through the CLI, the protocol's JSON Schema against captured messages.
        .testTarget(
            name: "PluginProviderTests",
            dependencies: ["PluginProvider", "ProviderAPI", "LandlordCore", "landlord", "LandlordTestSupport"],
            path: "Tests/PluginProviderTests", exclude: ["Fixtures"]),
        /// The libcurl transport against a loopback server that closes, resets and stalls.
        .testTarget(name: "LandlordHTTPTests", dependencies: ["LandlordHTTP"], path: "Tests/LandlordHTTPTests"),
        /// The AWS provider against SigV4 test vectors and moto_server.
        .testTarget(
            name: "AWSProviderTests",
            dependencies: [
                "AWSProvider", "AWSSchema", "AWSClient", "LandlordBasics", "ProviderAPI", "LandlordCore", "LandlordTestSupport", "MockProvider",
                "FleetWiring", "LandlordLocalState",
            ],
            path: "Tests/AWSProviderTests"),
        /// The Stripe provider against localstripe (LANDLORD_STRIPE_URL), directly and through the
        /// `landlord` binary; a fake transport for retries and idempotency keys; `stripe.customer` in the mock.
        .testTarget(
            name: "StripeProviderTests",
            dependencies: ["StripeProvider", "StripeSchema", "MockProvider", "LandlordHTTP", "ProviderAPI", "landlord", "LandlordTestSupport"],
            path: "Tests/StripeProviderTests"),
        /// The PostgreSQL provider against a real PostgreSQL 15 (scripts/postgres.sh), directly and through the
        /// `landlord` binary, and the mock's `postgres.*` types.
        .testTarget(
            name: "PostgresProviderTests",
            dependencies: [
                "PostgresProvider", "PostgresSchema", "MockProvider", "LandlordCore", "LandlordLocalState", "ProviderAPI", "LandlordTestSupport",
                "landlord",
            ],
            path: "Tests/PostgresProviderTests"),
        /// The S3 state backend against moto_server, directly and through the `landlord` binary.
        .testTarget(
            name: "S3StateTests",
            dependencies: [
                "LandlordS3State", "LandlordLocalState", "LandlordCore", "AWSClient", "ProviderAPI", "landlord", "LandlordTestSupport",
                "QuickstartFleet", "MockProvider",
            ],
            path: "Tests/S3StateTests"
        ),
        /// The service through HTTP on an ephemeral loopback port (HummingbirdTesting's in-process
        /// client where a socket is not the point): lifecycle, approval, timeouts, errors, auth,
        /// paging, restarts, metrics, logs, the OpenAPI document, signed webhooks.
        .testTarget(
            name: "LandlordServiceTests",
            dependencies: [
                "LandlordService", "LandlordLifecycle", "landlord-server", "landlord", "LandlordCore", "LandlordBasics", "ProviderAPI",
                "LandlordHTTP", "QuickstartFleet",
                "LandlordTestSupport", "LandlordEvents", "AWSClient", "MockProvider",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            path: "Tests/LandlordServiceTests",
            exclude: ["Fixtures"]
        ),
    ]
)

// Builds that check the engine and providers only (scripts/sanitize.sh's AddressSanitizer build,
// scripts/release-checks.sh's -O test build) set LANDLORD_WITHOUT_SERVICE=1: the service and
// SwiftNIO/Hummingbird under it are left out, which saves those builds many minutes of compiling
// code they never test. The service's own tests run in scripts/test.sh's debug build.
if Context.environment["LANDLORD_WITHOUT_SERVICE"] == "1" {
    let service: Set<String> = ["LandlordService", "landlord-server", "LandlordServiceTests"]
    package.targets.removeAll { service.contains($0.name) }
    package.products.removeAll { service.contains($0.name) }
    package.dependencies.removeAll { dependency in
        if case .sourceControl(_, let location, _) = dependency.kind {
            return ["hummingbird", "swift-prometheus", "swift-log", "swift-service-lifecycle", "swift-http-types"].contains { location.contains($0) }
        }
        return false
    }
}

// Builds that run a few test suites (scripts/release-checks.sh's -O build with AddressSanitizer,
// scripts/sanitize.sh) name their test targets in LANDLORD_TEST_TARGETS, comma-separated: the
// other test targets are left out, so those builds compile only what the named suites test.
// Unset, every test target is built.
if let only = Context.environment["LANDLORD_TEST_TARGETS"], !only.isEmpty {
    let keep = Set(only.split(separator: ",").map { String($0) })
    package.targets.removeAll { $0.type == .test && !keep.contains($0.name) }
}

// scripts/release-checks.sh's -O build sets LANDLORD_TESTS_ONONE=1: the test targets themselves
// are compiled -Onone (with the build's sanitizer), the code they test stays -O. The optimiser
// is there for the library's sake (it is what turned a freed async frame into a release-only
// crash); optimising the suites' own code only cost a third of that build's time.
if Context.environment["LANDLORD_TESTS_ONONE"] == "1" {
    for target in package.targets where target.type == .test {
        target.swiftSettings = (target.swiftSettings ?? []) + [.unsafeFlags(["-Onone"])]
    }
}
