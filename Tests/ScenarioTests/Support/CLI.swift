import Foundation
import LandlordTestSupport

/// Runs the built `landlord` binary, as a user or CI would.
enum CLI {
    typealias Run = ProcessRun

    /// The binary under test.
    static var binary: URL { Spawned.landlordBinary(repoRoot: repoRoot) }

    /// Runs the binary to the end; `env` is added to this process's environment.
    static func run(_ args: [String], env: [String: String] = [:], stdin: String? = nil) async throws -> Run {
        try await Spawned.run(binary, args, env: env, stdin: stdin)
    }
}

extension Spawned {
    /// Starts the `landlord` binary under test.
    static func landlord(_ args: [String], env: [String: String] = [:]) throws -> Spawned {
        try Spawned(CLI.binary, args, env: env)
    }
}
