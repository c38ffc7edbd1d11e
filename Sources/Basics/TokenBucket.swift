import Foundation

/// A token bucket that paces calls to one API, shared by all concurrent work in the process.
/// A throttling answer halves the rate (multiplicative decrease); each success adds back a
/// little of it, up to the configured rate (additive increase).
public actor TokenBucket {
    /// Calls per second allowed at most (the configured rate).
    public let maxRate: Double
    /// Calls per second allowed now.
    public private(set) var rate: Double
    /// Tokens the bucket holds when full.
    public let burst: Double
    private var tokens: Double
    private var last: Double
    /// The time pacing is measured in (a test clock in tests).
    public nonisolated let clock: any PacingClock

    /// `rate` calls per second with bursts of up to `burst` (default 1: calls evenly paced,
    /// so no one-second window sees more than `rate`), timed by `clock`.
    public init(rate: Double, burst: Double = 1, clock: any PacingClock = SystemPacingClock()) {
        maxRate = max(0.01, rate)
        self.rate = maxRate
        self.burst = max(1, burst)
        tokens = max(1, burst)
        self.clock = clock
        last = clock.now()
    }

    private func refill() {
        let now = clock.now()
        let elapsed = max(0, now - last)
        last = now
        tokens = min(burst, tokens + elapsed * rate)
    }

    /// Waits until a call may go out, and takes its token. The check is made again after every
    /// sleep, so a stalled process that wakes late still never sends a burst.
    public func take() async {
        while true {
            refill()
            // A token within rounding of whole counts: a wait of exactly the missing fraction
            // can leave 0.9999999 behind.
            if tokens >= 1 - 1e-9 {
                tokens -= 1
                return
            }
            let wait = (1 - tokens) / rate
            await clock.sleep(seconds: wait)
        }
    }

    /// The API answered "slow down": halve the rate (not below 1% of the maximum).
    public func throttled() {
        rate = max(maxRate / 100, rate / 2)
        tokens = min(tokens, 0)
    }

    /// A call went through: recover a little rate.
    public func succeeded() {
        rate = min(maxRate, rate + maxRate / 20)
    }
}
