import AWSClient
import AWSSchema
import Foundation
import ProviderAPI

/// What the provider does for one `aws.*` type. Methods throw `AWSError`, `InputError` or
/// `ProviderDiagnostic`; `AWSProvider` turns them into diagnostics.
protocol ResourceHandler: ResourceLifecycle {
    /// Current attributes, nil when the resource no longer exists.
    func read(_ resource: ResourceObject) async throws -> ResourceObject?
    /// Finds resources for an address: by id when given, else by tags or natural key.
    func find(_ request: ImportRequest) async throws -> [ResourceObject]
    /// Waits for a readiness condition.
    func wait(_ request: WaitRequest) async throws -> ResourceObject
}

extension ResourceHandler {
    func wait(_ request: WaitRequest) async throws -> ResourceObject { request.resource }
}

/// The AWS provider: serves every type in `AWSResourceTypes` over `AWSClient`.
///
/// Settings (platform.yaml `provider.aws`): `region`; optionally `subnets`, `securityGroups`
/// and `assignPublicIp` for the awsvpc network configuration of ECS services, and
/// `rateLimits` (requests per second per API, see `AWSRateLimits`).
/// Endpoints, credentials and the region fall back to the environment as the AWS SDKs do.
public struct AWSProvider: Provider {
    public let name = "aws"
    /// The types this provider serves, without making one (for reading specs, no credentials).
    public static let resourceSchema = AWSResourceTypes.schema
    public var schema: ProviderSchema { Self.resourceSchema }

    let client: AWSClient?
    let configurationProblem: ProviderDiagnostic?
    let handlers: [String: any ResourceHandler]
    /// The buckets pacing this provider's calls (nil when it is not configured).
    public let rateLimits: AWSRateLimits?

    /// A provider for platform.yaml's `provider.aws` settings. Configuration problems (no
    /// credentials, no region, bad rate limits) do not throw: every call then answers with a
    /// diagnostic. Calls are paced by `rateLimits`, by default the process-wide buckets for
    /// the configured rates.
    public init(
        settings: [String: Value], environment: [String: String] = ProcessInfo.processInfo.environment, transport: HTTPTransport? = nil,
        rateLimits: AWSRateLimits? = nil
    ) {
        let settings = settings.mapValues(\.revealed)
        var limitsProblem: ProviderDiagnostic?
        do throws(ProviderDiagnostic) {
            if let rateLimits {
                self.rateLimits = rateLimits
            } else {
                self.rateLimits = AWSRateLimits.shared(rates: try AWSRateLimits.rates(from: settings["rateLimits"]))
            }
        } catch {
            self.rateLimits = nil
            limitsProblem = error
        }
        do {
            if let limitsProblem { throw limitsProblem }
            let configuration = try AWSConfiguration.resolve(region: settings["region"]?.stringValue, environment: environment)
            let client = AWSClient(configuration: configuration, transport: transport, pacer: self.rateLimits)
            self.client = client
            configurationProblem = nil
            let network = ServiceNetwork(settings: settings)
            handlers = [
                AWSResourceTypes.targetGroup: TargetGroups(client: client),
                AWSResourceTypes.listenerRule: ListenerRules(client: client),
                AWSResourceTypes.route53Record: Route53Records(client: client),
                AWSResourceTypes.taskDefinition: TaskDefinitions(client: client),
                AWSResourceTypes.ecsService: ECSServices(client: client, network: network),
                AWSResourceTypes.userPool: UserPools(client: client),
                AWSResourceTypes.userPoolClient: UserPoolClients(client: client),
                AWSResourceTypes.identityPool: IdentityPools(client: client),
                AWSResourceTypes.dynamoItem: DynamoItems(client: client),
                AWSResourceTypes.userGroup: UserGroups(client: client),
                AWSResourceTypes.user: Users(client: client),
                AWSResourceTypes.iamRole: IAMRoles(client: client),
                AWSResourceTypes.contactList: ContactLists(client: client),
                AWSResourceTypes.contact: Contacts(client: client),
            ]
        } catch let problem as ProviderDiagnostic {
            client = nil
            handlers = [:]
            configurationProblem = problem
        } catch {
            client = nil
            handlers = [:]
            let message = (error as? AWSError)?.message ?? "\(error)"
            configurationProblem = .error("the AWS provider is not configured", detail: message, code: AWSError.LocalFault.configuration.rawValue)
        }
    }

    func handler(_ type: String) -> Result<any ResourceHandler, ProviderDiagnostic> {
        if let problem = configurationProblem { return .failure(problem) }
        guard let h = handlers[type] else {
            return .failure(.unknownType(type, provider: "AWS", serves: handlers.keys))
        }
        return .success(h)
    }

    public func read(_ request: ReadRequest) async -> ReadResponse {
        await request.readEach(
            lookup: handler, read: { h, resource in try await h.read(resource).map { shaped($0, like: resource) } },
            diagnose: { error, resource in diagnostic(error, action: "read", type: resource.type, address: resource.id) })
    }

    /// Keeps what state recorded (so an attribute drifting shows) plus computed attributes;
    /// drops AWS defaults for optional inputs the spec never set.
    func shaped(_ fresh: ResourceObject, like prior: ResourceObject) -> ResourceObject {
        let attributes = schema.resources[fresh.type]?.attributes ?? [:]
        var out = fresh
        out.attributes = fresh.attributes.filter { key, _ in
            prior.attributes[key] != nil || attributes[key]?.computed == true && attributes[key]?.optional == false
        }
        for (key, value) in prior.attributes where out.attributes[key] == nil && attributes[key]?.settable == true && fresh.attributes[key] == nil {
            // An optional input AWS does not report back (e.g. listenerDnsName): keep it.
            out.attributes[key] = value
        }
        return out
    }

    public func apply(_ request: ApplyRequest) async -> ApplyResponse {
        await request.send(
            through: { handler($0).map { $0 as any ResourceLifecycle } },
            diagnose: { error in diagnostic(error, action: request.operation.rawValue, type: request.type, address: request.identity.address) })
    }

    public func importResources(_ request: ImportRequest) async -> ImportResponse {
        await request.findEach(
            lookup: handler, find: { try await $0.find(request) },
            diagnose: { error in diagnostic(error, action: "import", type: request.type, address: request.identity.address) })
    }

    public func wait(_ request: WaitRequest) async -> WaitResponse {
        switch handler(request.resource.type) {
        case .failure(let d): return WaitResponse(resource: request.resource, diagnostics: [d])
        case .success(let h):
            do {
                return WaitResponse(resource: try await h.wait(request))
            } catch {
                return WaitResponse(
                    resource: request.resource,
                    diagnostics: [diagnostic(error, action: "wait for", type: request.resource.type, address: request.resource.id)])
            }
        }
    }
}
