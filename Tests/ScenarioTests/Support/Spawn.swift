import Foundation

/// A process started in the background, its output collected as it runs, so several can run
/// at once (concurrent applies) or one can run long (the crash-test script).
final class Spawned: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var out = Data(), err = Data()
    private var open = 2

    /// Starts `executable` with `args`; `env` is added to this process's environment.
    init(_ executable: URL, _ args: [String], env extra: [String: String] = [:]) throws {
        process.executableURL = executable
        process.arguments = args
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        for (k, v) in extra { env[k] = v }
        process.environment = env
        let o = Pipe(), e = Pipe()
        process.standardOutput = o
        process.standardError = e
        process.standardInput = FileHandle.nullDevice
        try process.run()
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

    /// Starts the `landlord` binary under test.
    static func landlord(_ args: [String], env: [String: String] = [:]) throws -> Spawned {
        try Spawned(CLI.binary, args, env: env)
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// Waits for the process to exit and its output to be read.
    func finish() -> CLI.Run {
        process.waitUntilExit()
        while lock.withLock({ open > 0 }) { usleep(5_000) }
        return lock.withLock {
            CLI.Run(code: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
        }
    }
}

/// Polls `condition` every 10 ms until it holds or `seconds` pass; true when it held. For
/// waiting on another process's progress (a lock file appearing), never for asserting speed.
func eventually(within seconds: Double = 30, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}
