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
/// at once (concurrent applies) or one can run long (the crash-test script). Waiting for it
/// (`finish`) suspends the test, never blocks one of the runner's few threads.
// @unchecked: `out`, `err`, `open`, `exit` and `waiters` are read and written only under `lock`.
public final class Spawned: @unchecked Sendable {
    public let process = Process()
    private let lock = NSLock()
    private var out = Data(), err = Data()
    private var open = 2
    private var exit: Int32?
    private var waiters: [CheckedContinuation<ProcessRun, Never>] = []

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
        process.terminationHandler = { [weak self] p in self?.update { $0.exit = p.terminationStatus } }
        try process.run()
        if let input, let stdin {
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try? input.fileHandleForWriting.close()
        }
        for (pipe, isOut) in [(o, true), (e, false)] {
            Thread {
                // Read as it comes (``output`` shows it while the process runs) until the end.
                while true {
                    let d = pipe.fileHandleForReading.availableData
                    self.update { me in
                        if d.isEmpty {
                            me.open -= 1
                        } else if isOut {
                            me.out.append(d)
                        } else {
                            me.err.append(d)
                        }
                    }
                    if d.isEmpty { break }
                }
            }.start()
        }
    }

    /// What it printed so far (standard output, then standard error), for waiting on its progress.
    public var output: String {
        lock.withLock { String(decoding: out, as: UTF8.self) + String(decoding: err, as: UTF8.self) }
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    /// Changes the state under the lock; once the process has exited and both pipes are read,
    /// resumes every `finish()` waiting for it.
    private func update(_ change: (Spawned) -> Void) {
        let (ready, result): ([CheckedContinuation<ProcessRun, Never>], ProcessRun?) = lock.withLock {
            change(self)
            guard let run = completed else { return ([], nil) }
            defer { waiters = [] }
            return (waiters, run)
        }
        if let result { for w in ready { w.resume(returning: result) } }
    }

    /// The result, once the process exited and its output was read (call under `lock`).
    private var completed: ProcessRun? {
        guard let exit, open == 0 else { return nil }
        return ProcessRun(code: exit, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
    }

    /// Waits (suspending, not blocking) for the process to exit and its output to be read.
    public func finish() async -> ProcessRun {
        await withCheckedContinuation { cont in
            let done: ProcessRun? = lock.withLock {
                if let run = completed { return run }
                waiters.append(cont)
                return nil
            }
            if let done { cont.resume(returning: done) }
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

    /// Runs a process to the end.
    public static func run(
        _ executable: URL, _ args: [String], env: [String: String] = [:], base: [String: String]? = nil, stdin: String? = nil
    ) async throws -> ProcessRun {
        try await Spawned(executable, args, env: env, base: base, stdin: stdin).finish()
    }
}

/// Checks `condition` every 10 ms until it holds or `seconds` pass; true when it held. The
/// polling runs on a thread of its own: the test suspends meanwhile, holding none of the
/// runner's few cooperative threads, and a busy runner cannot delay the checks (a sleeping
/// task on a saturated pool woke seconds late, after the watched process had finished). For
/// waiting on another process's progress (a lock file appearing), never for asserting speed.
public func eventually(within seconds: Double = 30, _ condition: @escaping @Sendable () -> Bool) async -> Bool {
    await withCheckedContinuation { cont in
        Thread {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if condition() { return cont.resume(returning: true) }
                usleep(10_000)
            }
            cont.resume(returning: condition())
        }.start()
    }
}
