import AWSSchema
import Foundation
import LandlordBasics
import PostgresSchema
import ProviderAPI
import StripeSchema

/// Settings of the simulated cloud, usually from the environment:
/// `LANDLORD_MOCK_LATENCY_MS` (per call), `LANDLORD_MOCK_FAIL_RATE` (0 to 1) with
/// `LANDLORD_MOCK_SEED`, and `LANDLORD_MOCK_FAIL_MATCH` (fail every create/update of an
/// address containing this text), and `LANDLORD_MOCK_HOLD_FILE` (every call waits while
/// that file exists: tests hold a run at a known point instead of racing its latency).
public struct MockSettings: Sendable {
    /// While this file exists, every call waits (checked every 20 ms).
    public var holdFile: String?
    public var latencyMs: Double = 0
    public var failRate: Double = 0
    /// Seed for fault injection and generated ids; nil: a different one every process.
    public var seed: UInt64?
    public var failMatch: String?
    /// Fail every export of an address containing this text (`LANDLORD_MOCK_FAIL_EXPORT`).
    public var failExportMatch: String?
    public var region = "us-east-1"
    public var account = "123456789012"
    /// The simulated AWS throttles each API above this many calls per second
    /// (`LANDLORD_MOCK_THROTTLE_RPS`); nil: never.
    public var throttleRPS: Double?
    /// Client-side pacing per API (`elbv2`, `route53`, `ecs`, `cognito-idp`, `cognito-identity`,
    /// `dynamodb`, `iam`, `ses`), as `provider.aws.rateLimits` in platform.yaml sets for the AWS
    /// provider.
    public var rateLimits: [String: Double] = [:]
    /// Most record changes one simulated ChangeResourceRecordSets call takes (`LANDLORD_MOCK_BATCH_SIZE`).
    public var route53BatchSize = 1000
    /// Creates leave resources untagged, as a sign-up Lambda made them (`LANDLORD_MOCK_UNTAGGED=1`):
    /// a fleet to try `landlord adopt` on, once its state is removed.
    public var untagged = false

    public init() {}

    /// Reads the `LANDLORD_MOCK_*` variables.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> MockSettings {
        var s = MockSettings()
        if let v = env["LANDLORD_MOCK_LATENCY_MS"].flatMap(Double.init) { s.latencyMs = max(0, v) }
        if let v = env["LANDLORD_MOCK_FAIL_RATE"].flatMap(Double.init) { s.failRate = min(1, max(0, v)) }
        if let v = env["LANDLORD_MOCK_SEED"].flatMap(UInt64.init) { s.seed = v }
        if let v = env["LANDLORD_MOCK_FAIL_MATCH"], !v.isEmpty { s.failMatch = v }
        if let v = env["LANDLORD_MOCK_FAIL_EXPORT"], !v.isEmpty { s.failExportMatch = v }
        if let v = env["LANDLORD_MOCK_THROTTLE_RPS"].flatMap(Double.init), v > 0 { s.throttleRPS = v }
        if let v = env["LANDLORD_MOCK_BATCH_SIZE"].flatMap(Int.init), v > 0 { s.route53BatchSize = v }
        if let v = env["LANDLORD_MOCK_HOLD_FILE"], !v.isEmpty { s.holdFile = v }
        s.untagged = env["LANDLORD_MOCK_UNTAGGED"] == "1"
        return s
    }
}

/// The dry-run provider: serves every built-in type (`aws.*`, `stripe.*`, `postgres.*`) against a simulated
/// cloud that enforces what each service enforces. For tests, dry runs and benchmarks; not a
/// stand-in for the real providers.
// @unchecked: `rng`, `calls` and `apiCalls`, the only `var`s, are read and written only under `rngLock`.
public final class MockProvider: Provider, @unchecked Sendable {
    public let name = "aws"
    /// The types this provider serves, without making one (for reading specs): the union of
    /// every built-in provider's schema.
    public static let resourceSchema = ProviderSchema(
        resources: Array(AWSResourceTypes.schema.resources.values) + Array(StripeResourceTypes.schema.resources.values)
            + Array(PostgresResourceTypes.schema.resources.values))
    /// The types it serves, Route53 batches as large as `MockSettings.route53BatchSize`.
    public let schema: ProviderSchema
    /// The tag counting the tables a simulated `postgres.schema` holds (a schema holding any
    /// refuses a delete unless its `deletion` is `cascade`); tests set it as an application would.
    public static let postgresTablesTag = MockPostgres.tablesTag
    public let cloud: MockCloud
    let settings: MockSettings
    private let rngLock = NSLock()
    private var rng: SplitMix64
    private var calls: [String: Int] = [:]
    private var apiCalls: [APIOperation: Int] = [:]

    /// A provider over the cloud file at `cloudPath`.
    public init(cloudPath: String, settings: MockSettings = MockSettings()) {
        cloud = MockCloud(path: cloudPath)
        self.settings = settings
        var schema = MockProvider.resourceSchema
        schema.resources[AWSResourceTypes.route53Record]?.batching?.maxSize = settings.route53BatchSize
        self.schema = schema
        rng = SplitMix64(seed: settings.seed ?? (UInt64.random(in: 0...UInt64.max)))
    }

    /// How many calls of each kind (`create aws.lb_target_group`, `read`, ...) this process made.
    public var callCounts: [String: Int] { rngLock.withLock { calls } }

    func count(_ k: String) { rngLock.withLock { calls[k, default: 0] += 1 } }

    /// Counts `n` simulated requests to an AWS operation (what the AWS provider would send).
    func count(api: String, operation: String, _ n: Int = 1) {
        guard n > 0 else { return }
        rngLock.withLock { apiCalls[APIOperation(api: api, operation: operation), default: 0] += n }
    }

