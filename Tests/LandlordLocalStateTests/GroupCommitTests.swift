import Foundation
import LandlordBasics
import ProviderAPI
import Testing

/// `GroupCommit`: concurrent callers' files written together, each caller answered with its
/// own outcome.
@Suite struct GroupCommitTests {
    func tempDir() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("landlord-group-commit-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func concurrentCallersFilesAreAllWrittenAndReplaced() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let committer = GroupCommit()
        try await committer.commit([GroupCommit.Write(path: dir + "/r7.json", bytes: Array("old".utf8))])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<50 {
                group.addTask {
                    try await committer.commit([
                        GroupCommit.Write(path: dir + "/e\(i).json", bytes: Array("event \(i)".utf8)),
                        GroupCommit.Write(path: dir + "/r\(i).json", bytes: Array("record \(i)".utf8)),
                    ])
                }
            }
            try await group.waitForAll()
        }
        for i in 0..<50 {
            #expect(AtomicFile.read(dir + "/e\(i).json") == Array("event \(i)".utf8))
            #expect(AtomicFile.read(dir + "/r\(i).json") == Array("record \(i)".utf8))
        }
        // No staged file is left behind.
        let names = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(names.count == 100, "\(names.filter { $0.hasPrefix(".") })")
        let counts = committer.counts
        #expect(counts.writes == 101)
        #expect(counts.batches >= 2)
        print("group commit: 1 + 50 concurrent callers (101 files) made durable in \(counts.batches) batches")
    }

    @Test func oneCallersFailureIsItsOwn() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let committer = GroupCommit()
        let outcomes = await withTaskGroup(of: Keyed<Int, String?>.self) { group in
            for i in 0..<10 {
                group.addTask {
                    // Caller 3 writes into a directory that does not exist.
                    let target = i == 3 ? dir + "/missing/r3.json" : dir + "/r\(i).json"
                    do {
                        try await committer.commit([GroupCommit.Write(path: target, bytes: [UInt8(i)])])
                        return Keyed(i, nil)
                    } catch {
                        return Keyed(i, "\(error)")
                    }
                }
            }
            var out: [Int: String?] = [:]
            for await k in group { out[k.key] = k.value }
            return out
        }
        #expect(outcomes[3]??.contains("missing/r3.json") == true, "\(outcomes)")
        for i in 0..<10 where i != 3 {
            #expect(outcomes[i] == .some(nil), "caller \(i): \(String(describing: outcomes[i]))")
            #expect(AtomicFile.read(dir + "/r\(i).json") == [UInt8(i)])
        }
    }

    @Test func blockingCallersAreAnsweredToo() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let committer = GroupCommit(durable: false)
        try committer.commitBlocking([GroupCommit.Write(path: dir + "/a.json", bytes: [1, 2, 3])])
        #expect(AtomicFile.read(dir + "/a.json") == [1, 2, 3])
        #expect(throws: FileError.self) { try committer.commitBlocking([GroupCommit.Write(path: dir + "/no/a.json", bytes: [1])]) }
    }
}
