import Foundation
import Synchronization

/// The time a `TokenBucket` paces by, the event outbox's deliverers wait and back off by, and
/// the tenant lifecycle stamps records and approval deadlines with. Production uses
/// `SystemPacingClock`; tests use `TestPacingClock`, whose sleeps end at once by moving its time
/// forward (a test of 30 calls at 10 per second checks the same spacing without waiting 3
/// seconds), or `ManualPacingClock`, whose time moves only when the test moves it.
public protocol PacingClock: Sendable {
    /// Seconds since an arbitrary, fixed origin; never goes back.
    func now() -> Double
    /// Waits until `now()` has advanced by `seconds` (or the task is cancelled).
    func sleep(seconds: Double) async
    /// The wall-clock time (records' time stamps, approval deadlines, retry times).
    func date() -> Date
}

extension PacingClock {
    /// The system's wall clock.
    public func date() -> Date { Date() }
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
    private let start: Date

    /// A clock at `start` (its `date()`; `now()` is 0 there).
    public init(start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { self.start = start }

    public func now() -> Double { time.withLock { $0 } }

    public func date() -> Date { start.addingTimeInterval(now()) }

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

/// A clock for tests that stands still: a `sleep` lasts until ``advance(_:)`` moves the time to
/// its end (or its task is cancelled), so a test sees every wait (``sleepers``) and decides when
/// each ends, instead of waiting real seconds for a timer.
public final class ManualPacingClock: PacingClock {
    private struct Sleeper {
        var until: Double
        var resume: CheckedContinuation<Void, Never>
    }

    private struct State {
        var time: Double = 0
        var next: UInt64 = 0
        var sleepers: [UInt64: Sleeper] = [:]
        /// Sleeps cancelled before they began waiting.
        var cancelled: Set<UInt64> = []
    }

    private let state = Mutex(State())
    private let start: Date

    /// A clock at `start` (its `date()`; `now()` is 0 there).
    public init(start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { self.start = start }

    public func now() -> Double { state.withLock { $0.time } }

    public func date() -> Date { start.addingTimeInterval(now()) }

    /// How many sleeps are waiting for the time to move.
    public var sleepers: Int { state.withLock { $0.sleepers.count } }

    public func sleep(seconds: Double) async {
        let id = state.withLock { s in
            s.next += 1
            return s.next
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if s.cancelled.remove(id) != nil || seconds <= 0 { return true }
                    s.sleepers[id] = Sleeper(until: s.time + seconds, resume: c)
                    return false
                }
                if now { c.resume() }
            }
        } onCancel: {
            let waiting = state.withLock { s -> CheckedContinuation<Void, Never>? in
                if let w = s.sleepers.removeValue(forKey: id) { return w.resume }
                s.cancelled.insert(id)
                return nil
            }
            waiting?.resume()
        }
    }

    /// Moves the time forward by `seconds`, ending the sleeps that reach their end.
    public func advance(_ seconds: Double) {
        let due = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.time += max(0, seconds)
            let ended = s.sleepers.filter { $0.value.until <= s.time }
            for id in ended.keys { s.sleepers[id] = nil }
            return ended.values.map(\.resume)
        }
        for c in due { c.resume() }
    }
}
