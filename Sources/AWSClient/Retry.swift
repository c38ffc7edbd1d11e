extension RetryPolicy {
    /// Runs `operation` until it succeeds, throws an `AWSError` that is not retryable (or any
    /// other error), or the budget is spent. `onRetry` sees each error that is retried.
    public func run<T: Sendable>(_ operation: () async throws -> T, onRetry: (AWSError, Int) -> Void = { _, _ in }) async throws -> T {
        try await run(
            operation, retryable: { ($0 as? AWSError)?.isRetryable == true },
            onRetry: { error, attempt in
                if let error = error as? AWSError { onRetry(error, attempt) }
            })
    }
}
