import Foundation
import LandlordCore
import LandlordEvents
import LandlordHTTP
import LandlordService
import LandlordTestSupport
import ProviderAPI
import Synchronization
import Testing

/// The EventBridge sink: PutEvents in batches of at most 10, failed entries sent again, and
/// (against moto's EventBridge, through a rule to an SQS queue) the events of the service and
/// of the CLI's apply and destroy.
@Suite(.serialized) struct EventBridgeTests {
    /// Answers PutEvents as EventBridge does, failing the second entry of the first call.
    final class FakeEventBridge: HTTPTransport {
        let calls = Mutex<[[Value]]>([])
        func send(_ request: HTTPRequest) async throws -> HTTPResponse {
            #expect(request.header("X-Amz-Target") == "AWSEvents.PutEvents")
            let entries = (try JSON.parse(Array(request.body))).mapValue?["Entries"]?.listValue ?? []
            let first = calls.withLock { c in
                c.append(entries)
                return c.count == 1
            }
            let results: [Value] = entries.indices.map { i in
                first && i == 1
                    ? ["ErrorCode": "ThrottlingException", "ErrorMessage": "Rate exceeded"] : ["EventId": .string(UUID().uuidString)]
            }
            let body: Value = ["FailedEntryCount": .int(first ? 1 : 0), "Entries": .list(results)]
            return HTTPResponse(status: 200, body: Data(JSON.serialize(body)))
        }
    }

    static func platform(_ dir: URL, events: String) throws -> PlatformSpec {
        try writeQuickstartFleet(to: dir, platformExtra: events)
        let (platform, diags) = SpecLoader(schemas: ServiceRuntime.schemas).readPlatform(directory: dir)
        #expect(!diags.hasErrors, "\(diags.items.map(\.summary))")
        return try #require(platform)
    }

    @Test func putEventsBatchesTenAndSendsFailedEntriesAgainInOrderPerTenant() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("landlord-eb-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let platform = try Self.platform(dir, events: "events: {eventbridge: {bus: tenants}}\n")
        let fake = FakeEventBridge()
        let env = ["AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s", "AWS_REGION": "us-east-1", "HOME": dir.path]
        let outbox = try EventOutbox(root: dir, platform: platform, environment: env, transport: fake)
        // Twelve tenants, one event each; t03 has a second, which must wait for its first.
        var sent: [String: [String]] = [:]
        for i in 0..<12 {
            let t = String(format: "t%02d", i)
            let e = outbox.event(tenant: t, blueprint: "web", status: .active, reason: nil, outputs: [:], at: Date())
            try outbox.enqueue(e)
            sent[t, default: []].append(e.mapValue?["id"]?.stringValue ?? "")
        }
        let second = outbox.event(tenant: "t03", blueprint: "web", status: .deleted, reason: nil, outputs: [:], at: Date())
        try outbox.enqueue(second)
        sent["t03"]!.append(second.mapValue?["id"]?.stringValue ?? "")

        // A bound, not a wait: it returns once the outbox is empty (a loaded test machine has taken
        // over 20 s to get this far).
        let left = await outbox.deliverPending(until: Date().addingTimeInterval(90)) { _ in }
        #expect(left.isEmpty)
        #expect(outbox.backlog == 0)
        let calls = fake.calls.withLock { $0 }
        #expect(calls.first?.count == 10)
        #expect(calls.allSatisfy { $0.count <= 10 })
        // Every entry as EventBridge wants it; the entries each call accepted, per tenant, in order.
        var accepted: [String: [String]] = [:]
        for (n, call) in calls.enumerated() {
            for (i, entry) in call.enumerated() {
                let m = entry.mapValue ?? [:]
                #expect(m["Source"]?.stringValue == "landlord")
                #expect(m["EventBusName"]?.stringValue == "tenants")
                let detail = try JSON.parse(Array((m["Detail"]?.stringValue ?? "").utf8))
                #expect(m["DetailType"]?.stringValue == detail.mapValue?["type"]?.stringValue)
                let tenant = detail.mapValue?["subject"]?.stringValue ?? ""
                // No call carries two events of one tenant.
                #expect(call.filter { ($0.mapValue?["Detail"]?.stringValue ?? "").contains("\"subject\":\"\(tenant)\"") }.count == 1)
                if !(n == 0 && i == 1) { accepted[tenant, default: []].append(detail.mapValue?["id"]?.stringValue ?? "") }
            }
        }
        // The failed entry (t01's) was sent again; nothing was lost, t03's two in order.
        #expect(accepted == sent)
        #expect(calls.count >= 3)
    }

