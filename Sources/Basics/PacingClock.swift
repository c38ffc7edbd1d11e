import Foundation
import Synchronization

/// The time a `TokenBucket` paces by. Production uses `SystemPacingClock`; tests use
/// `TestPacingClock`, whose sleeps end at once by moving its time forward, so a test of 30
/// calls at 10 per second checks the same spacing without waiting 3 seconds.
public protocol PacingClock: Sendable {
    /// Seconds since an arbitrary, fixed origin; never goes back.
    func now() -> Double
    /// Waits until `now()` has advanced by `seconds`.
    func sleep(seconds: Double) async
}

/// The monotonic system clock (`ContinuousClock`).
public struct SystemPacingClock: PacingClock {
    private let origin = ContinuousClock.now

    public init() {}

    public func now() -> Double {
        let d = ContinuousClock.now - origin
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    public func sleep(seconds: Double) async {
        try? await Task.sleep(nanoseconds: UInt64((max(0, seconds) * 1e9).rounded(.up)))
    }
}

/// A clock for tests: `sleep` returns at once after moving the time to the end of the sleep
/// (never backwards, so concurrent sleepers with the same deadline move it once).
public final class TestPacingClock: PacingClock {
    private let time = Mutex<Double>(0)

    public init() {}

    public func now() -> Double { time.withLock { $0 } }

    public func sleep(seconds: Double) async {
        time.withLock { t in
            // Always move forward: a wait too small to change the time would never end.
            let deadline = t + max(0, seconds)
            t = Swift.max(deadline, t.nextUp)
        }
        await Task.yield()
    }

    /// Moves the time forward by `seconds` (a test's "meanwhile").
    public func advance(_ seconds: Double) { time.withLock { $0 += max(0, seconds) } }
}
