import Foundation
import LandlordCore
import LandlordLifecycle
import LandlordTestSupport
import ProviderAPI
import Testing

/// The CLI's apply killed between recording a tenant's status in state and writing its event
/// (and just after writing it): the next run announces the status, exactly once.
@Suite(.serialized) struct CLIEventCrashTests {
    /// Applies the quickstart fleet (acme, globex) killed at `crashPoint` for acme, then twice
    /// more: each tenant's provisioned event arrives once, and nothing is left waiting.
    func applyKilledThenAgain(crashPoint: String) async throws {
        let receiver = EventOrderTests.Receiver()
        receiver.failing.withLock { $0 = false }
        let server = try await receiver.served()
        defer { server.stop() }
        let fleet = try CLIFleet("landlord-cli-event-crash", platformExtra: server.webhookEvents())
        defer { fleet.remove() }
        let env = ["LANDLORD_STATE_FSYNC": "0", "LANDLORD_MOCK_LATENCY_MS": "0"]

        let killed = try await fleet.run(["apply", "--auto-approve", "--parallelism", "1"], env: env.merging([crashPoint: "acme"]) { _, b in b })
        #expect(killed.code == SIGKILL, "the run was not killed: \(killed.all)")
        // The kill came after acme's status was recorded (so the next run has nothing to apply
        // to it, and only the reconciliation can announce it), and nothing was delivered yet.
        let runtime = try await ServiceRuntime.load(root: fleet.dir, environment: env)
        #expect(try await runtime.store.loadTenant("acme")?.status == .active)
        #expect(receiver.types(of: "acme").isEmpty)

        // The next run announces acme (and finishes globex), each once; a third run adds nothing.
        for _ in 0..<2 {
            let again = try await fleet.run(["apply", "--auto-approve"], env: env)
            #expect(again.code == 0, "\(again.all)")
        }
        #expect(receiver.types(of: "acme") == ["landlord.tenant.provisioned"])
        #expect(receiver.types(of: "globex") == ["landlord.tenant.provisioned"])
        let acme = receiver.events.withLock { $0.first { $0["subject"]?.stringValue == "acme" } }?["data"]?.mapValue ?? [:]
        #expect(acme["blueprint"]?.stringValue == "web")
        let left = fleet.jsonFiles(below: ".landlord/service")
        #expect(left.isEmpty, "left in .landlord/service: \(left)")
    }

    @Test func killedBetweenStateAndEventTheNextRunAnnouncesItOnce() async throws {
        try await applyKilledThenAgain(crashPoint: "LANDLORD_CRASH_BEFORE_EVENT")
    }

    @Test func killedAfterTheEventTheNextRunDoesNotAnnounceItAgain() async throws {
        try await applyKilledThenAgain(crashPoint: "LANDLORD_CRASH_AFTER_EVENT")
    }
}
