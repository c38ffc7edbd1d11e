// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Landlord",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "landlord", targets: ["landlord"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "4.5.2"),
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

        // MARK: Provider API (no I/O)
        /// The provider protocol, schemas and the Value type shared by the engine and every provider.
        .target(name: "ProviderAPI", path: "Sources/ProviderAPI"),

        // MARK: Engine
        /// Specs, graph, state, plan and apply. Never prints, never imports a provider.
        .target(
            name: "LandlordCore",
            dependencies: ["CYAML", "ProviderAPI", .product(name: "Crypto", package: "swift-crypto")],
            path: "Sources/LandlordCore"
        ),

        // MARK: Providers
        /// The dry-run provider: a simulated cloud in a JSON file, enforcing AWS's constraints.
        .target(name: "MockProvider", dependencies: ["ProviderAPI"], path: "Providers/Mock"),
        /// A small AWS client: SigV4, an HTTP transport protocol over URLSession, the Query/XML,
        /// REST/XML and JSON protocols, error parsing, retries with backoff and jitter.
        .target(
            name: "AWSClient",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            path: "Providers/AWSClient"
        ),
        /// The AWS provider: ELBv2, Route53, ECS, Cognito, DynamoDB resource types over AWSClient.
        .target(name: "AWSProvider", dependencies: ["ProviderAPI", "AWSClient"], path: "Providers/AWS"),

        // MARK: State backends
        /// State in an S3 bucket: compare-and-swap writes (If-Match) and lock objects (If-None-Match).
        .target(name: "LandlordS3State", dependencies: ["LandlordCore", "ProviderAPI", "AWSClient"], path: "Sources/LandlordS3State"),

        // MARK: Command line
        /// `landlord`: one file per verb; wires providers into the engine.
        .executableTarget(
            name: "landlord",
            dependencies: [
                "LandlordCore", "ProviderAPI", "MockProvider", "AWSProvider", "LandlordS3State",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/landlord"
        ),

        // MARK: Tests
        /// Unit tests of the spec reader, graph, diff and state store.
        /// What several test targets share: moto access, the moto lock trait, running a process.
        .target(name: "LandlordTestSupport", dependencies: ["AWSClient"], path: "Tests/TestSupport"),
        .testTarget(name: "LandlordCoreTests", dependencies: ["LandlordCore", "ProviderAPI", "MockProvider"], path: "Tests/LandlordCoreTests"),
        /// End-to-end behaviour with the mock provider: plan, apply, change, destroy, crash, stale plan.
        .testTarget(
            name: "ScenarioTests",
            dependencies: ["LandlordCore", "ProviderAPI", "MockProvider", "landlord", "LandlordTestSupport"],
            path: "Tests/ScenarioTests"
        ),
        /// The AWS provider against SigV4 test vectors and moto_server.
        .testTarget(name: "AWSProviderTests", dependencies: ["AWSProvider", "AWSClient", "ProviderAPI", "LandlordCore", "LandlordTestSupport"], path: "Tests/AWSProviderTests"),
        /// The S3 state backend against moto_server, directly and through the `landlord` binary.
        .testTarget(
            name: "S3StateTests",
            dependencies: ["LandlordS3State", "LandlordCore", "AWSClient", "ProviderAPI", "landlord", "LandlordTestSupport"],
            path: "Tests/S3StateTests"
        ),
    ]
)
