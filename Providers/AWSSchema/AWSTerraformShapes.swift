import ProviderAPI

/// The `aws.*` types in hashicorp/aws's shapes, for `landlord plan --format terraform-json`
/// (docs/review-tools.md has the table). Attributes the Terraform resource does not have are
/// kept under their snake_case names, which review tools ignore; `aws.sesv2_contact` has no
/// hashicorp/aws resource and keeps a `landlord_` name.
public enum AWSTerraformShapes {
    /// hashicorp/aws's source address.
    public static let provider = "registry.terraform.io/hashicorp/aws"
    /// The container name the AWS provider gives a task definition's one container (ECS.swift).
    static let containerName = "app"
    /// The container port when the spec sets none (ECS.swift).
    static let defaultContainerPort = 8080

    /// Every `aws.*` type that hashicorp/aws also has, by Landlord type.
    public static let shapes: [String: TerraformShape] = {
        var out: [String: TerraformShape] = [:]
        func add(
            _ type: String, _ terraform: String, paths: [String: [Value]] = [:], names: [String: String] = [:],
            reverse: (@Sendable ([String: Value]) -> [String: Value])? = nil, id: (@Sendable ([String: Value]) -> String?)? = nil,
            _ values: (@Sendable ([String: Value]) -> [String: Value])? = nil
        ) {
            out[type] = TerraformShape(
                type: terraform, providerName: provider, schema: AWSResourceTypes.schema.resources[type], paths: paths, names: names,
                values: values, reverse: reverse, landlordID: id)
        }
        add(
            AWSResourceTypes.targetGroup, "aws_lb_target_group", paths: ["healthCheckPath": ["health_check", 0, "path"]],
            reverse: { ["healthCheckPath": $0["health_check"]?.listValue?.first?.mapValue?["path"] ?? .null].filter { $0.value != .null } },
            targetGroup)
        add(
            AWSResourceTypes.listenerRule, "aws_lb_listener_rule",
            paths: [
                "listener": ["listener_arn"], "targetGroupArn": ["action", 0, "target_group_arn"],
                "hostHeader": ["condition", 0, "host_header", 0, "values"], "pathPattern": ["condition"],
            ], names: ["listener": "listener_arn"], reverse: listenerRuleBack, listenerRule)
        add(AWSResourceTypes.route53Record, "aws_route53_record", paths: ["aliasTarget": ["alias"]], route53Record)
        let container: [Value] = ["container_definitions"]
        add(
            AWSResourceTypes.taskDefinition, "aws_ecs_task_definition",
            paths: ["image": container, "containerPort": container, "environment": container], taskDefinition)
        add(
            AWSResourceTypes.ecsService, "aws_ecs_service",
            paths: [
                "taskDefinition": ["task_definition"], "targetGroupArn": ["load_balancer", 0, "target_group_arn"],
                "containerPort": ["load_balancer", 0, "container_port"], "arn": ["id"],
            ], ecsService)
        add(AWSResourceTypes.userPool, "aws_cognito_user_pool", names: ["mfa": "mfa_configuration"])
        add(AWSResourceTypes.userPoolClient, "aws_cognito_user_pool_client")
        add(
            AWSResourceTypes.identityPool, "aws_cognito_identity_pool",
            paths: ["userPoolId": ["cognito_identity_providers"], "clientId": ["cognito_identity_providers"]], names: identityPoolNames,
            reverse: identityPoolBack, identityPool)
        add(
            AWSResourceTypes.dynamoItem, "aws_dynamodb_table_item", paths: ["key": ["item"]], names: ["table": "table_name"],
            reverse: dynamoItemBack, id: dynamoItemID, dynamoItem)
        add(AWSResourceTypes.userGroup, "aws_cognito_user_group")
        add(AWSResourceTypes.user, "aws_cognito_user", paths: ["sendInvite": ["message_action"]]) { a in
            var out = TerraformShape.renamed(a, ["sendInvite": nil])
            if let invite = a["sendInvite"] { out["message_action"] = invite.boolValue == true ? .null : "SUPPRESS" }
            return out
        }
        add(
            AWSResourceTypes.iamRole, "aws_iam_role",
            paths: ["assumeRolePolicy": ["assume_role_policy"], "inlinePolicies": ["inline_policy"]], iamRole)
        add(AWSResourceTypes.contactList, "aws_sesv2_contact_list", paths: ["name": ["contact_list_name"], "topics": ["topic"]], contactList)
        return out
    }()

    @Sendable static func targetGroup(_ a: [String: Value]) -> [String: Value] {
        var out = TerraformShape.renamed(a, ["healthCheckPath": nil])
        // The provider always sets a health check (path "/" when the spec gives none).
        out["health_check"] = TerraformShape.block(["enabled": .bool(true), "path": a["healthCheckPath"] ?? "/"])
        return out
    }

