import Foundation

/// Runs the built `landlord` binary, as a user or CI would.
struct CLI {
    struct Run {
        var code: Int32
        var stdout: String
        var stderr: String
    }

    /// The binary next to the test bundle (the test target depends on it, so it is built).
    static var binary: URL {
        let bundleDir = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).deletingLastPathComponent()
        for candidate in [bundleDir.appendingPathComponent("landlord"), bundleDir.deletingLastPathComponent().appendingPathComponent("landlord"),
                          repoRoot.appendingPathComponent(".build/debug/landlord")] where FileManager.default.isExecutableFile(atPath: candidate.path) {
            return candidate
        }
        return repoRoot.appendingPathComponent(".build/debug/landlord")
    }

    /// Runs the binary and waits for it on a thread of its own (a blocking wait would hold one
    /// of the test runner's few cooperative threads and stall every other test).
    static func run(_ args: [String], env extra: [String: String] = [:], stdin: String? = nil) async throws -> Run {
        try await withCheckedThrowingContinuation { cont in
            DispatchQueue.global().async { cont.resume(with: Result { try runBlocking(args, env: extra, stdin: stdin) }) }
        }
    }

    static func runBlocking(_ args: [String], env extra: [String: String] = [:], stdin: String? = nil) throws -> Run {
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        for (k, v) in extra { env[k] = v }
        p.environment = env
        let out = Pipe(), err = Pipe(), input = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = input
        try p.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? input.fileHandleForWriting.close()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Run(code: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }
}
