import Dispatch
import Foundation
import Synchronization

/// Threads of the process's own for blocking calls that must run side by side, such as the
/// fsyncs of one group-commit batch (the filesystem's journal merges fsyncs in flight together
/// into one commit, but only those in flight).
///
/// libdispatch's pool on Linux sizes itself to the cores and adds one thread a second while its
/// threads are blocked, so fsyncs handed to a concurrent `DispatchQueue` ran about two at a
/// time: 150 small files took several journal commits in a row instead of one or two. These
/// threads are started on demand, up to ``limit``, and then kept (parked on a semaphore).
final class BlockingThreads: Sendable {
    /// The threads shared by every group committer in the process.
    static let shared = BlockingThreads(limit: 32)

    /// At most this many threads (and so calls in flight).
    let limit: Int

    private struct Pool: Sendable {
        var jobs: [@Sendable () -> Void] = []
        /// Jobs queued or running.
        var outstanding = 0
        var started = 0
    }

    private let pool = Mutex(Pool())
    private let queued = DispatchSemaphore(value: 0)

    init(limit: Int) { self.limit = limit }

    /// Runs `body` on every item at once (up to ``limit`` at a time), blocking the caller until
    /// all have returned; the results in the items' order.
    func run<T: Sendable>(_ items: [T], _ body: @escaping @Sendable (T) -> Bool) -> [Bool] {
        if items.count <= 1 { return items.map(body) }
        let results = Results(items.count)
        let group = DispatchGroup()
        var jobs: [@Sendable () -> Void] = []
        for (i, item) in items.enumerated() {
            group.enter()
            jobs.append {
                results.set(i, body(item))
                group.leave()
            }
        }
        let spawn = pool.withLock { p in
            p.jobs += jobs
            p.outstanding += jobs.count
            let n = max(0, min(limit, p.outstanding) - p.started)
            p.started += n
            return n
        }
        for _ in 0..<spawn {
            let t = Thread { self.work() }
            t.name = "landlord.blocking"
            t.start()
        }
        for _ in jobs { queued.signal() }
        group.wait()
        return results.all
    }

    private func work() {
        while true {
            queued.wait()
            guard let job = pool.withLock({ p in p.jobs.isEmpty ? nil : p.jobs.removeFirst() }) else { continue }
            job()
            pool.withLock { $0.outstanding -= 1 }
        }
    }

    /// The results of one ``run(_:_:)``, filled in by the threads.
    private final class Results: Sendable {
        private let values: Mutex<[Bool]>
        init(_ n: Int) { values = Mutex([Bool](repeating: false, count: n)) }
        func set(_ i: Int, _ ok: Bool) { values.withLock { $0[i] = ok } }
        var all: [Bool] { values.withLock { $0 } }
    }
}