    @Sendable static func listenerRule(_ a: [String: Value]) -> [String: Value] {
        var out = TerraformShape.renamed(a, ["listener": "listener_arn", "targetGroupArn": nil, "hostHeader": nil, "pathPattern": nil])
        out["action"] = TerraformShape.block(["type": "forward", "target_group_arn": a["targetGroupArn"]])
        var conditions: [Value] = []
        if let host = a["hostHeader"] { conditions.append(.map(["host_header": .list([.map(["values": .list([host])])])])) }
        if let path = a["pathPattern"], path != .null { conditions.append(.map(["path_pattern": .list([.map(["values": .list([path])])])])) }
        out["condition"] = .list(conditions)
        return out
    }

    /// A rule's forward target and host and path conditions, from hashicorp/aws's blocks.
    @Sendable static func listenerRuleBack(_ t: [String: Value]) -> [String: Value] {
        var out: [String: Value] = [:]
        out["targetGroupArn"] = t["action"]?.listValue?.first?.mapValue?["target_group_arn"]
        for c in t["condition"]?.listValue ?? [] {
            let m = c.mapValue ?? [:]
            for (block, attribute) in [("host_header", "hostHeader"), ("path_pattern", "pathPattern")] {
                if let v = m[block]?.listValue?.first?.mapValue?["values"]?.listValue?.first { out[attribute] = v }
            }
        }
        return out.filter { $0.value != .null }
    }

    @Sendable static func route53Record(_ a: [String: Value]) -> [String: Value] {
        var out = TerraformShape.renamed(a, ["aliasTarget": nil])
        if let alias = a["aliasTarget"]?.mapValue {
            out["alias"] = TerraformShape.block([
                "name": alias["dnsName"], "zone_id": alias["zoneId"], "evaluate_target_health": alias["evaluateTargetHealth"] ?? .bool(false),
            ])
        }
        return out
    }

    @Sendable static func taskDefinition(_ a: [String: Value]) -> [String: Value] {
        var out = TerraformShape.renamed(a, ["image": nil, "containerPort": nil, "environment": nil])
        // hashicorp/aws takes cpu and memory as strings, as RegisterTaskDefinition does.
        for k in ["cpu", "memory"] { if let v = a[k], case .int(let n) = v { out[k] = .string(String(n)) } }
        var container: [String: Value] = [
            "name": .string(containerName), "image": a["image"] ?? .null, "essential": true,
            "portMappings": [["containerPort": a["containerPort"] ?? .int(defaultContainerPort), "protocol": "tcp"]],
        ]
        if let env = a["environment"]?.mapValue {
            container["environment"] = .list(env.keys.sorted().map { .map(["name": .string($0), "value": env[$0]!]) })
        }
        out["container_definitions"] = TerraformShape.jsonString(.list([.map(container)]))
        out["network_mode"] = "awsvpc"
        out["requires_compatibilities"] = ["FARGATE"]
        return out
    }

    @Sendable static func ecsService(_ a: [String: Value]) -> [String: Value] {
        var out = TerraformShape.renamed(a, ["taskDefinition": "task_definition", "targetGroupArn": nil, "containerPort": nil, "arn": "id"])
        if let tg = a["targetGroupArn"] {
            out["load_balancer"] = TerraformShape.block([
                "target_group_arn": tg, "container_name": .string(containerName),
                "container_port": a["containerPort"] ?? .int(defaultContainerPort),
            ])
        }
        return out
    }

    /// `aws.cognito_identity_pool`'s renamed attributes, both ways.
    static let identityPoolNames = ["name": "identity_pool_name", "allowUnauthenticated": "allow_unauthenticated_identities"]

    @Sendable static func identityPool(_ a: [String: Value]) -> [String: Value] {
        var names: [String: String?] = identityPoolNames.mapValues { $0 }
        names["userPoolId"] = .some(nil)
        names["clientId"] = .some(nil)
        var out = TerraformShape.renamed(a, names)
        if a["allowUnauthenticated"] == nil { out["allow_unauthenticated_identities"] = .bool(false) }
        if let pool = a["userPoolId"], let client = a["clientId"] {
            let providerName: Value
            if let p = pool.stringValue, let region = a["region"]?.stringValue, pool.isKnown {
                providerName = .string("cognito-idp.\(region).amazonaws.com/\(p)")
            } else {
                providerName = .unknown
            }
            out["cognito_identity_providers"] = .list([.map(["client_id": client, "provider_name": providerName])])
        }
        return out
    }

