import Foundation

/// Exponential backoff with full jitter (sleep a random time in `0...min(cap, base * 2^attempt)`),
/// bounded by a number of attempts and by the total time spent: how every HTTP client of
/// Landlord's retries (AWS, Stripe, the event sinks). Which errors are worth another attempt is
/// the client's to say (``run(_:retryable:onRetry:)``).
public struct RetryPolicy: Sendable {
    /// Attempts in all, the first included.
    public var maxAttempts: Int
    /// The backoff before the second attempt, at most (seconds).
    public var baseDelay: Double
    /// The largest single backoff (seconds).
    public var maxDelay: Double
    /// No retry starts after this many seconds since the first attempt.
    public var maxTotalTime: Double

    /// A policy of `maxAttempts` attempts, backing off from `baseDelay` up to `maxDelay` seconds,
    /// starting no retry `maxTotalTime` seconds after the first attempt. The defaults are AWS's.
    public init(maxAttempts: Int = 8, baseDelay: Double = 0.2, maxDelay: Double = 20, maxTotalTime: Double = 120) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxTotalTime = maxTotalTime
    }

    /// The default for AWS control-plane calls: 8 attempts, 0.2 s doubling up to 20 s, within 2 minutes.
    public static let standard = RetryPolicy()

    /// The full-jitter delay before retry number `retry` (0 for the first retry).
    public func delay(beforeRetry retry: Int) -> Double {
        let ceiling = min(maxDelay, baseDelay * pow(2, Double(min(retry, 30))))
        return Double.random(in: 0...max(ceiling, 0))
    }

    /// Runs `operation` until it succeeds, throws an error `retryable` refuses, or the budget is
    /// spent (then the last error is thrown). `onRetry` sees each error that is retried, with the
    /// number of the attempt that failed.
    public func run<T: Sendable>(
        _ operation: () async throws -> T, retryable: (any Error) -> Bool, onRetry: (any Error, Int) -> Void = { _, _ in }
    ) async throws -> T {
        let start = Date()
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await operation()
            } catch {
                guard retryable(error), attempt < maxAttempts else { throw error }
                let wait = delay(beforeRetry: attempt - 1)
                guard Date().timeIntervalSince(start) + wait < maxTotalTime else { throw error }
                onRetry(error, attempt)
                try? await Task.sleep(nanoseconds: UInt64(wait * 1_000_000_000))
            }
        }
    }
}
