import AWSClient
import Crypto
import Foundation
import LandlordHTTP
import ProviderAPI

/// One event waiting in a sink's outbox.
public struct PendingEvent: Sendable {
    /// Its file in the sink's outbox directory.
    public var path: String
    /// The tenant it is about (events of one tenant go out in order).
    public var tenant: String
    /// The CloudEvents `id`, `type` and `time`.
    public var id: String
    public var type: String
    public var time: Date
    /// The event's JSON.
    public var body: [UInt8]
}

/// Where events go: a webhook endpoint or an EventBridge bus.
protocol EventSink: Sendable {
    /// The sink as logs name it (`https://example.com/hooks`, `eventbridge bus tenants`).
    var name: String { get }
    /// Its outbox directory.
    var directory: String { get }
    /// How many events (each the oldest of a different tenant) one ``send(_:)`` takes.
    var batchSize: Int { get }
    /// Sends `events`; answers one entry per event: nil when delivered, else what went wrong.
    func send(_ events: [PendingEvent]) async -> [String?]
}

/// A webhook endpoint, signed as Standard Webhooks says; a batch's events are posted at once,
/// one request each.
struct WebhookSink: EventSink {
    var url: URL
    var key: [UInt8]
    var directory: String
    var transport: any HTTPTransport
    var name: String { url.absoluteString }
    var batchSize: Int { 8 }

    /// Standard Webhooks secrets are `whsec_` and base64; any other text is used as it is.
    static func signingKey(_ secret: String) -> [UInt8] {
        if secret.hasPrefix("whsec_"), let d = Data(base64Encoded: String(secret.dropFirst(6))) { return Array(d) }
        return Array(secret.utf8)
    }

    /// `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` (Standard Webhooks).
    static func signature(key: [UInt8], id: String, timestamp: Int, body: [UInt8]) -> String {
        var signed = Array("\(id).\(timestamp).".utf8)
        signed += body
        let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: key))
        return "v1," + Data(mac).base64EncodedString()
    }

    func send(_ events: [PendingEvent]) async -> [String?] {
        await withTaskGroup(of: Keyed<Int, String?>.self) { group in
            for (i, e) in events.enumerated() { group.addTask { Keyed(i, await post(e)) } }
            var out = [String?](repeating: nil, count: events.count)
            for await k in group { out[k.key] = k.value }
            return out
        }
    }

    private func post(_ e: PendingEvent) async -> String? {
        let ts = Int(Date().timeIntervalSince1970)
        var headers = [("content-type", "application/json"), ("webhook-id", e.id), ("webhook-timestamp", String(ts))]
        if !key.isEmpty { headers.append(("webhook-signature", Self.signature(key: key, id: e.id, timestamp: ts, body: e.body))) }
        let request = HTTPRequest(
            method: "POST", scheme: url.scheme ?? "https", host: url.host ?? "", port: url.port, path: url.path.isEmpty ? "/" : url.path,
            headers: headers, body: Data(e.body))
        do {
            let response = try await transport.send(request)
            return (200..<300).contains(response.status) ? nil : "HTTP \(response.status)"
        } catch {
            return "\(error)"
        }
    }
}

extension AWSService {
    /// Amazon EventBridge (CloudWatch Events): JSON 1.1, target prefix `AWSEvents`.
    static let eventBridge = AWSService(
        signingName: "events", endpointId: "EVENTBRIDGE", hostPrefix: "events", apiVersion: "AWSEvents", jsonVersion: "1.1")
}

/// An EventBridge bus: PutEvents with up to 10 entries per call (`Source` `landlord`,
/// `DetailType` the CloudEvents type, `Detail` the event's JSON); entries the answer lists
/// with an `ErrorCode` are failed and sent again later.
struct EventBridgeSink: EventSink {
    var bus: String
    var client: AWSClient
    var directory: String
    /// `format: sbt-aws`: the SaaS Builder Toolkit's detail-types, sources and details (``SBTEvents``).
    var sbtAWS = false
    var name: String { "eventbridge bus \(bus)" }
    var batchSize: Int { 10 }
    /// PutEvents refuses requests over 256 KiB; batches stay below this many bytes of details.
    static let maxBatchBytes = 200_000

    func send(_ events: [PendingEvent]) async -> [String?] {
        var out = [String?](repeating: nil, count: events.count)
        var start = 0
        while start < events.count {
            // Up to 10 entries, and under the request size limit (a lone large one goes alone).
            var end = start + 1
            var bytes = events[start].body.count
            while end < events.count && end - start < batchSize && bytes + events[end].body.count <= Self.maxBatchBytes {
                bytes += events[end].body.count
                end += 1
            }
            let answers = await put(Array(events[start..<end]))
            for (i, a) in answers.enumerated() { out[start + i] = a }
            start = end
        }
        return out
    }

    /// One PutEvents call; one answer per entry.
    func put(_ events: [PendingEvent]) async -> [String?] {
        let entries: [Value] = events.map { e in
            if sbtAWS, let entry = SBTEvents.entry(e, bus: bus) { return entry }
            return .map([
                "Source": "landlord", "DetailType": .string(e.type), "Detail": .string(String(decoding: e.body, as: UTF8.self)),
                "EventBusName": .string(bus), "Resources": .list([]),
                "Time": .double(e.time.timeIntervalSince1970.rounded()),
            ])
        }
        let body = Data(JSON.serialize(.map(["Entries": .list(entries)])))
        let answer: Data
        do { answer = try await client.json(.eventBridge, operation: "PutEvents", body: body) } catch {
            return events.map { _ in "PutEvents failed: \(error)" }
        }
        guard let v = try? JSON.parse(Array(answer)), case .map(let m) = v, case .list(let results)? = m["Entries"], results.count == events.count
        else {
            return events.map { _ in "PutEvents answered without one result per entry" }
        }
        return results.map { r in
            guard case .map(let e) = r, let code = e["ErrorCode"]?.stringValue, !code.isEmpty else { return nil }
            return "\(code): \(e["ErrorMessage"]?.stringValue ?? "")"
        }
    }
}
