import Foundation
import LandlordBasics
import LandlordCore
import LandlordService
import ProviderAPI
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The service's own work (planning, applying) runs below the requests' priority, and the
/// helpers it hands work to keep it there: blocking I/O goes to background threads, and a
/// parallel map on a thread below the process's priority stays on that thread.
@Suite struct WorkerPriorityTests {
    /// The calling thread's nice value (Linux keeps one a thread); nil elsewhere.
    static func threadNice() -> Int32? {
        #if os(Linux)
            return getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        #else
            return nil
        #endif
    }

    /// Records the priority of the task each apply event is handled in.
    final class PriorityObserver: ApplyObserver {
        let seen = Mutex<Set<Int>>([])
        func handle(_ event: ApplyEvent) { seen.withLock { _ = $0.insert(Int(Task.currentPriority.rawValue)) } }
    }

    @Test func theServiceAppliesAtBackgroundPriority() async throws {
        let f = try ServiceFixture()
        let runtime = try await ServiceRuntime.load(root: f.dir, environment: f.env)
        let observer = PriorityObserver()
        let service = try TenantService(runtime: runtime, environment: f.env, lockTimeout: 5, log: { _ in }, observe: { _ in observer })
        // Started as the server starts it: from a task at the requests' (default) priority.
        let worker = Task { await service.run() }
        let created = await service.create(
            TenantRequest(id: "prio", blueprint: "web", parameters: ["subdomain": .string("prio"), "backendImage": .string("img:1")]))
        #expect((try? created.get())?["status"]?.stringValue == "provisioning")
        let end = Date().addingTimeInterval(60)
        var status = ""
        while Date() < end {
            status = (try? await service.get("prio").get())?["status"]?.stringValue ?? ""
            if status == "active" { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        service.stopTakingWork()
        await worker.value
        await runtime.shutdown()
        #expect(status == "active")
        // Events handled inside a task (0: outside any task, as on a dispatch thread).
        let priorities = observer.seen.withLock { $0 }.subtracting([0])
        #expect(!priorities.isEmpty)
        #expect(priorities == [Int(TaskPriority.background.rawValue)], "\(priorities)")
    }

    @Test func blockingIOFromBackgroundWorkRunsOnNicerThreads() async throws {
        let normal = try await BlockingIO.run { Self.threadNice() }
        // Waited for through a continuation: awaiting the task's value would lift it to this one's priority.
        let background = await withCheckedContinuation { (done: CheckedContinuation<Int32?, Never>) in
            Task.detached(priority: .background) { done.resume(returning: (try? await BlockingIO.run { Self.threadNice() }) ?? nil) }
        }
        guard let normal, let background else { return }  // no per-thread nice value off Linux
        #expect(background > normal, "background \(background), default \(normal)")
    }

    @Test func aParallelMapBelowTheProcessPriorityStaysOnItsThread() async throws {
        #if os(Linux)
            let process = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(getpid()))
            guard process < 19 else { return }  // the whole process already runs at the lowest priority
            let threads = await withCheckedContinuation { (done: CheckedContinuation<Set<String>, Never>) in
                Thread.detachNewThread {
                    _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, process + 1)
                    let ids = ParallelMap.map(Array(0..<256)) { _ in
                        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self")) ?? "?"
                    }
                    done.resume(returning: Set(ids))
                }
            }
            #expect(threads.count == 1, "\(threads)")
        #endif
    }
}
