import AWSClient
import AWSSchema
import Foundation
import ProviderAPI

/// The awsvpc network configuration ECS services get from `provider.aws` settings
/// (`subnets`, `securityGroups`, `assignPublicIp`); omitted when no subnets are set.
struct ServiceNetwork: Sendable {
    var subnets: [String]
    var securityGroups: [String]
    var assignPublicIp: Bool

    init(settings: [String: Value]) {
        subnets = settings["subnets"]?.listValue?.compactMap(\.stringValue) ?? []
        securityGroups = settings["securityGroups"]?.listValue?.compactMap(\.stringValue) ?? []
        assignPublicIp = settings["assignPublicIp"]?.boolValue ?? false
    }

    var value: Value? {
        guard !subnets.isEmpty else { return nil }
        var c: [String: Value] = ["subnets": .list(subnets.map(Value.string)), "assignPublicIp": .string(assignPublicIp ? "ENABLED" : "DISABLED")]
        if !securityGroups.isEmpty { c["securityGroups"] = .list(securityGroups.map(Value.string)) }
        return .map(["awsvpcConfiguration": .map(c)])
    }
}

/// The container every task definition holds, and the name services point load balancers at.
let containerName = "app"
/// The container port when the spec sets none.
let defaultContainerPort = 8080

/// `aws.ecs_task_definition`: RegisterTaskDefinition (one Fargate container named `app`);
/// any change registers a new revision; delete deregisters it. The id is the revision's ARN.
struct TaskDefinitions: ResourceHandler {
    let client: AWSClient
    static let type = AWSResourceTypes.taskDefinition

    func create(_ request: ApplyRequest) async throws -> ResourceObject {
        let inputs = Inputs(request.inputs)
        let cpu = try inputs.int("cpu")
        let memory = try inputs.int("memory")
        var container: [String: Value] = [
            "name": .string(containerName), "image": .string(try inputs.string("image")), "essential": true,
            "portMappings": [["containerPort": .int(inputs.optionalInt("containerPort") ?? defaultContainerPort), "protocol": "tcp"]],
        ]
        if let env = inputs.map("environment") {
            container["environment"] = .list(
                env.sorted { $0.key < $1.key }.map { .map(["name": .string($0.key), "value": .string($0.value.interpolationText)]) })
        }
        let body: [String: Value] = [
            "family": .string(try inputs.string("family")), "containerDefinitions": [.map(container)],
            "cpu": .string(String(cpu)), "memory": .string(String(memory)), "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"], "tags": tagList(request.identity.tags),
        ]
        let out = try await client.call(.ecs, "RegisterTaskDefinition", body, retryUnanswered: false)
        guard let td = out["taskDefinition"]?.mapValue, let arn = td["taskDefinitionArn"]?.stringValue else {
            throw AWSError(
                .unparseableResponse, message: "RegisterTaskDefinition returned no taskDefinitionArn", service: "ecs",
                operation: "RegisterTaskDefinition")
        }
        var attributes = request.inputs
        attributes["arn"] = .string(arn)
        attributes["revision"] = td["revision"] ?? .null
        return ResourceObject(type: Self.type, id: arn, attributes: attributes)
    }

    func update(_ request: ApplyRequest, prior: ResourceObject) async throws -> ResourceObject {
        let next = try await create(request)
        try await delete(prior)
        return next
    }

    func delete(_ prior: ResourceObject) async throws {
        guard try await read(prior) != nil else { return }
        _ = try await client.call(.ecs, "DeregisterTaskDefinition", ["taskDefinition": .string(prior.id)])
    }

    func read(_ resource: ResourceObject) async throws -> ResourceObject? {
        try await describe(resource.id)?.object
    }

    func describe(_ arn: String) async throws -> TaggedObject? {
        guard
            let out = try await unlessMissing(
                ["ClientException", "ResourceNotFoundException"],
                {
                    try await client.call(.ecs, "DescribeTaskDefinition", ["taskDefinition": .string(arn), "include": ["TAGS"]])
                })
        else { return nil }
        guard let td = out["taskDefinition"]?.mapValue, td["status"]?.stringValue != "INACTIVE", let id = td["taskDefinitionArn"]?.stringValue else {
            return nil
        }
        let container = td["containerDefinitions"]?.listValue?.first?.mapValue ?? [:]
        var a: [String: Value] = ["arn": .string(id), "revision": td["revision"] ?? .null, "family": td["family"] ?? .null]
        a["image"] = container["image"] ?? .null
        a["cpu"] = td["cpu"]?.intValue.map(Value.int) ?? .null
        a["memory"] = td["memory"]?.intValue.map(Value.int) ?? .null
        a["containerPort"] = container["portMappings"]?.listValue?.first?.mapValue?["containerPort"] ?? .null
        var env: [String: Value] = [:]
        for e in container["environment"]?.listValue ?? [] {
            if let m = e.mapValue, let k = m["name"]?.stringValue { env[k] = m["value"] ?? .null }
        }
        a["environment"] = env.isEmpty ? .null : .map(env)
        return TaggedObject(object: ResourceObject(type: Self.type, id: id, attributes: a), tags: tagMap(out["tags"]))
    }

    func find(_ request: ImportRequest) async throws -> [ResourceObject] {
        if let id = request.id { return try await describe(id).map { [$0.object] } ?? [] }
        guard let family = Inputs(request.inputs).optionalString("family") else { return [] }
        var arns: [String] = []
        var token: Value = .null
        repeat {
            var body: [String: Value] = ["familyPrefix": .string(family), "status": "ACTIVE"]
            if token != .null { body["nextToken"] = token }
            let out = try await client.call(.ecs, "ListTaskDefinitions", body)
            arns += out["taskDefinitionArns"]?.listValue?.compactMap(\.stringValue) ?? []
            token = out["nextToken"] ?? .null
        } while token != .null
        var found: [ResourceObject] = []
        for arn in arns {
            if let d = try await describe(arn), tagsMatch(d.tags, request.identity) { found.append(d.object) }
        }
        return found
    }
}

