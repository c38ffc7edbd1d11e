import Dispatch

/// Runs blocking work (file writes with fsync, `flock`) on threads of its own, so the few
/// threads of Swift's cooperative pool (one per core) keep running other tasks meanwhile.
/// Without it, a 2-core machine had two fsyncs in flight at a time, whatever `--parallelism`.
public enum BlockingIO {
    private static let queue = DispatchQueue(label: "landlord.blocking-io", attributes: .concurrent)
    /// At most this many blocking calls at once (the disk merges concurrent fsyncs).
    private static let slots = DispatchSemaphore(value: 64)

    /// Runs `body` off the cooperative pool and returns its result.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (cont: CheckedContinuation<T, Error>) in
            queue.async {
                slots.wait()
                defer { slots.signal() }
                do { cont.resume(returning: try body()) } catch { cont.resume(throwing: error) }
            }
        }
    }
}
