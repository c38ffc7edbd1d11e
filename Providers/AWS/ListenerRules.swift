import AWSClient
import AWSSchema
import Foundation
import ProviderAPI

/// `aws.lb_listener_rule`: a host-header (and optional path-pattern) condition forwarding to
/// one target group. Priority changes in place through SetRulePriorities; conditions and the
/// target through ModifyRule. `listenerDnsName` is informational: stored, never sent.
struct ListenerRules: ResourceHandler {
    let client: AWSClient
    static let type = AWSResourceTypes.listenerRule

    func listener(_ inputs: Inputs) throws -> String {
        let arn = try inputs.string("listener")
        guard arn.hasPrefix("arn:") else {
            throw InputError(
                attribute: "listener",
                message:
                    """
                    'listener' must be a listener ARN by apply time (got '\(arn)'); with `listener: auto` the engine \
                    places the tenant on a listener of the platform pool
                    """
            )
        }
        return arn
    }

    func ruleParameters(_ inputs: Inputs, into p: inout QueryParams) throws {
        p["Conditions.member.1.Field"] = "host-header"
        p["Conditions.member.1.HostHeaderConfig.Values.member.1"] = try inputs.string("hostHeader")
        if let path = inputs.optionalString("pathPattern") {
            p["Conditions.member.2.Field"] = "path-pattern"
            p["Conditions.member.2.PathPatternConfig.Values.member.1"] = path
        }
        p["Actions.member.1.Type"] = "forward"
        p["Actions.member.1.TargetGroupArn"] = try inputs.string("targetGroupArn")
    }

    func priority(_ inputs: Inputs) throws -> Int {
        guard let priority = inputs.optionalInt("priority"), (1...50000).contains(priority) else {
            throw InputError(
                attribute: "priority", message: "'priority' must be an integer from 1 to 50000 by apply time (`auto` is allocated by the engine)")
        }
        return priority
    }

    func create(_ request: ApplyRequest) async throws -> ResourceObject {
        let inputs = Inputs(request.inputs)
        var p = QueryParams()
        p["ListenerArn"] = try listener(inputs)
        p["Priority"] = String(try priority(inputs))
        try ruleParameters(inputs, into: &p)
        p.tags(request.identity.tags)
        let root = try await client.query(.elbv2, action: "CreateRule", p.values)
        guard let arn = root.members("CreateRuleResult", "Rules").first?.string("RuleArn") else {
            throw AWSError(.unparseableResponse, message: "CreateRule returned no RuleArn", service: "elasticloadbalancing", operation: "CreateRule")
        }
        var attributes = request.inputs
        attributes["arn"] = .string(arn)
        return ResourceObject(type: Self.type, id: arn, attributes: attributes)
    }

    func update(_ request: ApplyRequest, prior: ResourceObject) async throws -> ResourceObject {
        let inputs = Inputs(request.inputs)
        let old = Inputs(prior.attributes)
        let newPriority = try priority(inputs)
        if old.optionalInt("priority") != newPriority {
            var p = QueryParams()
            p["RulePriorities.member.1.RuleArn"] = prior.id
            p["RulePriorities.member.1.Priority"] = String(newPriority)
            _ = try await client.query(.elbv2, action: "SetRulePriorities", p.values)
        }
        let changed = ["hostHeader", "pathPattern", "targetGroupArn"].contains { inputs.values[$0] ?? .null != old.values[$0] ?? .null }
        if changed {
            var p = QueryParams()
            p["RuleArn"] = prior.id
            try ruleParameters(inputs, into: &p)
            _ = try await client.query(.elbv2, action: "ModifyRule", p.values)
        }
        var attributes = request.inputs
        attributes["arn"] = .string(prior.id)
        return ResourceObject(type: Self.type, id: prior.id, attributes: attributes)
    }

    func delete(_ prior: ResourceObject) async throws {
        _ = try await unlessMissing(["RuleNotFound"]) { try await client.query(.elbv2, action: "DeleteRule", ["RuleArn": prior.id]) }
    }

    func read(_ resource: ResourceObject) async throws -> ResourceObject? {
        try await describe(["RuleArns.member.1": resource.id]).first
    }

