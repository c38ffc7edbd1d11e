import Foundation

/// Exponential backoff with full jitter (sleep a random time in `0...min(cap, base * 2^attempt)`),
/// bounded by a number of attempts and by the total time spent.
public struct RetryPolicy: Sendable {
    /// Attempts in all, the first included.
    public var maxAttempts: Int
    /// The backoff before the second attempt, at most (seconds).
    public var baseDelay: Double
    /// The largest single backoff (seconds).
    public var maxDelay: Double
    /// No retry starts after this many seconds since the first attempt.
    public var maxTotalTime: Double

    public init(maxAttempts: Int = 8, baseDelay: Double = 0.2, maxDelay: Double = 20, maxTotalTime: Double = 120) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxTotalTime = maxTotalTime
    }

    /// The default for AWS control-plane calls.
    public static let standard = RetryPolicy()

    /// The full-jitter delay before retry number `retry` (0 for the first retry).
    public func delay(beforeRetry retry: Int) -> Double {
        let ceiling = min(maxDelay, baseDelay * pow(2, Double(min(retry, 30))))
        return Double.random(in: 0...max(ceiling, 0))
    }

    /// Runs `operation` until it succeeds, throws a non-retryable `AWSError`, or the budget is
    /// spent (then the last error is thrown). `onRetry` sees each error that is retried.
    public func run<T: Sendable>(
        _ operation: () async throws -> T, onRetry: (AWSError, Int) -> Void = { _, _ in }
    ) async throws -> T {
        let start = Date()
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await operation()
            } catch let error as AWSError {
                guard error.isRetryable, attempt < maxAttempts else { throw error }
                let wait = delay(beforeRetry: attempt - 1)
                guard Date().timeIntervalSince(start) + wait < maxTotalTime else { throw error }
                onRetry(error, attempt)
                try? await Task.sleep(nanoseconds: UInt64(wait * 1_000_000_000))
            }
        }
    }
}
