import AWSSchema
import Foundation
import LandlordBasics
import ProviderAPI
import StripeSchema

/// Which AWS API a resource type's calls go to.
enum MockAPI {
    static func of(_ type: String) -> String {
        switch type {
        case AWSResourceTypes.targetGroup, AWSResourceTypes.listenerRule: return "elbv2"
        case AWSResourceTypes.route53Record: return "route53"
        case AWSResourceTypes.taskDefinition, AWSResourceTypes.ecsService: return "ecs"
        case AWSResourceTypes.userPool, AWSResourceTypes.userPoolClient, AWSResourceTypes.userGroup, AWSResourceTypes.user: return "cognito-idp"
        case AWSResourceTypes.iamRole: return "iam"
        case AWSResourceTypes.contactList, AWSResourceTypes.contact: return "ses"
        case AWSResourceTypes.identityPool: return "cognito-identity"
        case AWSResourceTypes.dynamoItem: return "dynamodb"
        case StripeResourceTypes.customer: return "stripe"
        default: return "other"
        }
    }
}

/// Both sides of API rate limits in the simulation: the "server" throttles an API above its
/// limit (and records the busiest second it saw); the "client" paces calls with a token bucket
/// per API and retries throttled calls with backoff, as the AWS client does.
// @unchecked: every `var` is read and written only under `lock`.
final class MockLimiter: @unchecked Sendable {
    private let lock = NSLock()
    private var arrivals: [String: [Double]] = [:]
    private var busiest: [String: Int] = [:]
    private var buckets: [String: TokenBucket] = [:]

    /// Records an arrival; true when the server throttles it.
    func arrive(_ api: String, limit: Double?) -> Bool {
        let now = ProcessInfo.processInfo.systemUptime
        return lock.withLock {
            var a = arrivals[api, default: []]
            a.append(now)
            let cut = a.firstIndex { $0 > now - 1 } ?? a.count
            if cut > 0 { a.removeFirst(cut) }
            arrivals[api] = a
            busiest[api] = max(busiest[api] ?? 0, a.count)
            guard let limit, Double(a.count) > limit else { return false }
            return true
        }
    }

    func bucket(_ api: String, rate: Double?) -> TokenBucket? {
        guard let rate else { return nil }
        return lock.withLock {
            if let b = buckets[api] { return b }
            let b = TokenBucket(rate: rate)
            buckets[api] = b
            return b
        }
    }

    /// The most calls the server saw in any one second, per API.
    var busiestSecond: [String: Int] { lock.withLock { busiest } }
}

extension MockProvider {
    /// Paces and sends one API call; retries throttling with backoff and full jitter. Returns a
    /// diagnostic only when the call stayed throttled through every retry.
    func call(_ api: String) async -> ProviderDiagnostic? {
        let bucket = limiter.bucket(api, rate: settings.rateLimits[api])
        for attempt in 0..<8 {
            await bucket?.take()
            if !limiter.arrive(api, limit: settings.throttleRPS) {
                await bucket?.succeeded()
                return nil
            }
            await bucket?.throttled()
            let cap = min(2.0, 0.05 * pow(2, Double(attempt)))
            try? await Task.sleep(nanoseconds: UInt64(Double.random(in: 0...cap) * 1e9))
        }
        return .error(
            "\(api) kept throttling (Throttling: Rate exceeded)",
            detail: "lower provider.aws.rateLimits.\(api) in platform.yaml or --parallelism, then run apply again", code: "Throttling",
            retryable: true)
    }

    /// The most calls the simulated server saw in any one second, per API.
    public var busiestSecond: [String: Int] { limiter.busiestSecond }
}