    /// The listener ARN a rule ARN belongs to (`listener-rule/app/LB/ID/LID/RID` -> `listener/app/LB/ID/LID`).
    static func listenerArn(ofRule arn: String) -> String {
        var parts = arn.replacingOccurrences(of: ":listener-rule/", with: ":listener/").split(separator: "/", omittingEmptySubsequences: false)
        if parts.count > 1 { parts.removeLast() }
        return parts.joined(separator: "/")
    }

    /// The non-default rules matching the parameters (every page). A missing rule or listener
    /// gives none, unless `missingThrows`.
    func describe(_ parameters: [String: String], missingThrows: Bool = false) async throws -> [ResourceObject] {
        var out: [ResourceObject] = []
        var marker: String?
        repeat {
            var p = parameters
            if let marker { p["Marker"] = marker }
            let gone: Set<String> = missingThrows ? [] : ["RuleNotFound", "ListenerNotFound"]
            guard let root = try await unlessMissing(gone, { try await client.query(.elbv2, action: "DescribeRules", p) }) else { return out }
            for rule in root.members("DescribeRulesResult", "Rules") {
                guard let arn = rule.string("RuleArn"), rule.string("IsDefault") != "true" else { continue }
                var a: [String: Value] = ["arn": .string(arn), "listener": .string(Self.listenerArn(ofRule: arn))]
                a["priority"] = rule.string("Priority").flatMap(Int.init).map(Value.int) ?? .null
                a["hostHeader"] = .null
                a["pathPattern"] = .null
                for c in rule.members("Conditions") {
                    let values = c.members("HostHeaderConfig", "Values").map(\.text) + c.members("PathPatternConfig", "Values").map(\.text)
                    let plain = c.members("Values").map(\.text)
                    let first = (values.first ?? plain.first).map(Value.string) ?? .null
                    if c.string("Field") == "host-header" { a["hostHeader"] = first }
                    if c.string("Field") == "path-pattern" { a["pathPattern"] = first }
                }
                let forward = rule.members("Actions").first { $0.string("Type") == "forward" }
                a["targetGroupArn"] =
                    (forward?.string("TargetGroupArn") ?? forward?.members("ForwardConfig", "TargetGroups").first?.string("TargetGroupArn"))
                    .map(Value.string) ?? .null
                out.append(ResourceObject(type: Self.type, id: arn, attributes: a))
            }
            marker = root.string("DescribeRulesResult", "NextMarker").flatMap { $0.isEmpty ? nil : $0 }
        } while marker != nil
        return out
    }

    func allListeners() async throws -> [String] {
        var listeners: [String] = []
        var marker: String?
        repeat {
            let root = try await client.query(.elbv2, action: "DescribeLoadBalancers", marker.map { ["Marker": $0] } ?? [:])
            for lb in root.members("DescribeLoadBalancersResult", "LoadBalancers") {
                guard let arn = lb.string("LoadBalancerArn") else { continue }
                let l = try await client.query(.elbv2, action: "DescribeListeners", ["LoadBalancerArn": arn])
                listeners += l.members("DescribeListenersResult", "Listeners").compactMap { $0.string("ListenerArn") }
            }
            marker = root.string("DescribeLoadBalancersResult", "NextMarker").flatMap { $0.isEmpty ? nil : $0 }
        } while marker != nil
        return listeners
    }

    func find(_ request: ImportRequest) async throws -> [ResourceObject] {
        if let id = request.id { return try await describe(["RuleArns.member.1": id]) }
        var candidates: [ResourceObject] = []
        if let listener = Inputs(request.inputs).optionalString("listener"), listener.hasPrefix("arn:") {
            candidates = try await describe(["ListenerArn": listener])
        } else {
            // `listener: auto` not yet resolved: look on every listener of every load balancer.
            for listener in try await allListeners() { candidates += try await describe(["ListenerArn": listener]) }
        }
        let tags = try await ELBTags(client: client).tags(candidates.map(\.id))
        return candidates.filter { tagsMatch(tags[$0.id] ?? [:], request.identity) }
    }
}
