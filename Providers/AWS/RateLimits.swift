import AWSClient
import Foundation
import LandlordBasics
import ProviderAPI
import Synchronization

/// One token bucket per AWS API, shared by every concurrent call of the process: each attempt
/// (retries too) waits for a token of its API's bucket; a throttling answer halves that API's
/// rate, each other answer wins a twentieth of it back (AIMD, see `TokenBucket`).
///
/// Configured in platform.yaml as `provider: {aws: {rateLimits: {route53: 5, elbv2: 10, ...}}}`
/// (requests per second; an API left out keeps its default). APIs not listed here are unpaced.
///
/// Defaults, in requests per second, and where they come from (AWS throttles per account and
/// region, so everything else calling the account, the console included, shares these rates;
/// the defaults sit at or below the published sustained rates, and throttling answers adapt):
/// - `route53` 5: "Five requests per second per AWS account" was Route 53's long-standing hard
///   limit (Route 53 Developer Guide, "Limits on Route 53 API requests"; AWS re:Post "How can I
///   avoid Route 53 API throttling errors?"). The current throttling page
///   (Route53/latest/DeveloperGuide/throttling-api-requests) gives an account bucket of 50
///   with a refill of 10/s plus a separate change-throughput bucket; 5 stays under both, and
///   record changes are batched (`applyBatch`) so few calls are needed.
/// - `elbv2` 10: ELB's throttling page (elasticloadbalancing/latest/userguide/elb-api-throttling)
///   gives non-mutating (`Describe*`) actions a bucket of 40 refilled at 10/s per account and
///   region; mutating actions (CreateRule, CreateTargetGroup, ...) have their own, lower buckets.
/// - `ecs` 20: ECS throttles with per-action-group token buckets (AmazonECS/latest/APIReference/
///   request-throttling; e.g. cluster reads: bucket 50); service-management actions refill
///   more slowly, which the throttling feedback absorbs.
/// - `cognito-idp` 10: user pool operations have category quotas in requests per second
///   (cognito/latest/developerguide/quotas, e.g. UserCreation 50 RPS); the pool and client
///   management categories this provider uses are lower, so 10 is kept conservative.
/// - `cognito-identity` 10: identity pool operations have per-operation RPS quotas (same page).
/// - `dynamodb` 100: item reads and writes are bounded by table capacity, not a call quota; the
///   control plane is throttled at 2,500 requests per second per account
///   (amazondynamodb/latest/developerguide/bp-control-plane).
public final class AWSRateLimits: RequestPacer {
    /// The default requests per second by setting name.
    public static let defaults: [String: Double] = [
        "route53": 5, "elbv2": 10, "ecs": 20, "cognito-idp": 10, "cognito-identity": 10, "dynamodb": 100,
    ]

    /// Setting names (platform.yaml) to SigV4 signing names, the key the client paces by.
    public static let signingNames: [String: String] = [
        "route53": "route53", "elbv2": "elasticloadbalancing", "ecs": "ecs",
        "cognito-idp": "cognito-idp", "cognito-identity": "cognito-identity", "dynamodb": "dynamodb",
        // Unpaced unless platform.yaml sets a rate: few calls per tenant, and throttling is retried.
        "iam": "iam", "ses": "ses",
    ]

    /// The configured rates by setting name (defaults with the overrides applied).
    public let rates: [String: Double]
    private let buckets: [String: TokenBucket]

    /// Buckets for these rates (by setting name), each allowing bursts of `burst` calls and
    /// timed by `clock`. A new instance has buckets of its own; use `shared(rates:)` to share
    /// them process-wide.
    public init(rates: [String: Double] = AWSRateLimits.defaults, burst: Double = 1, clock: any PacingClock = SystemPacingClock()) {
        self.rates = rates
        var buckets: [String: TokenBucket] = [:]
        for (name, rate) in rates {
            buckets[Self.signingNames[name] ?? name] = TokenBucket(rate: rate, burst: burst, clock: clock)
        }
        self.buckets = buckets
    }

    /// The bucket pacing an API, by setting name (`elbv2`) or signing name (`elasticloadbalancing`).
    public func bucket(_ name: String) -> TokenBucket? {
        buckets[Self.signingNames[name] ?? name]
    }

    public func willSend(service: String) async {
        await buckets[service]?.take()
    }

    public func didAnswer(service: String, throttled: Bool) async {
        guard let bucket = buckets[service] else { return }
        if throttled { await bucket.throttled() } else { await bucket.succeeded() }
    }

    private static let instances = Mutex<[[String: Double]: AWSRateLimits]>([:])

    /// The process-wide buckets for these rates: every provider of the process configured
    /// alike shares one bucket per API.
    public static func shared(rates: [String: Double]) -> AWSRateLimits {
        instances.withLock { instances in
            if let existing = instances[rates] { return existing }
            let limits = AWSRateLimits(rates: rates)
            instances[rates] = limits
            return limits
        }
    }

    /// Reads `provider.aws.rateLimits` over the defaults. Throws a diagnostic naming the
    /// setting to fix for an unknown API or a rate that is not a positive number.
    public static func rates(from setting: Value?) throws(ProviderDiagnostic) -> [String: Double] {
        var rates = defaults
        guard let setting, setting != .null else { return rates }
        guard let map = setting.mapValue else {
            throw .error(
                "provider.aws.rateLimits must be a map of API to requests per second",
                detail: "write it as rateLimits: {route53: 5, elbv2: 10} in platform.yaml", attribute: "rateLimits",
                code: AWSError.LocalFault.configuration.rawValue)
        }
        for (name, value) in map {
            guard signingNames[name] != nil else {
                throw .error(
                    "provider.aws.rateLimits names an unknown API '\(name)'",
                    detail: "use one of: \(signingNames.keys.sorted().joined(separator: ", ")) in platform.yaml",
                    attribute: "rateLimits", code: AWSError.LocalFault.configuration.rawValue)
            }
            let number: Double? =
                switch value {
                case .int(let i): Double(i)
                case .double(let d): d
                case .string(let s): Double(s)
                default: nil
                }
            guard let number, number > 0, number.isFinite else {
                throw .error(
                    "provider.aws.rateLimits.\(name) must be a positive number of requests per second",
                    detail: "set it to e.g. \(defaults[name].map { String(Int($0)) } ?? "10") in platform.yaml (the default), or leave it out",
                    attribute: "rateLimits", code: AWSError.LocalFault.configuration.rawValue)
            }
            rates[name] = number
        }
        return rates
    }
}
