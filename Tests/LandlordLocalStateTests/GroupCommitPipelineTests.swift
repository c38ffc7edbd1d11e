import Dispatch
import Foundation
import LandlordBasics
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `GroupCommit` as a pipeline, watched through its sync hook: a caller is answered only after
/// its bytes and then its rename are synced; callers that arrive while a round's directories
/// are being synced have their files staged and synced meanwhile, and are all published in the
/// next round, none lost, in the order they were handed in.
@Suite struct GroupCommitPipelineTests {
    /// What the hook saw, in order, shared with the committer's threads.
    final class Log: Sendable {
        let lines = Mutex<[String]>([])
        func add(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    /// Holds the first directory sync until released.
    final class Gate: Sendable {
        let held = Mutex(false)
        let open = DispatchSemaphore(value: 0)
        func holdFirst() {
            let first = held.withLock { h in
                defer { h = true }
                return !h
            }
            if first { open.wait() }
        }
    }

    func tempDir() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("landlord-group-pipeline-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func text(_ path: String) -> String { AtomicFile.read(path).map { String(decoding: $0, as: UTF8.self) } ?? "-" }

    /// Polls `condition` (a guard against a hang, not a timing: the pipeline needs no clock).
    func eventually(_ condition: () -> Bool) async -> Bool {
        for _ in 0..<3_000 {
            if condition() { return true }
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
        return condition()
    }

    @Test func aCallerIsAnsweredOnlyAfterItsBytesThenItsRenameAreSynced() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let target = dir + "/r1.json"
        try AtomicFile.write(Array("old".utf8), to: target, durable: false)
        let log = Log()
        let committer = GroupCommit { fd, what in
            switch what {
            case .file(let path): log.add("file \(path == target ? "r1" : path): target holds \(self.text(target))")
            case .directory(let d): log.add("directory \(d == dir ? "of r1" : d): target holds \(self.text(target))")
            }
            return fsync(fd) == 0
        }
        try await committer.commit([GroupCommit.Write(path: target, bytes: Array("new".utf8))])
        log.add("answered")
        // The bytes are synced while the old file is still in place, the rename is synced
        // before the answer.
        #expect(log.all == ["file r1: target holds old", "directory of r1: target holds new", "answered"])
    }

    @Test func callersArrivingDuringADirectorySyncAreStagedMeanwhileAndPublishedTogetherInOrder() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = Log()
        let gate = Gate()
        let committer = GroupCommit { fd, what in
            let ok = fsync(fd) == 0
            switch what {
            case .file(let path): log.add("synced file " + (path as NSString).lastPathComponent)
            case .directory:
                log.add("syncing directory")
                gate.holdFirst()
            }
            return ok
        }
        let answered = Log()
        let first = Task {
            try await committer.commit([GroupCommit.Write(path: dir + "/first.json", bytes: [1])])
            answered.add("first")
        }
        let holding = await eventually { log.all.contains("syncing directory") }
        #expect(holding, "the first round never synced its directory")
        // Ten callers, handed in one after the other while that directory sync is held; each
        // writes a file of its own and the shared one.
        var callers: [Task<Void, any Error>] = []
        for i in 0..<10 {
            callers.append(
                Task {
                    try await committer.commit([
                        GroupCommit.Write(path: dir + "/e\(i).json", bytes: Array("event \(i)".utf8)),
                        GroupCommit.Write(path: dir + "/shared.json", bytes: Array("caller \(i)".utf8)),
                    ])
                    answered.add("caller \(i)")
                })
            let handedIn = await eventually { committer.progress.handedIn == i + 2 }
            #expect(handedIn)
        }
        // Their bytes are synced while the first round still waits on its directory ...
        let staged = await eventually { committer.progress.staged == 11 }
        #expect(staged, "callers were not staged during the held directory sync: \(log.all)")
        #expect(log.all.filter { $0.hasPrefix("synced file e") }.count == 10)
        #expect(answered.all.isEmpty, "answered before the directory sync: \(answered.all)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/shared.json"), "renamed before the previous round's directory was synced")
        gate.open.signal()
        try await first.value
        for c in callers { try await c.value }
        // ... and all ten are published in one more round, none lost, the last handed in last.
        #expect(committer.progress.rounds == 2)
        #expect(log.all.filter { $0 == "syncing directory" }.count == 2)
        #expect(text(dir + "/shared.json") == "caller 9")
        for i in 0..<10 { #expect(text(dir + "/e\(i).json") == "event \(i)") }
        #expect(answered.all.first == "first")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(names.count == 12, "a staged file was left behind: \(names.sorted())")
    }

    @Test func aFailedSyncFailsItsCallerAndLeavesItsTargetAlone() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try AtomicFile.write(Array("old".utf8), to: dir + "/bad.json", durable: false)
        let committer = GroupCommit { fd, what in
            what == .file(dir + "/bad.json") ? false : fsync(fd) == 0
        }
        async let good: Void = committer.commit([GroupCommit.Write(path: dir + "/good.json", bytes: [1])])
        await #expect(throws: FileError.self) {
            try await committer.commit([
                GroupCommit.Write(path: dir + "/bad-event.json", bytes: [2]), GroupCommit.Write(path: dir + "/bad.json", bytes: [3]),
            ])
        }
        try await good
        #expect(text(dir + "/bad.json") == "old")
        #expect(!FileManager.default.fileExists(atPath: dir + "/bad-event.json"))
        #expect(AtomicFile.read(dir + "/good.json") == [1])
        let names = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(names.sorted() == ["bad.json", "good.json"])
    }

