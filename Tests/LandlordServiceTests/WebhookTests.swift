import Crypto
import Foundation
import Hummingbird
import ProviderAPI
import Synchronization
import Testing

/// Events reach a local webhook receiver, signed as Standard Webhooks says, in order, retried
/// after a failure.
@Suite(.serialized) struct WebhookTests {
    /// A local receiver that refuses its first delivery (500) and keeps the rest.
    final class Receiver: LoopbackReceiver {
        struct Delivery: Sendable {
            var id: String
            var timestamp: String
            var signature: String
            var body: [UInt8]
        }
        let deliveries = Mutex<[Delivery]>([])
        let requests = Mutex(0)

        func respond(to request: Request) async throws -> Response {
            let body = try await request.body.collect(upTo: 1 << 20)
            if requests.withLock({ n in
                n += 1
                return n == 1
            }) {
                return Response(status: .internalServerError)
            }
            let h = request.headers
            func header(_ name: String) -> String { h.first { $0.name.canonicalName == name }?.value ?? "" }
            let d = Delivery(
                id: header("webhook-id"), timestamp: header("webhook-timestamp"), signature: header("webhook-signature"),
                body: Array(body.readableBytesView))
            deliveries.withLock { $0.append(d) }
            return Response(status: .noContent)
        }
    }

    @Test func statusChangesAreSignedCloudEventsDeliveredInOrder() async throws {
        let receiver = Receiver()
        let server = try await receiver.served()
        let secret = Data("a-signing-key-of-the-test".utf8)
        let f = try ServiceFixture(
            events: server.webhookEvents(secretEnv: "HOOK_SECRET"),
            env: ["HOOK_SECRET": "whsec_" + secret.base64EncodedString()])
        try await f.start()
        _ = try await f.create("ev1", blueprint: "gated")
        _ = try await f.call("POST", "/v1/tenants/ev1/approve")
        try await f.wait("ev1", for: "active")
        _ = try await f.call("DELETE", "/v1/tenants/ev1")
        try await f.wait("ev1", for: "deleted")
        // Three events; the first delivery was refused and retried (after 1 s).
        let end = Date().addingTimeInterval(20)
        while receiver.deliveries.withLock({ $0.count }) < 3 && Date() < end { try await Task.sleep(for: .milliseconds(100)) }
        await f.stop()
        server.stop()
        let got = receiver.deliveries.withLock { $0 }
        #expect(receiver.requests.withLock { $0 } >= 4)
        let events = got.compactMap { try? JSON.parse($0.body) }
        #expect(
            events.map { $0.mapValue?["type"]?.stringValue ?? "" } == [
                "landlord.tenant.pending_approval", "landlord.tenant.provisioned", "landlord.tenant.deleted",
            ])
        for (d, e) in zip(got, events) {
            let m = e.mapValue ?? [:]
            #expect(m["specversion"]?.stringValue == "1.0")
            #expect(m["source"]?.stringValue == "/landlord/moamalat")
            #expect(m["subject"]?.stringValue == "ev1")
            #expect(m["id"]?.stringValue == d.id)
            #expect(m["data"]?.mapValue?["tenantId"]?.stringValue == "ev1")
            // Outputs, never the sensitive ones.
            let outputs = m["data"]?.mapValue?["outputs"]?.mapValue ?? [:]
            if m["type"]?.stringValue == "landlord.tenant.provisioned" {
                #expect(outputs["url"]?.stringValue == "https://sub-ev1.moamalat-pro.com")
                #expect(outputs["clientSecret"] == nil)
            }
            // Standard Webhooks: v1,base64(HMAC-SHA256(key, id.timestamp.body)).
            let signed = Array("\(d.id).\(d.timestamp).".utf8) + d.body
            let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: secret))
            #expect(d.signature == "v1," + Data(mac).base64EncodedString())
        }
        #expect(Set(got.map(\.id)).count == got.count)
    }
}
