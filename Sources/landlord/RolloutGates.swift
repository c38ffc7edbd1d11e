import AWSClient
import Foundation
import LandlordBasics
import LandlordCore

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