/// `aws.ecs_service`: CreateService (named TENANT-NAME unless the spec names it), UpdateService
/// for desiredCount and taskDefinition, scale to zero then DeleteService. `wait(stable)` polls
/// DescribeServices until runningCount == desiredCount with a single deployment.
struct ECSServices: ResourceHandler {
    let client: AWSClient
    let network: ServiceNetwork
    static let type = AWSResourceTypes.ecsService

    static func name(_ inputs: Inputs, _ identity: ResourceIdentity) -> String {
        inputs.optionalString("name") ?? "\(identity.tenant)-\(resourceName(identity))"
    }

    func create(_ request: ApplyRequest) async throws -> ResourceObject {
        let inputs = Inputs(request.inputs)
        let cluster = try inputs.string("cluster")
        let name = Self.name(inputs, request.identity)
        var body: [String: Value] = [
            "cluster": .string(cluster), "serviceName": .string(name), "taskDefinition": .string(try inputs.string("taskDefinition")),
            "desiredCount": .int(try inputs.int("desiredCount")), "tags": tagList(request.identity.tags), "propagateTags": "SERVICE",
        ]
        if request.clientToken.count <= 36, !request.clientToken.isEmpty { body["clientToken"] = .string(request.clientToken) }
        if let launchType = inputs.optionalString("launchType") { body["launchType"] = .string(launchType) }
        if let tg = inputs.optionalString("targetGroupArn") {
            body["loadBalancers"] = [
                [
                    "targetGroupArn": .string(tg), "containerName": .string(containerName),
                    "containerPort": .int(inputs.optionalInt("containerPort") ?? defaultContainerPort),
                ]
            ]
        }
        if let networkConfiguration = network.value { body["networkConfiguration"] = networkConfiguration }
        let out = try await client.call(.ecs, "CreateService", body)
        guard let arn = out["service"]?.mapValue?["serviceArn"]?.stringValue else {
            throw AWSError(.unparseableResponse, message: "CreateService returned no serviceArn", service: "ecs", operation: "CreateService")
        }
        var attributes = request.inputs
        attributes["name"] = .string(name)
        attributes["arn"] = .string(arn)
        return ResourceObject(type: Self.type, id: arn, attributes: attributes)
    }

    func update(_ request: ApplyRequest, prior: ResourceObject) async throws -> ResourceObject {
        let inputs = Inputs(request.inputs)
        let name = prior.attributes["name"]?.stringValue ?? Self.name(inputs, request.identity)
        _ = try await client.call(
            .ecs, "UpdateService",
            [
                "cluster": .string(try inputs.string("cluster")), "service": .string(name),
                "taskDefinition": .string(try inputs.string("taskDefinition")), "desiredCount": .int(try inputs.int("desiredCount")),
            ])
        var attributes = request.inputs
        attributes["name"] = .string(name)
        attributes["arn"] = .string(prior.id)
        return ResourceObject(type: Self.type, id: prior.id, attributes: attributes)
    }

