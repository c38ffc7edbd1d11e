import AWSClient
import AWSProvider
import AWSSchema
import Foundation
import LandlordBasics
import ProviderAPI
import Synchronization
import Testing

/// A transport that answers from a script and records, on the pacing clock, when each
/// request reached it.
final class TimedTransport: HTTPTransport, Sendable {
    private let state: Mutex<(script: [HTTPResponse], times: [Double])>
    private let fallback: HTTPResponse
    let clock: any PacingClock

    init(_ script: [HTTPResponse] = [], then fallback: HTTPResponse, clock: any PacingClock) {
        state = Mutex((script, []))
        self.fallback = fallback
        self.clock = clock
    }

    /// When each request arrived (seconds on the clock), in arrival order.
    var arrivals: [Double] { state.withLock { $0.times } }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let now = clock.now()
        return state.withLock {
            $0.times.append(now)
            return $0.script.isEmpty ? fallback : $0.script.removeFirst()
        }
    }
}

@Suite struct RateLimitTests {
    let env = ["AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "us-east-1", "HOME": "/nonexistent"]
    let fast = RetryPolicy(maxAttempts: 6, baseDelay: 0.001, maxDelay: 0.01, maxTotalTime: 3600)

    func client(_ transport: HTTPTransport, _ limits: AWSRateLimits) throws -> AWSClient {
        AWSClient(configuration: try AWSConfiguration.resolve(environment: env), transport: transport, retry: fast, pacer: limits)
    }

    /// 30 concurrent calls at 10 per second: counted per time slice from before the first call,
    /// no slice holds more than the rate allows (plus the one-token burst). On a test clock:
    /// the bucket's waits move its time instead of taking 3 s of the test run's.
    @Test func concurrentCallsArePacedPerAPI() async throws {
        let clock = TestPacingClock()
        let transport = TimedTransport(then: describeOK, clock: clock)
        let limits = AWSRateLimits(rates: ["elbv2": 10, "route53": 1000], clock: clock)
        let client = try client(transport, limits)
        let start = clock.now()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<30 { group.addTask { _ = try await client.query(.elbv2, action: "DescribeTargetGroups") } }
            try await group.waitForAll()
        }
        let offsets = transport.arrivals.map { $0 - start }.sorted()
        #expect(offsets.count == 30)
        for slice in 1...3 {
            let count = offsets.filter { $0 < Double(slice) - 0.005 }.count
            #expect(count <= slice * 10 + 1, "\(count) calls in the first \(slice) s at 10 per second")
        }
        // The k-th call cannot leave before k/rate seconds: 30 calls span at least 2.9 s.
        for (k, offset) in offsets.enumerated() { #expect(offset >= Double(k) / 10 - 0.005, "call \(k) left at \(offset) s") }
        #expect(try #require(offsets.last) >= 2.5)
    }

    @Test func eachAPIHasItsOwnBucket() async throws {
        let limits = AWSRateLimits(rates: ["elbv2": 10, "route53": 5])
        let elb = try #require(limits.bucket("elbv2"))
        #expect(limits.bucket("elasticloadbalancing") === elb)
        #expect(limits.bucket("route53") !== elb)
        #expect(await limits.bucket("route53")?.maxRate == 5)
        #expect(limits.bucket("s3") == nil)  // unlisted APIs are not paced
        // Providers configured alike share the process-wide buckets.
        #expect(AWSRateLimits.shared(rates: ["route53": 3]) === AWSRateLimits.shared(rates: ["route53": 3]))
    }

    /// A throttling answer halves the API's rate (then each success wins back 1/20 of it), and
    /// the retry and the calls after it are paced at the lower rate.
    @Test func throttlingHalvesTheRate() async throws {
        let clock = TestPacingClock()
        let transport = TimedTransport([throttled], then: describeOK, clock: clock)
        let limits = AWSRateLimits(rates: ["elbv2": 10], clock: clock)
        let client = try client(transport, limits)
        let start = clock.now()
        _ = try await client.query(.elbv2, action: "DescribeTargetGroups")
        let bucket = try #require(limits.bucket("elbv2"))
        #expect(await bucket.rate == 5.5)  // 10 halved by the throttle, +0.5 for the retry's success
        for _ in 0..<10 { _ = try await client.query(.elbv2, action: "DescribeTargetGroups") }
        let arrivals = transport.arrivals
        try #require(arrivals.count == 12)
        // The retry waits a token at the halved rate: 1/5 s after the throttled attempt took its
        // token (1/10 s unthrottled), however long the answer and the backoff took.
        #expect(arrivals[1] - start >= 0.195)
        // Unthrottled, 11 sequential intervals take at least 1.1 s. After the halving, interval j
        // is at least 2/r(j) - 1/r(j-1) with r(j) = 5 + 0.5 j (a token owed at the old rate is
        // repaid at the new one): 0.2 + 1.24 = 1.44 s in all.
        #expect(arrivals[11] - start >= 1.35)
        #expect(await bucket.rate == 10)  // recovered: 5 + 11 x 0.5, capped at the configured rate
    }

    @Test func ratesComeFromPlatformSettings() throws {
        let rates = try AWSRateLimits.rates(from: ["route53": 2, "elbv2": .double(7.5), "cognito-idp": "3"])
        #expect(rates["route53"] == 2)
        #expect(rates["elbv2"] == 7.5)
        #expect(rates["cognito-idp"] == 3)
        #expect(rates["dynamodb"] == AWSRateLimits.defaults["dynamodb"])
        let provider = AWSProvider(settings: ["region": "us-east-1", "rateLimits": ["route53": 2]], environment: env)
        #expect(provider.rateLimits?.rates["route53"] == 2)
        // IAM and SES are unpaced unless set; set, they get a bucket under their signing names.
        #expect(AWSRateLimits().bucket("iam") == nil)
        let set = AWSRateLimits(rates: try AWSRateLimits.rates(from: ["iam": 4, "ses": 1]))
        #expect(set.bucket("iam") != nil && set.bucket("ses") != nil)
    }

    @Test func badRateLimitsAreAConfigurationDiagnostic() async throws {
        for bad: Value in [["route54": 5], ["route53": 0], ["ecs": "fast"], "5"] {
            let provider = AWSProvider(settings: ["region": "us-east-1", "rateLimits": bad], environment: env)
            let response = await provider.apply(
                ApplyRequest(
                    operation: .create, type: AWSResourceTypes.route53Record,
                    identity: ResourceIdentity(address: "a/dns", tenant: "a", platform: "p"),
                    prior: nil, inputs: [:], clientToken: "t"))
            let d = try #require(response.diagnostics.first)
            #expect(d.summary.contains("rateLimits"), "\(d)")
            #expect(d.detail.contains("platform.yaml"))
        }
    }
}