    @Test(.enabled(if: Moto.available, Moto.disabledReason), .motoExclusive)
    func theServicePutsItsEventsOnTheBus() async throws {
        let bus = try await MotoEventBus.make()
        let f = try ServiceFixture(events: "events: {eventbridge: {bus: \(bus.bus)}}\n", env: MotoEventBus.environment)
        try await f.start()
        _ = try await f.create("eb1")
        try await f.wait("eb1", for: "active")
        _ = try await f.call("DELETE", "/v1/tenants/eb1")
        try await f.wait("eb1", for: "deleted")
        let got = try await bus.receive(2)
        await f.stop()
        #expect(got.map { $0.mapValue?["detail-type"]?.stringValue ?? "" } == ["landlord.tenant.provisioned", "landlord.tenant.deleted"])
        for e in got {
            #expect(e.mapValue?["source"]?.stringValue == "landlord")
            let detail = e.mapValue?["detail"]?.mapValue ?? [:]
            #expect(detail["specversion"]?.stringValue == "1.0")
            #expect(detail["subject"]?.stringValue == "eb1")
            #expect(detail["source"]?.stringValue == "/landlord/moamalat")
        }
        let outputs = got.first?.mapValue?["detail"]?.mapValue?["data"]?.mapValue?["outputs"]?.mapValue ?? [:]
        #expect(outputs["url"]?.stringValue == "https://sub-eb1.moamalat-pro.com")
        #expect(outputs["clientSecret"] == nil)
    }

    @Test(.enabled(if: Moto.available, Moto.disabledReason), .motoExclusive)
    func theCLIsApplyAndDestroyPutEventsAndLeftoversGoWithTheNextRun() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("landlord-eb-cli-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let name = MotoEventBus.uniqueName()
        _ = try Self.platform(dir, events: "events: {eventbridge: {bus: \(name)}}\n")
        let web = dir.appendingPathComponent("blueprints/web.yaml")
        try (String(contentsOf: web, encoding: .utf8) + "\noutputs:\n  url: \"https://${subdomain}.${platform.domain}\"\n").write(
            to: web, atomically: true, encoding: .utf8)
        let landlord = Spawned.landlordBinary(repoRoot: repoRoot)
        let env = MotoEventBus.environment.merging(["LANDLORD_STATE_FSYNC": "0"]) { _, b in b }
        let outbox = { () -> [String] in
            let base = dir.appendingPathComponent(".landlord/service/outbox").path
            let sinks = (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []
            return sinks.flatMap { s in
                ((try? FileManager.default.contentsOfDirectory(atPath: base + "/" + s)) ?? []).filter { $0.hasSuffix(".json") }
            }
        }

        // The bus does not exist yet: the events stay in the outbox, and the run says so.
        let first = try await Spawned.run(landlord, ["-C", dir.path, "apply", "--auto-approve", "--event-wait", "1"], env: env)
        #expect(first.code == 0, "\(first.all)")
        #expect(first.stderr.contains("2 lifecycle events not yet delivered to eventbridge bus \(name)"), "\(first.stderr)")
        #expect(outbox().count == 2)

        // Once it exists, the next run (with nothing to change) delivers them.
        let bus = try await MotoEventBus.make(bus: name)
        let second = try await Spawned.run(landlord, ["-C", dir.path, "apply", "--auto-approve"], env: env)
        #expect(second.code == 0, "\(second.all)")
        #expect(second.stdout.contains("No changes."))
        #expect(outbox().isEmpty)
        let provisioned = try await bus.receive(2)
        #expect(provisioned.map { $0.mapValue?["detail-type"]?.stringValue ?? "" } == ["landlord.tenant.provisioned", "landlord.tenant.provisioned"])
        #expect(Set(provisioned.map { $0.mapValue?["detail"]?.mapValue?["subject"]?.stringValue ?? "" }) == ["acme", "globex"])
        for e in provisioned {
            let data = e.mapValue?["detail"]?.mapValue?["data"]?.mapValue ?? [:]
            let tenant = data["tenantId"]?.stringValue ?? ""
            #expect(data["status"]?.stringValue == "active")
            #expect(data["blueprint"]?.stringValue == "web")
            #expect(data["outputs"]?.mapValue?["url"]?.stringValue == "https://\(tenant).moamalat-pro.com")
        }

        // destroy: delivered at the end of the run.
        let destroy = try await Spawned.run(landlord, ["-C", dir.path, "destroy", "--tenant", "globex", "--auto-approve"], env: env)
        #expect(destroy.code == 0, "\(destroy.all)")
        #expect(outbox().isEmpty)
        let deleted = try await bus.receive(1)
        #expect(deleted.map { $0.mapValue?["detail-type"]?.stringValue ?? "" } == ["landlord.tenant.deleted"])
        #expect(deleted.first?.mapValue?["detail"]?.mapValue?["subject"]?.stringValue == "globex")
        #expect(deleted.first?.mapValue?["detail"]?.mapValue?["data"]?.mapValue?["status"]?.stringValue == "deleted")
    }
}
