import Foundation
import LandlordBasics
import ProviderAPI
import Testing

@testable import LandlordCore
@testable import LandlordLocalState

/// The apply's write-ahead journal: what a run that died leaves behind must come back, exactly
/// once, in order, and nothing a later run wrote may be overwritten by it.
@Suite struct StateJournalTests {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("landlord-journal-\(UUID().uuidString)").path

    func resource(_ id: String) -> ResourceState {
        ResourceState(
            type: "aws.dns_record", id: id, inputs: ["name": .string(id)], outputs: ["fqdn": .string(id + ".example.com")], dependencies: [])
    }

    /// Makes `changes` to `state` as a session does and appends each; returns the final state.
    func journal(_ changes: [StateChange], from state: TenantState, into j: any StateJournal) async throws -> TenantState {
        var s = state
        var last = 0
        for c in changes {
            c.apply(to: &s)
            s.serial += 1
            last = j.append(c, of: s)
        }
        try await j.waitUntilDurable(last)
        return s
    }

    /// Waits (up to 10 s) until no one holds the lock of the journal file.
    func journalUnlocked() async -> Bool {
        for _ in 0..<1000 {
            guard let name = journalFiles.first else { return true }
            let fd = open(dir + "/state/journal/" + name, O_RDONLY)
            if fd >= 0 {
                defer { close(fd) }
                if flock(fd, LOCK_EX | LOCK_NB) == 0 {
                    flock(fd, LOCK_UN)
                    return true
                }
            }
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
        return false
    }

    var journalFiles: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir + "/state/journal")) ?? []).filter { $0.hasSuffix(".wal") }
    }

    @Test func aDeadRunsJournalIsReplayedIntoTheDocumentsAndRemoved() async throws {
        let store = LocalStateStore(directory: dir)
        var acme = TenantState(tenant: "acme", blueprint: "web")
        acme.serial = 1
        try await store.saveTenant(acme)
        var expected: TenantState
        do {
            let j = try store.openJournal()
            expected = try await journal(
                [
                    .status(.provisioning), .intent("dns", PendingIntent(type: "aws.dns_record", clientToken: "t1", startedAt: Date(), inputs: [:])),
                    .record("dns", resource("r-1")), .record("api", resource("r-2")), .forget("api"),
                ], from: acme, into: j)
            // The run dies here: no checkpoint. Closing the file drops its lock, as death does.
        }
        #expect(journalFiles.count == 1)
        // The journal object is gone once its flush loop (on its own queue) lets go of it.
        try #require(await journalUnlocked(), "the journal's lock was never released")
        #expect(try await store.loadTenant("acme")?.serial == 6, "a reader must replay the dead run's journal before it reads")
        let doc = try #require(try await LocalStateStore(directory: dir).loadTenant("acme"))
        #expect(doc.resources == expected.resources)
        #expect(doc.pending.isEmpty)
        #expect(doc.status == .provisioning)
        #expect(journalFiles.isEmpty, "a replayed journal is removed")
    }

    @Test func aTornLastFrameIsIgnoredAndTheWholeOnesApply() async throws {
        let store = LocalStateStore(directory: dir)
        let fresh = TenantState(tenant: "globex", blueprint: "web")
        let path: String
        do {
            let j = try store.openJournal()
            path = j.path
            _ = try await journal([.record("a", resource("r-a")), .record("b", resource("r-b"))], from: fresh, into: j)
        }
        // The journal object is gone once its flush loop lets go of it (until then its lock says
        // "a live run", and a reader leaves the journal alone: this failed under a loaded machine).
        try #require(await journalUnlocked(), "the journal's lock was never released")
        // Cut the file in the middle of its last frame, as a crash during the write would.
        let bytes = try #require(AtomicFile.read(path))
        try Data(bytes.dropLast(7)).write(to: URL(fileURLWithPath: path))
        let doc = try #require(try await store.loadTenant("globex"), "a tenant first written by the dead run gets its document from serial 1")
        #expect(doc.serial == 1)
        #expect(doc.lineage == fresh.lineage)
        #expect(Set(doc.resources.keys) == ["a"])
    }

    @Test func entriesALaterWriteCoversOrOfAReplacedDocumentAreSkipped() async throws {
        let store = LocalStateStore(directory: dir)
        var acme = TenantState(tenant: "acme", blueprint: "web")
        acme.serial = 1
        try await store.saveTenant(acme)
        var initech = TenantState(tenant: "initech", blueprint: "web")
        initech.serial = 1
        try await store.saveTenant(initech)
        do {
            let j = try store.openJournal()
            _ = try await journal([.record("old", resource("r-old"))], from: acme, into: j)
            _ = try await journal([.record("old", resource("r-old"))], from: initech, into: j)
        }
        // Since then, acme moved on (serial 5) and initech was recreated with a new lineage.
        acme.serial = 5
        acme.resources["new"] = resource("r-new")
        try await store.saveTenant(acme)
        let recreated = TenantState(tenant: "initech", blueprint: "web")
        try await store.saveTenant(recreated)
        let a = try #require(try await store.loadTenant("acme"))
        #expect(a.serial == 5)
        #expect(Set(a.resources.keys) == ["new"])
        let i = try #require(try await store.loadTenant("initech"))
        #expect(i.lineage == recreated.lineage)
        #expect(i.resources.isEmpty)
        #expect(journalFiles.isEmpty)
    }

    @Test func aLiveRunsJournalIsLeftAloneAndCheckpointedAtItsEnd() async throws {
        let store = LocalStateStore(directory: dir)
        let fresh = TenantState(tenant: "hooli", blueprint: "web")
        let j = try store.openJournal()
        let final = try await journal([.record("a", resource("r-a")), .status(.active)], from: fresh, into: j)
        #expect(try await store.loadTenant("hooli") == nil, "a live run's journal is not replayed under it")
        #expect(journalFiles.count == 1)
        try await store.checkpoint(j, states: [final], deleted: [])
        #expect(journalFiles.isEmpty)
        let doc = try #require(try await store.loadTenant("hooli"))
        #expect(doc.serial == final.serial)
        #expect(doc.resources == final.resources)
        #expect(doc.status == .active)
    }

    @Test func aCheckpointRemovesTheDocumentsOfDestroyedTenants() async throws {
        let store = LocalStateStore(directory: dir)
        var gone = TenantState(tenant: "gone", blueprint: "web")
        gone.serial = 3
        try await store.saveTenant(gone)
        let j = try store.openJournal()
        let final = try await journal([.status(.destroyed)], from: gone, into: j)
        try await store.checkpoint(j, states: [final], deleted: ["gone"])
        #expect(try await store.loadTenant("gone") == nil)
        #expect(try await store.listTenants().isEmpty)
    }

    @Test func framesStopAtTheFirstCorruptOne() {
        var bytes: [UInt8] = []
        JournalFile.frame(Array("{\"a\":1}".utf8), into: &bytes)
        let firstEnd = bytes.count
        JournalFile.frame(Array("{\"b\":2}".utf8), into: &bytes)
        JournalFile.frame(Array("{\"c\":3}".utf8), into: &bytes)
        #expect(JournalFile.frames(bytes).count == 3)
        bytes[firstEnd + 9] ^= 0xFF  // a flipped bit in the second payload
        #expect(JournalFile.frames(bytes).map { String(decoding: $0, as: UTF8.self) } == ["{\"a\":1}"])
    }
}

/// Documents decode strictly: a version this landlord does not know, or a malformed entry, is
/// an error (reported with the backup), never a document read half.
@Suite struct StrictDocumentTests {
    @Test func aPlatformDocumentOfAnotherVersionIsRefused() throws {
        var doc = try #require(try JSON.parse(PlatformState().encoded()).mapValue)
        doc["format_version"] = .int(PlatformState.formatVersion + 1)
        #expect(throws: StateFormatError.self) { try PlatformState.decode(JSON.serialize(.map(doc))) }
        doc["format_version"] = nil
        #expect(throws: StateFormatError.self) { try PlatformState.decode(JSON.serialize(.map(doc))) }
    }

    @Test func aMalformedAllocationIsRefusedNotDropped() throws {
        var doc = try #require(try JSON.parse(PlatformState().encoded()).mapValue)
        doc["allocations"] = ["acme": "not an allocation"]
        #expect(throws: StateFormatError.self) { try PlatformState.decode(JSON.serialize(.map(doc))) }
    }
}