    @Sendable static func dynamoItem(_ a: [String: Value]) -> [String: Value] {
        var out = TerraformShape.renamed(a, ["table": "table_name", "key": nil, "item": nil])
        let key = a["key"]?.mapValue ?? [:]
        // The hash key is known when the key has one attribute; with two, which is the range key
        // is the table's, which the resource does not say.
        if key.count == 1 { out["hash_key"] = .string(key.keys.first!) }
        var merged = a["item"]?.mapValue ?? [:]
        for (k, v) in key { merged[k] = v }
        out["item"] = TerraformShape.jsonString(.map(merged.mapValues(dynamoJSON)))
        return out
    }

    /// `cognito_identity_providers[0]` read back: the pool id from `provider_name`
    /// (`cognito-idp.REGION.amazonaws.com/POOL`) and the client id.
    @Sendable static func identityPoolBack(_ t: [String: Value]) -> [String: Value] {
        guard let p = t["cognito_identity_providers"]?.listValue?.first?.mapValue else { return [:] }
        var out: [String: Value] = [:]
        if let name = p["provider_name"]?.stringValue, let pool = name.split(separator: "/").last { out["userPoolId"] = .string(String(pool)) }
        if let client = p["client_id"], client != .null { out["clientId"] = client }
        return out
    }

    /// `item` (DynamoDB JSON text) read back into `key` (the hash and range key attributes) and `item`.
    @Sendable static func dynamoItemBack(_ t: [String: Value]) -> [String: Value] {
        guard let text = t["item"]?.stringValue, let parsed = try? JSON.parse(Array(text.utf8)), let m = parsed.mapValue else { return [:] }
        let keys = Set([t["hash_key"]?.stringValue, t["range_key"]?.stringValue].compactMap { $0 })
        var key: [String: Value] = [:]
        var item: [String: Value] = [:]
        for (k, v) in m {
            if keys.contains(k) { key[k] = plainDynamo(v) } else { item[k] = plainDynamo(v) }
        }
        return ["key": .map(key), "item": .map(item)]
    }

    /// The Landlord id of an item, `TABLE/{KEY JSON}` (DynamoDB.swift), from its Terraform attributes.
    @Sendable static func dynamoItemID(_ t: [String: Value]) -> String? {
        guard let table = t["table_name"]?.stringValue, let key = dynamoItemBack(t)["key"] else { return nil }
        return table + "/" + JSON.string(key, sortedKeys: true)
    }

    /// The inverse of ``dynamoJSON(_:)``.
    static func plainDynamo(_ v: Value) -> Value {
        guard let m = v.mapValue, m.count == 1, let (tag, inner) = m.first else { return v }
        switch tag {
        case "S", "BOOL": return inner
        case "N":
            let text = inner.stringValue ?? ""
            return Int(text).map(Value.int) ?? Double(text).map(Value.double) ?? inner
        case "NULL": return .null
        case "L": return .list((inner.listValue ?? []).map(plainDynamo))
        case "M": return .map((inner.mapValue ?? [:]).mapValues(plainDynamo))
        default: return v
        }
    }

    /// A value in DynamoDB's attribute-value JSON, as `aws_dynamodb_table_item.item` holds it.
    static func dynamoJSON(_ v: Value) -> Value {
        switch v {
        case .string: return .map(["S": v])
        case .int, .double: return .map(["N": .string(v.interpolationText)])
        case .bool: return .map(["BOOL": v])
        case .null: return .map(["NULL": true])
        case .list(let l): return .map(["L": .list(l.map(dynamoJSON))])
        case .map(let m): return .map(["M": .map(m.mapValues(dynamoJSON))])
        case .sensitive(let inner): return .sensitive(dynamoJSON(inner))
        default: return v
        }
    }

    @Sendable static func iamRole(_ a: [String: Value]) -> [String: Value] {
        var out = TerraformShape.renamed(a, ["assumeRolePolicy": nil, "inlinePolicies": nil])
        if let trust = a["assumeRolePolicy"] { out["assume_role_policy"] = TerraformShape.jsonString(trust) }
        if let inline = a["inlinePolicies"]?.mapValue {
            out["inline_policy"] = .list(
                inline.keys.sorted().map { .map(["name": .string($0), "policy": TerraformShape.jsonString(inline[$0]!)]) })
        }
        return out
    }

    @Sendable static func contactList(_ a: [String: Value]) -> [String: Value] {
        var out = TerraformShape.renamed(a, ["name": "contact_list_name", "topics": nil])
        if let topics = a["topics"]?.listValue {
            out["topic"] = .list(
                topics.map { t in
                    guard let m = t.mapValue else { return t }
                    return .map(TerraformShape.renamed(m, ["name": "topic_name"]))
                })
        }
        return out
    }
}