    func delete(_ prior: ResourceObject) async throws {
        let inputs = Inputs(prior.attributes)
        let cluster = try inputs.string("cluster")
        let service = inputs.optionalString("name") ?? prior.id
        _ = try await unlessMissing(["ServiceNotFoundException", "ServiceNotActiveException", "ClusterNotFoundException"]) {
            guard try await describe(cluster: cluster, service: service) != nil else { return }
            _ = try await client.call(.ecs, "UpdateService", ["cluster": .string(cluster), "service": .string(service), "desiredCount": 0])
            _ = try await client.call(.ecs, "DeleteService", ["cluster": .string(cluster), "service": .string(service)])
        }
    }

    func read(_ resource: ResourceObject) async throws -> ResourceObject? {
        let inputs = Inputs(resource.attributes)
        return try await describe(cluster: try inputs.string("cluster"), service: inputs.optionalString("name") ?? resource.id)?.object
    }

    struct Described {
        var object: ResourceObject
        var tags: [String: String]
        var running: Int
        var desired: Int
        var deployments: Int
    }

    func describe(cluster: String, service: String) async throws -> Described? {
        guard
            let out = try await unlessMissing(
                ["ClusterNotFoundException"],
                {
                    try await client.call(
                        .ecs, "DescribeServices", ["cluster": .string(cluster), "services": [.string(service)], "include": ["TAGS"]])
                })
        else { return nil }
        guard let s = out["services"]?.listValue?.first?.mapValue else { return nil }
        return described(s, cluster: cluster)
    }

    /// A service as DescribeServices returns it; nil when it is INACTIVE (deleted).
    func described(_ s: [String: Value], cluster: String) -> Described? {
        guard s["status"]?.stringValue != "INACTIVE", let arn = s["serviceArn"]?.stringValue else { return nil }
        var a: [String: Value] = ["arn": .string(arn), "cluster": .string(cluster), "name": s["serviceName"] ?? .null]
        a["taskDefinition"] = s["taskDefinition"] ?? .null
        a["desiredCount"] = s["desiredCount"] ?? .null
        let lb = s["loadBalancers"]?.listValue?.first?.mapValue
        a["targetGroupArn"] = lb?["targetGroupArn"] ?? .null
        a["containerPort"] = lb?["containerPort"] ?? .null
        a["launchType"] = s["launchType"] ?? .null
        return Described(
            object: ResourceObject(type: Self.type, id: arn, attributes: a), tags: tagMap(s["tags"]),
            running: s["runningCount"]?.intValue ?? 0, desired: s["desiredCount"]?.intValue ?? 0,
            deployments: s["deployments"]?.listValue?.count ?? 0)
    }

    func find(_ request: ImportRequest) async throws -> [ResourceObject] {
        let inputs = Inputs(request.inputs)
        let cluster = try inputs.string("cluster")
        if let id = request.id { return try await describe(cluster: cluster, service: id).map { [$0.object] } ?? [] }
        guard let found = try await describe(cluster: cluster, service: Self.name(inputs, request.identity)), tagsMatch(found.tags, request.identity)
        else { return [] }
        return [found.object]
    }

    func wait(_ request: WaitRequest) async throws -> ResourceObject {
        guard request.condition == "stable" else {
            throw ProviderDiagnostic.error(
                "aws.ecs_service has no wait condition '\(request.condition)'", detail: "use `wait: {until: stable}`", code: "UnknownWaitCondition")
        }
        let inputs = Inputs(request.resource.attributes)
        let cluster = try inputs.string("cluster")
        let service = inputs.optionalString("name") ?? request.resource.id
        let deadline = Date().addingTimeInterval(request.timeout)
        var interval = 1.0
        while true {
            guard let d = try await describe(cluster: cluster, service: service) else {
                throw ProviderDiagnostic.error(
                    "ECS service \(service) disappeared while waiting for it to become stable",
                    detail: "it was deleted outside Landlord; run plan again to recreate it", code: "ServiceNotFoundException")
            }
            if d.running == d.desired && d.deployments == 1 {
                return request.resource
            }
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 {
                throw ProviderDiagnostic.error(
                    "ECS service \(service) did not become stable within \(Int(request.timeout))s",
                    detail:
                        """
                        runningCount \(d.running) of desiredCount \(d.desired), \(d.deployments) deployment(s); check the \
                        service's events (aws ecs describe-services --cluster \(cluster) --services \(service)) for failing \
                        tasks or health checks, then apply again or raise wait.timeout
                        """,
                    code: "WaitTimeout", retryable: true)
            }
            try await Task.sleep(nanoseconds: UInt64(min(interval, remaining) * 1_000_000_000))
            interval = min(interval * 1.5, 15)
        }
    }
}
