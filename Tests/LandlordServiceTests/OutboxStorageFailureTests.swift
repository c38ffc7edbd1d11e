import Foundation
import LandlordBasics
import LandlordEvents
import LandlordHTTP
import LandlordTestSupport
import ProviderAPI
import Synchronization
import Testing

/// An outbox whose storage fails to read for a while (a bucket that times out, a disk error):
/// the event is retried with backoff and delivered once the storage answers again. Before, a
/// read that failed was taken for an unparseable event and set aside, and on S3 deleted when
/// the copy could not be made: an event lost to a blip, retried in a tight loop meanwhile.
@Suite struct OutboxStorageFailureTests {
    /// The local disk, with the first `failures` reads failing.
    final class FlakyStorage: OutboxStorage {
        let inner = LocalOutboxStorage()
        let failures: Int
        let reads = Mutex(0)
        let setAsides = Mutex(0)
        init(failures: Int) { self.failures = failures }

        func pending(_ directory: String) async -> [String] { await inner.pending(directory) }
        func read(_ directory: String, _ name: String) async -> OutboxRead {
            let n = reads.withLock { r in
                r += 1
                return r
            }
            return n <= failures ? .failed("simulated storage failure") : await inner.read(directory, name)
        }
        func remove(_ directory: String, _ name: String) async { await inner.remove(directory, name) }
        func setAside(_ directory: String, _ name: String) async {
            setAsides.withLock { $0 += 1 }
            await inner.setAside(directory, name)
        }
        func count(_ directory: String) -> Int { inner.count(directory) }
    }

    /// The local disk, counting how often the outbox is listed.
    final class CountingStorage: OutboxStorage {
        let inner = LocalOutboxStorage()
        let listings = Mutex(0)
        func pending(_ directory: String) async -> [String] {
            listings.withLock { $0 += 1 }
            return await inner.pending(directory)
        }
        func read(_ directory: String, _ name: String) async -> OutboxRead { await inner.read(directory, name) }
        func remove(_ directory: String, _ name: String) async { await inner.remove(directory, name) }
        func setAside(_ directory: String, _ name: String) async { await inner.setAside(directory, name) }
        func count(_ directory: String) -> Int { inner.count(directory) }
    }

    /// Accepts every PutEvents entry.
    final class AcceptingEventBridge: HTTPTransport {
        let entries = Mutex<[Value]>([])
        func send(_ request: HTTPRequest) async throws -> HTTPResponse {
            let got = (try JSON.parse(Array(request.body))).mapValue?["Entries"]?.listValue ?? []
            entries.withLock { $0 += got }
            let body: Value = ["FailedEntryCount": 0, "Entries": .list(got.map { _ in ["EventId": .string(UUID().uuidString)] })]
            return HTTPResponse(status: 200, body: Data(JSON.serialize(body)))
        }
    }

    @Test func anEventThatCannotBeReadForAWhileIsDeliveredLaterNotSetAside() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("landlord-outbox-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let platform = try EventBridgeTests.platform(dir, events: "events: {eventbridge: {bus: tenants}}\n")
        let bus = AcceptingEventBridge()
        let storage = FlakyStorage(failures: 2)
        let env = ["AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s", "AWS_REGION": "us-east-1", "HOME": dir.path]
        // The backoff's seconds pass on a test clock (its waits end at once, moving its time).
        let clock = TestPacingClock()
        let outbox = try EventOutbox(root: dir, platform: platform, environment: env, transport: bus, storage: storage, clock: clock)
        let event = outbox.event(tenant: "t1", blueprint: "web", status: .active, reason: nil, outputs: [:], at: clock.date())
        try outbox.enqueue(event)

        let lines = Mutex<[String]>([])
        // A bound, not a wait: two failed reads back off 1 s, then 2 s.
        let left = await outbox.deliverPending(until: clock.date().addingTimeInterval(60)) { line in lines.withLock { $0.append(line) } }
        let logged = lines.withLock { $0 }
        #expect(clock.now() >= 3, "the two failed reads backed off 1 s and 2 s of the clock, not \(clock.now()) s")
        #expect(left.isEmpty)
        #expect(storage.setAsides.withLock { $0 } == 0, "a read that failed is not a bad event")
        #expect(bus.entries.withLock { $0.count } == 1)
        #expect(bus.entries.withLock { $0.first?.mapValue?["Detail"]?.stringValue?.contains("\"subject\":\"t1\"") } == true)
        // Backed off, not spun: two failures, then the read that delivered it.
        #expect(storage.reads.withLock { $0 } == 3)
        #expect(logged.filter { $0.contains("could not read event") }.count == 1, "\(logged)")
        let outboxDir = dir.appendingPathComponent(".landlord/service/outbox").path
        let files = (FileManager.default.enumerator(atPath: outboxDir)?.allObjects as? [String]) ?? []
        #expect(!files.isEmpty && !files.contains { $0.hasSuffix(".bad") || $0.hasSuffix(".json") }, "\(files)")
    }

    /// The service's deliverer with nothing to send looks at its outbox once a second, and an
    /// event enqueued later still goes out at once. Before, the first quiet second ended the
    /// deliverer's wake-up stream, and from then on it listed the outbox in a tight loop
    /// (thousands of times a second on a disk; with S3 state, a ListObjectsV2 every few ms).
    /// Its seconds are a manual clock's: the test sees each wait and ends it.
    @Test func anIdleDelivererWaitsInsteadOfListingInALoop() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("landlord-outbox-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let platform = try EventBridgeTests.platform(dir, events: "events: {eventbridge: {bus: tenants}}\n")
        let bus = AcceptingEventBridge()
        let storage = CountingStorage()
        let clock = ManualPacingClock()
        let env = ["AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s", "AWS_REGION": "us-east-1", "HOME": dir.path]
        let outbox = try EventOutbox(root: dir, platform: platform, environment: env, transport: bus, storage: storage, clock: clock)
        let delivering = Task { await outbox.deliver { _ in } }
        // Each quiet round lists the empty outbox once, then waits a second of the clock, which
        // moves only when the test moves it: a deliverer that listed in a loop would be found
        // having listed more than once per round (or never waiting).
        for round in 1...5 {
            let waiting = await eventually(within: 60) { clock.sleepers == 1 && storage.listings.withLock { $0 } >= round }
            try #require(waiting, "round \(round): the idle deliverer never waited on the clock")
            #expect(storage.listings.withLock { $0 } == round, "listed the empty outbox \(storage.listings.withLock { $0 }) times in \(round) rounds")
            clock.advance(1)
        }
        // Woken by a new event (after quiet seconds), without the clock moving.
        let event = outbox.event(tenant: "t1", blueprint: "web", status: .active, reason: nil, outputs: [:], at: clock.date())
        try outbox.enqueue(event)
        #expect(await eventually(within: 60) { !bus.entries.withLock { $0.isEmpty } }, "the enqueued event did not wake the deliverer")
        delivering.cancel()
        await delivering.value
        #expect(bus.entries.withLock { $0.count } == 1)
    }
}
