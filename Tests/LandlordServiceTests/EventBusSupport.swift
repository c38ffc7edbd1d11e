import AWSClient
import Foundation
import LandlordTestSupport
import ProviderAPI
import Testing

/// An EventBridge bus in moto whose rule (`source: landlord`) sends every event to an SQS
/// queue, so a test sees what was put on the bus by reading the queue.
struct MotoEventBus {
    static let events = AWSService(
        signingName: "events", endpointId: "EVENTBRIDGE", hostPrefix: "events", apiVersion: "AWSEvents", jsonVersion: "1.1")
    static let sqs = AWSService(signingName: "sqs", endpointId: "SQS", hostPrefix: "sqs", apiVersion: "AmazonSQS", jsonVersion: "1.0")

    let bus: String
    let queueURL: String
    let client: AWSClient

    /// The AWS_* variables a process needs to reach moto (dummy credentials, us-east-1).
    static var environment: [String: String] { Moto.environment.filter { $0.key.hasPrefix("AWS_") } }

    /// A bus name no other test uses.
    static func uniqueName() -> String { "tenants-" + UUID().uuidString.prefix(8).lowercased() }

    /// Creates a bus (a unique name unless given), its queue and the rule between them.
    static func make(bus: String = uniqueName()) async throws -> MotoEventBus {
        let client = try Moto.client()
        _ = try await call(client, events, "CreateEventBus", ["Name": .string(bus)])
        let queue = try await call(client, sqs, "CreateQueue", ["QueueName": .string("events-\(bus)")])
        let url = try #require(queue.mapValue?["QueueUrl"]?.stringValue)
        let attrs = try await call(client, sqs, "GetQueueAttributes", ["QueueUrl": .string(url), "AttributeNames": ["QueueArn"]])
        let arn = try #require(attrs.mapValue?["Attributes"]?.mapValue?["QueueArn"]?.stringValue)
        _ = try await call(
            client, events, "PutRule",
            ["Name": "to-queue", "EventBusName": .string(bus), "EventPattern": #"{"source": ["landlord"]}"#, "State": "ENABLED"])
        _ = try await call(
            client, events, "PutTargets", ["Rule": "to-queue", "EventBusName": .string(bus), "Targets": [["Id": "queue", "Arn": .string(arn)]]])
        return MotoEventBus(bus: bus, queueURL: url, client: client)
    }

    /// Events read from the queue (each the bus's envelope: `source`, `detail-type`,
    /// `detail`) until `count` arrived or `seconds` passed, in the order received.
    func receive(_ count: Int, within seconds: Double = 30) async throws -> [Value] {
        var got: [Value] = []
        let end = Date().addingTimeInterval(seconds)
        while got.count < count && Date() < end {
            let r = try await Self.call(
                client, Self.sqs, "ReceiveMessage", ["QueueUrl": .string(queueURL), "MaxNumberOfMessages": 10, "VisibilityTimeout": 600])
            let messages = r.mapValue?["Messages"]?.listValue ?? []
            for m in messages { if let body = m.mapValue?["Body"]?.stringValue { got.append(try JSON.parse(Array(body.utf8))) } }
            if messages.isEmpty { try await Task.sleep(for: .milliseconds(200)) }
        }
        return got
    }

    static func call(_ client: AWSClient, _ service: AWSService, _ operation: String, _ body: [String: Value]) async throws -> Value {
        let data = try await client.json(service, operation: operation, body: Data(JSON.serialize(.map(body))))
        return data.isEmpty ? .map([:]) : try JSON.parse(Array(data))
    }
}
