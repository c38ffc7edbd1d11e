import Crypto
import Foundation
import LandlordBasics
import LandlordCore
import LandlordHTTP
import ProviderAPI
import Synchronization

/// Tenant lifecycle events, CloudEvents 1.0 structured JSON, kept in a durable outbox per sink
/// (`.landlord/service/outbox/SINK/SEQ.json`, written before the status change that caused
/// them is recorded) and delivered in order, at least once, until delivered or a day old.
final class EventOutbox: Sendable {
    /// One webhook endpoint and its signing key.
    struct Sink: Sendable {
        var url: URL
        var key: [UInt8]
        /// The outbox directory of this sink.
        var directory: String
    }

    let sinks: [Sink]
    let platform: String
    private let sequence: Mutex<Int>
    private let wake: Mutex<[AsyncStream<Void>.Continuation]>
    /// How long an event is retried before it is given up (a day).
    let retryFor: TimeInterval

    /// Reads the sinks of platform.yaml; throws when a secret's variable is not set.
    init(root: URL, platform: PlatformSpec, environment: [String: String], retryFor: TimeInterval = 86_400) throws {
        var sinks: [Sink] = []
        for hook in platform.events.webhooks {
            guard let url = URL(string: hook.url) else { continue }
            var key: [UInt8] = []
            if let name = hook.secretEnv {
                guard let secret = environment[name], !secret.isEmpty else {
                    throw FileError("the webhook \(hook.url) is signed with the secret in \(name), which is not set: export \(name) and start again")
                }
                key = Self.signingKey(secret)
            }
            let dir = root.appendingPathComponent(".landlord/service/outbox/webhook-" + String(Digest.sha256Hex(hook.url).prefix(12))).path
            try AtomicFile.makeDirectory(dir)
            sinks.append(Sink(url: url, key: key, directory: dir))
        }
        self.sinks = sinks
        self.platform = platform.name
        self.retryFor = retryFor
        var highest = 0
        for s in sinks { highest = max(highest, Self.pending(s).last.flatMap { Int($0.prefix(20)) } ?? 0) }
        sequence = Mutex(highest)
        wake = Mutex([])
    }

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

    /// The CloudEvent of a status change.
    func event(_ record: TenantRecord, reason: String?, outputs: [String: Value], at now: Date) -> Value? {
        guard let type = record.status.eventType else { return nil }
        var data: [String: Value] = [
            "tenantId": .string(record.id), "blueprint": .string(record.blueprint), "status": .string(record.status.rawValue),
            "outputs": .map(TenantDocument.withoutSensitive(outputs)),
        ]
        if let reason { data["reason"] = .string(reason) }
        return .map([
            "specversion": "1.0", "type": .string(type), "source": .string("/landlord/\(platform)"), "subject": .string(record.id),
            "id": .string(UUID().uuidString.lowercased()), "time": .string(ISO8601DateFormatter().string(from: now)),
            "datacontenttype": "application/json", "data": .map(data),
        ])
    }

    /// Records `event` in every sink's outbox (durably) and wakes the deliverers.
    func enqueue(_ event: Value) throws {
        guard !sinks.isEmpty else { return }
        let n = sequence.withLock { s in
            s += 1
            return s
        }
        let bytes = JSON.serialize(event)
        for s in sinks { try AtomicFile.write(bytes, to: s.directory + "/" + String(format: "%020d", n) + ".json", durable: true) }
        wake.withLock { for c in $0 { c.yield() } }
    }

    /// Events waiting in a sink's outbox, oldest first.
    static func pending(_ sink: Sink) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: sink.directory)) ?? []).filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted()
    }

    /// Events not yet delivered, over every sink.
    var backlog: Int { sinks.reduce(0) { $0 + Self.pending($1).count } }

    /// Delivers every sink's events in order until the task is cancelled: a failed delivery is
    /// retried with backoff (1 s doubling to 5 min) for `retryFor`, then given up with a line
    /// on `log`.
    func deliver(transport: any HTTPTransport, log: @escaping @Sendable (String) -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            for sink in sinks {
                let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
                wake.withLock { $0.append(continuation) }
                group.addTask { await self.deliver(sink, wakes: stream, transport: transport, log: log) }
            }
        }
    }

    private func deliver(_ sink: Sink, wakes: AsyncStream<Void>, transport: any HTTPTransport, log: @Sendable (String) -> Void) async {
        var attempt = 0
        while !Task.isCancelled {
            guard let name = Self.pending(sink).first else {
                // Wait for a new event (or poll again after a second).
                await withTaskGroup(of: Void.self) { g in
                    g.addTask { for await _ in wakes { return } }
                    g.addTask { try? await Task.sleep(for: .seconds(1)) }
                    await g.next()
                    g.cancelAll()
                }
                continue
            }
            let path = sink.directory + "/" + name
            guard let body = AtomicFile.read(path), let event = try? JSON.parse(body), case .map(let m) = event else {
                log("event file \(path) is unreadable; moved aside as \(path).bad")
                _ = try? FileManager.default.moveItem(atPath: path, toPath: path + ".bad")
                continue
            }
            let id = m["id"]?.stringValue ?? name
            let time = m["time"]?.stringValue.flatMap { ISO8601DateFormatter().date(from: $0) } ?? Date()
            let ts = Int(Date().timeIntervalSince1970)
            var headers = [("content-type", "application/json"), ("webhook-id", id), ("webhook-timestamp", String(ts))]
            if !sink.key.isEmpty { headers.append(("webhook-signature", Self.signature(key: sink.key, id: id, timestamp: ts, body: body))) }
            let request = HTTPRequest(
                method: "POST", scheme: sink.url.scheme ?? "https", host: sink.url.host ?? "", port: sink.url.port,
                path: sink.url.path.isEmpty ? "/" : sink.url.path, headers: headers, body: Data(body))
            var delivered = false
            var problem = ""
            do {
                let response = try await transport.send(request)
                delivered = (200..<300).contains(response.status)
                problem = "HTTP \(response.status)"
            } catch {
                problem = "\(error)"
            }
            if delivered || Date().timeIntervalSince(time) > retryFor {
                if !delivered { log("gave up delivering event \(id) to \(sink.url) after \(Int(retryFor))s: \(problem)") }
                try? FileManager.default.removeItem(atPath: path)
                attempt = 0
                continue
            }
            attempt += 1
            try? await Task.sleep(for: .seconds(min(300, pow(2, Double(min(attempt - 1, 9))))))
        }
    }
}
