import Foundation

/// What a finished process printed and how it ended.
public struct ProcessRun: Sendable {
    public var code: Int32
    public var stdout: String
    public var stderr: String
    public var all: String { stdout + stderr }

    public init(code: Int32, stdout: String, stderr: String) {
        self.code = code
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// A process started in the background, its output collected as it runs, so several can run
/// at once (concurrent applies) or one can run long (the crash-test script).
public final class Spawned: @unchecked Sendable {
    public let process = Process()
    private let lock = NSLock()
    private var out = Data(), err = Data()
    private var open = 2

    /// Starts `executable` with `args`, in `base` (this process's environment unless given)
    /// plus `extra` and NO_COLOR; `stdin` is written to its standard input, then closed.
    public init(_ executable: URL, _ args: [String], env extra: [String: String] = [:], base: [String: String]? = nil, stdin: String? = nil) throws {
        process.executableURL = executable
        process.arguments = args
        var env = base ?? ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        for (k, v) in extra { env[k] = v }
        process.environment = env
        let o = Pipe()
        let e = Pipe()
        process.standardOutput = o
        process.standardError = e
        let input = stdin.map { _ in Pipe() }
        process.standardInput = input ?? FileHandle.nullDevice
        try process.run()
        if let input, let stdin {
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try? input.fileHandleForWriting.close()
        }
        for (pipe, isOut) in [(o, true), (e, false)] {
            Thread {
                let d = pipe.fileHandleForReading.readDataToEndOfFile()
                self.lock.withLock {
                    if isOut { self.out = d } else { self.err = d }
                    self.open -= 1
                }
            }.start()
        }
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    /// Waits for the process to exit and its output to be read.
    public func finish() -> ProcessRun {
        process.waitUntilExit()
        while lock.withLock({ open > 0 }) { usleep(5_000) }
        return lock.withLock {
            ProcessRun(code: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
        }
    }

    /// The `landlord` binary of this build: next to the test bundle (test targets that run it
    /// depend on it, so it is built), else `.build/debug/landlord` under `repoRoot`.
    public static func landlordBinary(repoRoot: URL) -> URL {
        let bundleDir = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).deletingLastPathComponent()
        for candidate in [
            bundleDir.appendingPathComponent("landlord"), bundleDir.deletingLastPathComponent().appendingPathComponent("landlord"),
            repoRoot.appendingPathComponent(".build/debug/landlord"),
        ] where FileManager.default.isExecutableFile(atPath: candidate.path) {
            return candidate
        }
        return repoRoot.appendingPathComponent(".build/debug/landlord")
    }

    /// Runs a process to the end on a thread of its own (a blocking wait would hold one of the
    /// test runner's few cooperative threads and stall every other test).
    public static func run(_ executable: URL, _ args: [String], env: [String: String] = [:], base: [String: String]? = nil, stdin: String? = nil)
        async throws -> ProcessRun
    {
        try await withCheckedThrowingContinuation { cont in
            DispatchQueue.global().async {
                cont.resume(with: Result { try Spawned(executable, args, env: env, base: base, stdin: stdin).finish() })
            }
        }
    }
}

/// Polls `condition` every 10 ms until it holds or `seconds` pass; true when it held. For
/// waiting on another process's progress (a lock file appearing), never for asserting speed.
public func eventually(within seconds: Double = 30, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}
