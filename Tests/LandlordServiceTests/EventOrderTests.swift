import Foundation
import Hummingbird
import LandlordTestSupport
import ProviderAPI
import Synchronization
import Testing

/// Delivery is in order per (sink, tenant): a receiver that refuses one tenant's events holds
/// back only that tenant's later events, never the other tenants'.
@Suite(.serialized) struct EventOrderTests {
    /// Refuses (503) every event about `stuck` while `failing`; keeps the rest in arrival order.
    final class Receiver: LoopbackReceiver {
        let failing = Mutex(true)
        let accepted = Mutex<[(tenant: String, type: String)]>([])
        let refused = Mutex(0)
        /// Every event accepted, whole.
        let events = Mutex<[[String: Value]]>([])

        func respond(to request: Request) async throws -> Response {
            let body = try await request.body.collect(upTo: 1 << 20)
            let event = try JSON.parse(Array(body.readableBytesView)).mapValue ?? [:]
            let tenant = event["subject"]?.stringValue ?? ""
            if tenant == "stuck" && failing.withLock({ $0 }) {
                refused.withLock { $0 += 1 }
                return Response(status: .serviceUnavailable)
            }
            accepted.withLock { $0.append((tenant, event["type"]?.stringValue ?? "")) }
            events.withLock { $0.append(event) }
            return Response(status: .noContent)
        }

        func types(of tenant: String) -> [String] { accepted.withLock { $0.filter { $0.tenant == tenant }.map(\.type) } }
    }

    @Test func oneTenantsFailingEventsDoNotHoldBackOthers() async throws {
        let receiver = Receiver()
        let server = try await receiver.served()
        let f = try ServiceFixture(events: server.webhookEvents())
        try await f.start()
        _ = try await f.create("stuck")
        try await f.wait("stuck", for: "active")
        _ = try await f.call("DELETE", "/v1/tenants/stuck")
        try await f.wait("stuck", for: "deleted")
        // stuck's events are queued (and refused) before free's exist.
        _ = try await f.create("free")
        try await f.wait("free", for: "active")
        _ = try await f.call("DELETE", "/v1/tenants/free")
        try await f.wait("free", for: "deleted")

        let end = Date().addingTimeInterval(20)
        while receiver.types(of: "free").count < 2 && Date() < end { try await Task.sleep(for: .milliseconds(50)) }
        #expect(receiver.types(of: "free") == ["landlord.tenant.provisioned", "landlord.tenant.deleted"])
        #expect(receiver.types(of: "stuck").isEmpty)
        #expect(receiver.refused.withLock { $0 } >= 1)

        // Once the receiver takes stuck's events, they arrive, in order.
        receiver.failing.withLock { $0 = false }
        let later = Date().addingTimeInterval(30)
        while receiver.types(of: "stuck").count < 2 && Date() < later { try await Task.sleep(for: .milliseconds(50)) }
        await f.stop()
        server.stop()
        #expect(receiver.types(of: "stuck") == ["landlord.tenant.provisioned", "landlord.tenant.deleted"])
    }

    @Test func theCLIsApplySendsProvisionedAndFailedEvents() async throws {
        let receiver = Receiver()
        receiver.failing.withLock { $0 = false }
        let server = try await receiver.served()
        let fleet = try CLIFleet("landlord-cli-events", platformExtra: server.webhookEvents())
        defer { fleet.remove() }
        let run = try await fleet.run(
            ["apply", "--auto-approve"], env: ["LANDLORD_MOCK_FAIL_MATCH": "globex/backend_task", "LANDLORD_STATE_FSYNC": "0"])
        server.stop()
        #expect(run.code == 1, "\(run.all)")
        #expect(receiver.types(of: "acme") == ["landlord.tenant.provisioned"])
        #expect(receiver.types(of: "globex") == ["landlord.tenant.failed"])
        #expect(receiver.accepted.withLock { $0.count } == 2)
        let failed = receiver.events.withLock { $0.first { $0["subject"]?.stringValue == "globex" } }?["data"]?.mapValue ?? [:]
        #expect(failed["status"]?.stringValue == "failed")
        #expect(failed["reason"]?.stringValue?.contains("injected fault for globex/backend_task") == true, "\(failed)")
        // Nothing left in the outbox: delivered before the run ended.
        let left = fleet.jsonFiles(below: ".landlord/service/outbox")
        #expect(left.isEmpty, "\(left)")
    }
}
