import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One running plugin: a child process with pipes on stdin, stdout and stderr. Lines from
/// stdout go to `onLine` (from a reader thread, in order); stderr goes to the log; when stdout
/// ends, `onEnd` says how the process ended.
// @unchecked: `process` and the pipes are set up in init before `run()` and afterwards only
// read (processIdentifier) or signalled; `exitStatus` and `inputOpen` are behind Mutexes.
final class PluginProcess: @unchecked Sendable {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let errors = Pipe()
    private let inputOpen = Mutex(true)
    private let exitStatus = Mutex<String?>(nil)
    private let stderrDone = DispatchSemaphore(value: 0)
    let log: StderrLog

    /// Starts `settings.command` (through /usr/bin/env, so it is looked up on the plugin's PATH).
    init(
        _ settings: PluginSettings, log: StderrLog, onLine: @escaping @Sendable ([UInt8]) -> Void, onEnd: @escaping @Sendable (String) -> Void
    ) throws {
        Self.ignoreSIGPIPE
        self.log = log
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = settings.command
        process.currentDirectoryURL = settings.directory
        process.environment = settings.processEnvironment
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        process.terminationHandler = { [weak self] p in
            let how =
                p.terminationReason == .uncaughtSignal
                ? "was killed by signal \(p.terminationStatus)" : "exited with status \(p.terminationStatus)"
            self?.exitStatus.withLock { $0 = how }
        }
        try process.run()
        let outFD = output.fileHandleForReading.fileDescriptor
        let errFD = errors.fileHandleForReading.fileDescriptor
        let done = stderrDone
        Thread {
            Self.readLines(errFD) { log.append(String(decoding: $0, as: UTF8.self)) }
            done.signal()
        }.start()
        Thread { [self] in
            Self.readLines(outFD, onLine)
            // Let stderr drain and the exit status arrive, so the report quotes the last words.
            _ = done.wait(timeout: .now() + 2)
            done.signal()
            onEnd(waitForExit(seconds: 2) ?? "closed its standard output")
        }.start()
    }

    /// Ignoring SIGPIPE once per process: a write to a plugin that died fails with EPIPE
    /// instead of killing landlord.
    private static let ignoreSIGPIPE: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    /// The process id, for messages.
    var pid: Int32 { process.processIdentifier }

    /// How the process ended, once it has.
    var ended: String? { exitStatus.withLock { $0 } }

    /// Writes one whole message (lines never interleave); false when the plugin's stdin is closed.
    func write(_ bytes: [UInt8]) -> Bool {
        let fd = input.fileHandleForWriting.fileDescriptor
        return inputOpen.withLock { open in
            guard open else { return false }
            var offset = 0
            while offset < bytes.count {
                let n = bytes.withUnsafeBytes { buf in systemWrite(fd, buf.baseAddress! + offset, buf.count - offset) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 {
                    open = false
                    return false
                }
                offset += n
            }
            return true
        }
    }

    /// Closes the plugin's stdin (it should exit on end of input).
    func closeInput() {
        inputOpen.withLock { open in
            guard open else { return }
            open = false
            try? input.fileHandleForWriting.close()
        }
    }

    /// Kills the process at once (SIGKILL).
    func kill() {
        if exitStatus.withLock({ $0 }) == nil { systemKill(process.processIdentifier) }
        closeInput()
    }

    /// Polls for the exit for up to `seconds`; how it ended, or nil while it still runs.
    func waitForExit(seconds: Double) -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            if let how = exitStatus.withLock({ $0 }) { return how }
            if Date() >= deadline { return nil }
            usleep(10_000)
        }
    }

    /// Reads `fd` to its end, calling `body` with each line (without its newline; a last line
    /// without one counts too).
    private static func readLines(_ fd: Int32, _ body: ([UInt8]) -> Void) {
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            var start = 0
            for i in 0..<n where buffer[i] == 0x0A {
                if pending.isEmpty {
                    body(Array(buffer[start..<i]))
                } else {
                    pending.append(contentsOf: buffer[start..<i])
                    body(pending)
                    pending.removeAll(keepingCapacity: true)
                }
                start = i + 1
            }
            if start < n { pending.append(contentsOf: buffer[start..<n]) }
        }
        if !pending.isEmpty { body(pending) }
    }
}

// The C calls under names that methods of PluginProcess (`write`, `kill`) do not shadow.
private func systemWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int { write(fd, p, n) }
private func systemRead(_ fd: Int32, _ p: UnsafeMutableRawPointer, _ n: Int) -> Int { read(fd, p, n) }
private func systemKill(_ pid: Int32) { _ = kill(pid, SIGKILL) }