    /// The simulated AWS requests this process made, per API and operation (reads so far).
    public func apiCallCounts() -> [APIOperation: Int] { rngLock.withLock { apiCalls } }

    let limiter = MockLimiter()

    func latency() async {
        if let hold = settings.holdFile {
            while FileManager.default.fileExists(atPath: hold) { try? await Task.sleep(nanoseconds: 20_000_000) }
        }
        guard settings.latencyMs > 0 else { return }
        try? await Task.sleep(nanoseconds: UInt64(settings.latencyMs * 1_000_000))
    }

    func injectedFault(_ address: String) -> ProviderDiagnostic? {
        if let m = settings.failMatch, address.contains(m) {
            return .error(
                "injected fault for \(address)", detail: "LANDLORD_MOCK_FAIL_MATCH=\(m) is set; unset it to let this resource through",
                code: "InjectedFault")
        }
        guard settings.failRate > 0 else { return nil }
        let roll = rngLock.withLock { Double.random(in: 0..<1, using: &rng) }
        if roll < settings.failRate {
            return .error(
                "injected fault (LANDLORD_MOCK_FAIL_RATE=\(settings.failRate))", detail: "run apply again; the simulated cloud fails calls at random",
                code: "InjectedFault")
        }
        return nil
    }

    func randomHex(_ n: Int) -> String { rngLock.withLock { MockRules.hex(n, &rng) } }
    func randomAlnum(_ n: Int, upper: Bool = false) -> String { rngLock.withLock { MockRules.alnum(n, &rng, upper: upper) } }

    public func read(_ request: ReadRequest) async -> ReadResponse {
        for api in Set(request.resources.map { MockAPI.of($0.type) }).sorted() {
            if let throttled = await call(api) { return ReadResponse(resources: request.resources.map { _ in nil }, diagnostics: [throttled]) }
        }
        await latency()
        count("read")
        for r in request.resources {
            for call in AWSListReads.singleReadCalls(r) { count(api: call.api, operation: call.operation, call.count) }
        }
        do {
            let found = try cloud.read(request.resources.map { ($0.type, $0.id) }) { _, _ in () }.resources
            return ReadResponse(resources: found.map { $0.map { ResourceObject(type: $0.type, id: $0.id, attributes: $0.attributes) } })
        } catch {
            return ReadResponse(
                resources: request.resources.map { _ in nil }, diagnostics: [.error("simulated cloud unreadable", detail: "\(error)")])
        }
    }

    public func importResources(_ request: ImportRequest) async -> ImportResponse {
        if let throttled = await call(MockAPI.of(request.type)) { return ImportResponse(resources: [], diagnostics: [throttled]) }
        await latency()
        count("import")
        do {
            let found: [MockResource] = try cloud.transact { tx in
                if let id = request.id { return tx.get(type: request.type, id: id).map { [$0] } ?? [] }
                if schema.resources[request.type]?.taggable == true {
                    return tx.tagged(request.identity.address).filter { $0.type == request.type }
                }
                // Untaggable types are found by their natural key.
                let probe = MockResource(type: request.type, id: naturalID(request.type, request.inputs) ?? "", attributes: request.inputs, tags: [:])
                if request.type == AWSResourceTypes.userPoolClient {
                    return tx.referrers(of: MockRules.str(probe, "userPoolId")).filter {
                        $0.type == request.type && MockRules.str($0, "name") == MockRules.str(probe, "name")
                    }
                }
                return MockRules.uniqueKeys(probe).compactMap { tx.holder(of: $0) }
            }
            return ImportResponse(resources: found.map { ResourceObject(type: $0.type, id: $0.id, attributes: $0.attributes) })
        } catch {
            return ImportResponse(resources: [], diagnostics: [.error("simulated cloud unreadable", detail: "\(error)")])
        }
    }

    public func wait(_ request: WaitRequest) async -> WaitResponse {
        if let throttled = await call(MockAPI.of(request.resource.type)) { return WaitResponse(resource: nil, diagnostics: [throttled]) }
        await latency()
        count("wait")
        return WaitResponse(resource: request.resource)
    }

    public func apply(_ request: ApplyRequest) async -> ApplyResponse {
        if let throttled = await call(MockAPI.of(request.type)) { return ApplyResponse(resource: nil, diagnostics: [throttled]) }
        await latency()
        count("\(request.operation.rawValue) \(request.type)")
        if request.type == AWSResourceTypes.route53Record { count("ChangeResourceRecordSets") }
        if request.operation != .delete, let fault = injectedFault(request.identity.address) {
            return ApplyResponse(resource: nil, diagnostics: [fault])
        }
        do {
            return try await BlockingIO.run {
                try self.cloud.transact { tx -> ApplyResponse in
                    if request.type.hasPrefix("postgres.") { return MockPostgres.apply(request, &tx) }
                    switch request.operation {
                    case .create: return self.create(request, &tx)
                    case .update: return self.update(request, &tx)
                    case .delete: return self.delete(request, &tx)
                    }
                }
            }
        } catch {
            return ApplyResponse(resource: nil, diagnostics: [.error("simulated cloud unavailable", detail: "\(error)")])
        }
    }

    func naturalID(_ type: String, _ inputs: [String: Value]) -> String? {
        switch type {
        case AWSResourceTypes.route53Record:
            let zone = inputs["zoneId"]?.interpolationText ?? ""
            let name = inputs["name"]?.interpolationText ?? ""
            let t = inputs["type"]?.interpolationText ?? ""
            return "\(zone)_\(name)_\(t)"
        case AWSResourceTypes.dynamoItem:
            return (inputs["table"]?.interpolationText ?? "") + "/" + JSON.string(inputs["key"] ?? .null)
        default: return MockPostgres.naturalID(type, inputs)
        }
    }
}
