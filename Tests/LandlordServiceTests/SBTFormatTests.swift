import Foundation
import LandlordCore
import LandlordEvents
import LandlordTestSupport
import ProviderAPI
import Testing

/// `events: {eventbridge: {bus: B, format: sbt-aws}}` against moto's EventBridge: one rule per
/// SaaS Builder Toolkit detail-type, matching its source and detail-type as the toolkit's
/// `EventManager` rules do, all sending to one SQS queue. Each lifecycle status's event must
/// arrive through the rule of its detail-type, with the toolkit's detail.
@Suite(.serialized) struct SBTFormatTests {
    /// Landlord status -> (detail-type, source) the toolkit's rules expect.
    static let expected: [String: (String, String)] = [
        "pending_approval": ("onboardingRequest", "controlPlaneEventSource"),
        "active": ("provisionSuccess", "applicationPlaneEventSource"),
        "failed": ("provisionFailure", "applicationPlaneEventSource"),
        "rolled_back": ("provisionFailure", "applicationPlaneEventSource"),
        "rejected": ("onboardingFailure", "applicationPlaneEventSource"),
        "timed_out": ("onboardingFailure", "applicationPlaneEventSource"),
        "deleted": ("offboardingSuccess", "applicationPlaneEventSource"),
    ]

    @Test(.enabled(if: Moto.available, Moto.disabledReason), .motoExclusive)
    func eachStatusArrivesThroughTheRuleOfItsDetailType() async throws {
        let client = try Moto.client()
        let bus = MotoEventBus.uniqueName()
        _ = try await MotoEventBus.call(client, MotoEventBus.events, "CreateEventBus", ["Name": .string(bus)])
        let queue = try await MotoEventBus.call(client, MotoEventBus.sqs, "CreateQueue", ["QueueName": .string("sbt-\(bus)")])
        let url = try #require(queue.mapValue?["QueueUrl"]?.stringValue)
        let attrs = try await MotoEventBus.call(
            client, MotoEventBus.sqs, "GetQueueAttributes", ["QueueUrl": .string(url), "AttributeNames": ["QueueArn"]])
        let arn = try #require(attrs.mapValue?["Attributes"]?.mapValue?["QueueArn"]?.stringValue)
        // One rule per detail-type (as sbt-aws's EventManager makes them), none for `landlord`.
        let types = Set(Self.expected.values.map { "\($0.0)|\($0.1)" }).sorted()
        for (i, t) in types.enumerated() {
            let parts = t.split(separator: "|").map(String.init)
            let pattern = JSON.string(["source": [.string(parts[1])], "detail-type": [.string(parts[0])]])
            _ = try await MotoEventBus.call(
                client, MotoEventBus.events, "PutRule",
                ["Name": .string("sbt-\(i)"), "EventBusName": .string(bus), "EventPattern": .string(pattern), "State": "ENABLED"])
            _ = try await MotoEventBus.call(
                client, MotoEventBus.events, "PutTargets",
                ["Rule": .string("sbt-\(i)"), "EventBusName": .string(bus), "Targets": [["Id": "queue", "Arn": .string(arn)]]])
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("landlord-sbt-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let platform = try EventBridgeTests.platform(dir, events: "events: {eventbridge: {bus: \(bus), format: sbt-aws}}\n")
        #expect(platform.events.eventBridgeFormat == "sbt-aws")
        let outbox = try EventOutbox(root: dir, platform: platform, environment: MotoEventBus.environment.merging(["HOME": dir.path]) { a, _ in a })
        let export = ExportRecord(type: "postgres.schema", id: "t_x", location: "s3://b/k.sql", sha256: "ab", bytes: 2, at: Date())
        for status in Self.expected.keys.sorted() {
            let e = outbox.event(
                tenant: "t-" + status.replacingOccurrences(of: "_", with: "-"), blueprint: "web", status: try #require(EventStatus(rawValue: status)),
                reason: status == "failed" ? "boom" : nil, outputs: ["url": "https://x.example.com"], at: Date(),
                exports: status == "deleted" ? ["db": export] : [:])
            try outbox.enqueue(e)
        }
        let left = await outbox.deliverPending(until: Date().addingTimeInterval(90)) { _ in }
        #expect(left.isEmpty)

        let bag = MotoEventBus(bus: bus, queueURL: url, client: client)
        let got = try await bag.receive(Self.expected.count)
        #expect(got.count == Self.expected.count)
        var seen: [String: Value] = [:]
        for e in got {
            let m = e.mapValue ?? [:]
            let detail = m["detail"]?.mapValue ?? [:]
            let status = detail["tenantStatus"]?.stringValue ?? ""
            let want = try #require(Self.expected[status], "unexpected status \(status)")
            #expect(m["detail-type"]?.stringValue == want.0, "\(status)")
            #expect(m["source"]?.stringValue == want.1, "\(status)")
            #expect(detail["tenantId"]?.stringValue == "t-" + status.replacingOccurrences(of: "_", with: "-"))
            #expect(detail["blueprint"]?.stringValue == "web")
            #expect(detail["landlordEventType"]?.stringValue == EventStatus(rawValue: status)?.type)
            seen[status] = .map(detail)
        }
        #expect(Set(seen.keys) == Set(Self.expected.keys))
        #expect(seen["active"]?.mapValue?["jobOutput"]?.mapValue?["url"]?.stringValue == "https://x.example.com")
        #expect(seen["failed"]?.mapValue?["reason"]?.stringValue == "boom")
        let exports = seen["deleted"]?.mapValue?["exports"]?.listValue ?? []
        #expect(exports.first?.mapValue?["location"]?.stringValue == "s3://b/k.sql")
        #expect(exports.first?.mapValue?["resource"]?.stringValue == "db")
    }
}
