import AWSClient
import AWSSchema
import Foundation
import ProviderAPI

/// `aws.lb_target_group` over ELBv2 (Query protocol). The id is the target group ARN.
struct TargetGroups: ResourceHandler {
    let client: AWSClient
    static let type = AWSResourceTypes.targetGroup

    func create(_ request: ApplyRequest) async throws -> ResourceObject {
        let inputs = Inputs(request.inputs)
        let name = try inputs.string("name")
        guard name.count <= 32 else {
            throw InputError(attribute: "name", message: "target group names are at most 32 characters ('\(name)' has \(name.count))")
        }
        var p = QueryParams()
        p["Name"] = name
        p["Port"] = String(try inputs.int("port"))
        p["Protocol"] = try inputs.string("protocol").uppercased()
        p["VpcId"] = try inputs.string("vpcId")
        p["TargetType"] = inputs.optionalString("targetType") ?? "ip"
        if let path = inputs.optionalString("healthCheckPath") { p["HealthCheckPath"] = path }
        p.tags(request.identity.tags)
        let root = try await client.query(.elbv2, action: "CreateTargetGroup", p.values)
        guard let arn = root.members("CreateTargetGroupResult", "TargetGroups").first?.string("TargetGroupArn") else {
            throw AWSError(
                .unparseableResponse, message: "CreateTargetGroup returned no TargetGroupArn", service: "elasticloadbalancing",
                operation: "CreateTargetGroup")
        }
        var attributes = request.inputs
        attributes["arn"] = .string(arn)
        return ResourceObject(type: Self.type, id: arn, attributes: attributes)
    }

    func update(_ request: ApplyRequest, prior: ResourceObject) async throws -> ResourceObject {
        let inputs = Inputs(request.inputs)
        var p = QueryParams()
        p["TargetGroupArn"] = prior.id
        p["HealthCheckPath"] = inputs.optionalString("healthCheckPath") ?? "/"
        _ = try await client.query(.elbv2, action: "ModifyTargetGroup", p.values)
        var attributes = request.inputs
        attributes["arn"] = .string(prior.id)
        return ResourceObject(type: Self.type, id: prior.id, attributes: attributes)
    }

    func delete(_ prior: ResourceObject) async throws {
        _ = try await unlessMissing(["TargetGroupNotFound"]) {
            try await client.query(.elbv2, action: "DeleteTargetGroup", ["TargetGroupArn": prior.id])
        }
    }

    func read(_ resource: ResourceObject) async throws -> ResourceObject? {
        try await describe(["TargetGroupArns.member.1": resource.id]).first
    }

    func describe(_ parameters: [String: String]) async throws -> [ResourceObject] {
        var out: [ResourceObject] = []
        var marker: String?
        repeat {
            var p = parameters
            if let marker { p["Marker"] = marker }
            guard let root = try await unlessMissing(["TargetGroupNotFound"], { try await client.query(.elbv2, action: "DescribeTargetGroups", p) })
            else {
                return out
            }
            for tg in root.members("DescribeTargetGroupsResult", "TargetGroups") {
                guard let arn = tg.string("TargetGroupArn") else { continue }
                var a: [String: Value] = ["arn": .string(arn)]
                a["name"] = tg.string("TargetGroupName").map(Value.string) ?? .null
                a["port"] = tg.string("Port").flatMap(Int.init).map(Value.int) ?? .null
                a["protocol"] = tg.string("Protocol").map(Value.string) ?? .null
                a["vpcId"] = tg.string("VpcId").map(Value.string) ?? .null
                a["targetType"] = tg.string("TargetType").map(Value.string) ?? .null
                a["healthCheckPath"] = tg.string("HealthCheckPath").map(Value.string) ?? .null
                out.append(ResourceObject(type: Self.type, id: arn, attributes: a))
            }
            marker = root.string("DescribeTargetGroupsResult", "NextMarker").flatMap { $0.isEmpty ? nil : $0 }
        } while marker != nil
        return out
    }

    func find(_ request: ImportRequest) async throws -> [ResourceObject] {
        if let id = request.id {
            return try await describe(["TargetGroupArns.member.1": id])
        }
        // A name narrows the search to one group; otherwise every group is checked by tag.
        let name = Inputs(request.inputs).optionalString("name")
        let candidates = try await describe(name.map { ["Names.member.1": $0] } ?? [:])
        let tags = try await ELBTags(client: client).tags(candidates.map(\.id))
        return candidates.filter { tagsMatch(tags[$0.id] ?? [:], request.identity) }
    }
}

/// ELBv2 DescribeTags, in batches of 20 ARNs.
struct ELBTags {
    let client: AWSClient

    func tags(_ arns: [String]) async throws -> [String: [String: String]] {
        var out: [String: [String: String]] = [:]
        var start = 0
        while start < arns.count {
            let batch = Array(arns[start..<min(start + 20, arns.count)])
            start += 20
            var p = QueryParams()
            p.list("ResourceArns.member", batch)
            let root = try await client.query(.elbv2, action: "DescribeTags", p.values)
            for d in root.members("DescribeTagsResult", "TagDescriptions") {
                guard let arn = d.string("ResourceArn") else { continue }
                var tags: [String: String] = [:]
                for t in d.members("Tags") { if let k = t.string("Key") { tags[k] = t.string("Value") ?? "" } }
                out[arn] = tags
            }
        }
        return out
    }
}