/// Route53 record changes go in batches per hosted zone, as ChangeResourceRecordSets takes
/// them: a batch is all-or-nothing, so one bad record fails it, and the batch is split to find
/// the bad record while the others land.
/// (The batching rule is the schema's, its size `LANDLORD_MOCK_BATCH_SIZE`: `MockProvider.schema`.)
extension MockProvider: BatchingProvider {
    public func applyBatch(_ requests: [ApplyRequest]) async -> [ApplyResponse] {
        guard requests.allSatisfy({ $0.type == AWSResourceTypes.route53Record }) else {
            var out: [ApplyResponse] = []
            for r in requests { out.append(await apply(r)) }
            return out
        }
        var out: [ApplyResponse] = []
        var start = 0
        while start < requests.count {
            let chunk = Array(requests[start..<min(requests.count, start + settings.route53BatchSize)])
            out += await changeBatch(chunk)
            start += chunk.count
        }
        return out
    }

    /// One simulated ChangeResourceRecordSets call, atomic; on failure split in halves.
    func changeBatch(_ requests: [ApplyRequest]) async -> [ApplyResponse] {
        if let throttled = await call("route53") { return requests.map { _ in ApplyResponse(resource: nil, diagnostics: [throttled]) } }
        await latency()
        count("ChangeResourceRecordSets")
        for r in requests { count("\(r.operation.rawValue) \(r.type)") }
        let faults = requests.map { $0.operation != .delete ? injectedFault($0.identity.address) : nil }
        let outcome: [ApplyResponse]?
        do {
            outcome = try await BlockingIO.run {
                try self.cloud.transact { tx -> [ApplyResponse]? in
                    // All or nothing: check every change against the cloud as it would be.
                    var results: [ApplyResponse] = []
                    var trial = tx
                    for (k, r) in requests.enumerated() {
                        if faults[k] != nil {
                            trial.rollback()
                            return nil
                        }
                        let resp: ApplyResponse
                        switch r.operation {
                        case .create: resp = self.create(r, &trial)
                        case .update: resp = self.update(r, &trial)
                        case .delete: resp = self.delete(r, &trial)
                        }
                        if resp.diagnostics.hasErrors {
                            trial.rollback()
                            return nil
                        }
                        results.append(resp)
                    }
                    tx = trial
                    return results
                }
            }
        } catch {
            return requests.map { _ in ApplyResponse(resource: nil, diagnostics: [.error("simulated cloud unavailable", detail: "\(error)")]) }
        }
        if let outcome { return outcome }
        if requests.count == 1 {
            if let f = faults[0] { return [ApplyResponse(resource: nil, diagnostics: [f])] }
            return [await apply(requests[0])]  // the single change, for its own error message
        }
        let half = requests.count / 2
        return await changeBatch(Array(requests[..<half])) + changeBatch(Array(requests[half...]))
    }
}

/// Rule priorities on pool listeners held by rules that are not this platform's.
extension MockProvider: CapacityReadingProvider {
    public func numbersInUse(members listeners: [String], platform: String) async -> NumbersInUse {
        let wanted = Set(listeners)
        do {
            let rules = try cloud.transact { tx in tx.all(ofType: AWSResourceTypes.listenerRule) }
            var out: [String: Set<Int>] = [:]
            for r in rules where r.tags[LandlordTag.platform] != platform {
                let l = MockRules.str(r, "listener")
                if wanted.contains(l), let p = r.attributes["priority"]?.intValue { out[l, default: []].insert(p) }
            }
            return NumbersInUse(numbers: out)
        } catch {
            return NumbersInUse(diagnostics: [.error("simulated cloud unreadable", detail: "\(error)")])
        }
    }
}

/// Lists the simulated account's resources of a type, so account-wide quotas count those made
/// outside Landlord (a platform's SES contact list).
extension MockProvider: QuotaReadingProvider {
    public func existingResources(type: String) async -> ExistingResources {
        do {
            let ids = try cloud.transact { tx in Set(tx.all(ofType: type).map(\.id)) }
            return ExistingResources(ids: ids)
        } catch {
            return ExistingResources(ids: [], diagnostics: [.error("simulated cloud unreadable", detail: "\(error)")])
        }
    }
}
