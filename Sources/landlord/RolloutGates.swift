import AWSClient
import Foundation
import LandlordBasics
import LandlordCore

/// Health checks' GETs over the project's HTTP transport, each with a hard deadline: a server
/// that accepts and never answers is a failed try, not a stuck rollout.
struct HTTPHealthProbe: HealthProbe {
    /// One transport for every check; each try's own deadline is enforced below.
    private let transport = URLSessionTransport(timeout: 300)

    func get(_ url: String, timeout: Double) async -> HealthAnswer {
        guard let c = URLComponents(string: url), let scheme = c.scheme, let host = c.host else { return .error("'\(url)' is not a URL") }
        let request = HTTPRequest(
            method: "GET", scheme: scheme, host: host, port: c.port, path: c.percentEncodedPath.isEmpty ? "/" : c.percentEncodedPath,
            query: (c.queryItems ?? []).map { ($0.name, $0.value ?? "") }, headers: [("User-Agent", "landlord-health")], body: Data())
        let transport = self.transport
        return await withTaskGroup(of: HealthAnswer?.self) { group in
            group.addTask {
                do {
                    let r = try await transport.send(request)
                    return .status(r.status, body: String(decoding: r.body.prefix(200), as: UTF8.self))
                } catch {
                    return .error("\(error)")
                }
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(timeout))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? .error("no answer within \(String(format: "%.1f", timeout))s")
        }
    }
}

/// Fleet alarms from CloudWatch (DescribeAlarms, Query protocol).
struct CloudWatchAlarms: AlarmSource {
    let client: AWSClient

    static let service = AWSService(signingName: "monitoring", endpointId: "CLOUDWATCH", hostPrefix: "monitoring", apiVersion: "2010-08-01")

    /// CloudWatch in the platform's AWS region, with credentials from the environment.
    init(region: String?, environment: [String: String]) throws {
        let configuration = try AWSConfiguration.resolve(region: region, environment: environment)
        client = AWSClient(configuration: configuration, retry: RetryPolicy(maxAttempts: 3, baseDelay: 0.2, maxDelay: 2, maxTotalTime: 20))
    }

    func firing(_ names: [String]) async throws -> [String] {
        // ARNs name the alarm after `:alarm:`.
        let wanted = names.map { n in n.range(of: ":alarm:").map { String(n[$0.upperBound...]) } ?? n }
        var params: [String: String] = [:]
        for (i, n) in wanted.enumerated() { params["AlarmNames.member.\(i + 1)"] = n }
        let xml = try await client.query(Self.service, action: "DescribeAlarms", params)
        var states: [String: String] = [:]
        for a in xml.at("DescribeAlarmsResult", "MetricAlarms")?.all("member") ?? [] {
            if let name = a.string("AlarmName") { states[name] = a.string("StateValue") ?? "" }
        }
        let missing = wanted.filter { states[$0] == nil }
        if !missing.isEmpty {
            throw FileError(
                "CloudWatch has no alarm \(missing.joined(separator: ", ")) in this region: fix `rollout: {alarms: ...}` in platform.yaml")
        }
        return wanted.filter { states[$0] == "ALARM" }
    }
}