    @Test func aFailedDirectorySyncFailsEveryCallerWithARenameInIt() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for sub in ["bad", "good"] { try FileManager.default.createDirectory(atPath: dir + "/" + sub, withIntermediateDirectories: true) }
        let log = Log()
        let committer = GroupCommit { fd, what in
            guard what == .directory(dir + "/bad") else { return fsync(fd) == 0 }
            log.add("failed the sync of bad/")
            return false
        }
        // Renamed into bad/ (alone, and beside a rename into good/): neither is known to survive
        // a crash, so neither caller may be told its write is durable.
        let alone = await #expect(throws: FileError.self) {
            try await committer.commit([GroupCommit.Write(path: dir + "/bad/a.json", bytes: [1])])
        }
        #expect(alone?.description.contains("bad/a.json") == true, "\(String(describing: alone))")
        await #expect(throws: FileError.self) {
            try await committer.commit([
                GroupCommit.Write(path: dir + "/good/b.json", bytes: [2]), GroupCommit.Write(path: dir + "/bad/b.json", bytes: [2]),
            ])
        }
        #expect(log.all.count == 2, "the directory's sync was not reached: \(log.all)")
        // A caller whose renames all went into a synced directory is answered as before.
        try await committer.commit([GroupCommit.Write(path: dir + "/good/c.json", bytes: [3])])
        #expect(AtomicFile.read(dir + "/good/c.json") == [3])
    }

    /// Counts the syncs in flight, and the most seen at once.
    final class InFlight: Sendable {
        let counts = Mutex((now: 0, most: 0))
        func enter() {
            counts.withLock {
                $0.now += 1
                $0.most = max($0.most, $0.now)
            }
        }
        func leave() { counts.withLock { $0.now -= 1 } }
        var now: Int { counts.withLock { $0.now } }
        var most: Int { counts.withLock { $0.most } }
    }

    @Test func aBatchsFileSyncsAreAllInFlightAtOnce() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let inFlight = InFlight()
        let committer = GroupCommit { fd, what in
            guard case .file = what else { return fsync(fd) == 0 }
            inFlight.enter()
            // Each sync waits for all twenty to be in flight (for at most 10 s: a guard against
            // a hang, not a timing); threads that run them a few at a time never get there.
            var polls = 0
            while inFlight.most < 20 && polls < 1_000 {
                usleep(10_000)
                polls += 1
            }
            let ok = fsync(fd) == 0
            inFlight.leave()
            return ok
        }
        try await committer.commit((0..<20).map { GroupCommit.Write(path: dir + "/f\($0).json", bytes: [UInt8($0)]) })
        #expect(inFlight.most == 20)
        for i in 0..<20 { #expect(AtomicFile.read(dir + "/f\(i).json") == [UInt8(i)]) }
    }
}
