import LandlordBasics
import Synchronization

/// A deliverer's wake-up call: `signal()` ends the wait under way, or the next one if none is
/// (one signal is kept); a wait also ends after its time, or when its task is cancelled.
///
/// An `AsyncStream` raced against a timer cannot do this: cancelling the task that iterates the
/// stream (when the timer wins) ends the stream for good, so every later wait returned at
/// once, and a service with events configured listed its outbox as fast as it could (a core
/// and, with S3 state, a ListObjectsV2 call every few milliseconds).
final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    init() {}

    /// Wakes the waiter, or the next wait.
    func signal() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard let w = s.waiter else {
                s.pending = true
                return nil
            }
            s.waiter = nil
            return w
        }
        waiter?.resume()
    }

    /// Returns at a signal (one given since the last wait included), after `seconds` of
    /// `clock`, or when the task is cancelled. One waiter at a time.
    func wait(_ seconds: Double, clock: any PacingClock) async {
        if state.withLock({ s in
            defer { s.pending = false }
            return s.pending
        }) {
            return
        }
        let timer = Task { [self] in
            await clock.sleep(seconds: seconds)
            if !Task.isCancelled { signal() }
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if s.pending {
                        s.pending = false
                        return true
                    }
                    s.waiter = c
                    return false
                }
                if now { c.resume() }
            }
        } onCancel: {
            signal()
        }
        timer.cancel()
        // A timer that fired after a signal ended the wait leaves a stale signal: the next wait
        // returns at once, and the deliverer only looks once more.
    }
}
