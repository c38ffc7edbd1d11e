import ProviderAPI

/// The `aws.*` resource types, shared by the AWS provider and the mock provider so a blueprint
/// written for AWS runs unchanged in dry-run. What updates in place and what forces replacement
/// follows AWS's APIs (e.g. ModifyTargetGroup cannot change a target group's name, port,
/// protocol or VPC; SetRulePriorities changes a rule's priority in place).
public enum AWSResourceTypes {
    public static let targetGroup = "aws.lb_target_group"
    public static let listenerRule = "aws.lb_listener_rule"
    public static let route53Record = "aws.route53_record"
    public static let taskDefinition = "aws.ecs_task_definition"
    public static let ecsService = "aws.ecs_service"
    public static let userPool = "aws.cognito_user_pool"
    public static let userPoolClient = "aws.cognito_user_pool_client"
    public static let identityPool = "aws.cognito_identity_pool"
    public static let dynamoItem = "aws.dynamodb_item"
    public static let userGroup = "aws.cognito_user_group"
    public static let user = "aws.cognito_user"
    public static let iamRole = "aws.iam_role"
    public static let contactList = "aws.sesv2_contact_list"
    public static let contact = "aws.sesv2_contact"

    /// SES list management allows one contact list per account (AWS's SES developer guide,
    /// "Using list management"): a tenant gets a contact in the platform's list, not a list.
    public static let contactListQuota = AccountQuota(
        name: "SES contact lists", limit: 1, scope: .account,
        remedy:
            """
            SES allows one contact list per account: keep one platform list (create it once outside the \
            tenants' blueprints and pass its name as a platform input, e.g. `inputs.contactList` in \
            platform.yaml) and give each tenant an aws.sesv2_contact in it (contactListName: \
            \"${platform.contactList}\").
            """
    )

    /// The listeners tenants are placed on: `inputs.listeners` in platform.yaml, each on a load
    /// balancer whose rules and target groups its tenants share.
    public static let listenerPool = PoolDeclaration(
        name: "listeners", member: "listener", whenFull: "raise maxRules where AWS has raised your quota (each listener is an ALB of its own).",
        idKey: "arn", idMeaning: "the listener ARN", requiredFields: ["dnsName": "the load balancer's DNS name"],
        defaultLimits: ["rules": 100, "targetGroups": 100], closed: true,
        limitsHint: "AWS's defaults are 100 rules and 100 target groups per load balancer")

    private static func computed(_ type: AttributeType = .string, _ description: String = "", sensitive: Bool = false) -> AttributeSchema {
        AttributeSchema(type, computed: true, sensitive: sensitive, description: description)
    }

    /// Every `aws.*` type with its attributes.
    public static let schema = ProviderSchema(resources: [
        ResourceSchema(
            type: targetGroup,
            attributes: [
                "name": .init(.string, required: true, forceNew: true, description: "target group name, at most 32 characters"),
                "port": .init(.int, required: true, forceNew: true),
                "protocol": .init(.string, required: true, forceNew: true, description: "HTTP or HTTPS"),
                "vpcId": .init(.string, required: true, forceNew: true),
                "targetType": .init(.string, forceNew: true, description: "ip (default), instance or lambda"),
                "healthCheckPath": .init(.string, description: "updated in place"),
                "arn": computed(.string, "the target group ARN"),
            ], uniqueKeys: ["name"],
            // A load balancer holds at most 100 target groups.
            consumes: [PoolUsage(pool: listenerPool.name, capacity: "targetGroups", unit: "target group")]),
        ResourceSchema(
            type: listenerRule,
            attributes: [
                "listener": .init(.string, required: true, forceNew: true, description: "listener ARN, or `auto` to place the tenant on the pool"),
                "priority": .init(.int, required: true, description: "1 to 50000 unique per listener, or `auto`"),
                "hostHeader": .init(.string, required: true),
                "pathPattern": .init(.string),
                "targetGroupArn": .init(.string, required: true),
                "listenerDnsName": AttributeSchema(
                    .string, computed: true, optional: true, description: "DNS name of the load balancer the rule sits on"),
                "arn": computed(.string, "the rule ARN"),
            ],
            allocation: [
                AllocatedAttribute("listener", .placement(pool: listenerPool, fills: ["listenerDnsName": "dnsName"])),
                AllocatedAttribute("priority", .numberFromPool(range: 1...50_000, scopedBy: "listener")),
            ],
            // A load balancer holds 100 rules by default (a quota AWS can raise).
            consumes: [PoolUsage(pool: listenerPool.name, capacity: "rules", unit: "rule")],
            // Adoption finds a rule by its host header on whichever listener holds it, and keeps
            // that listener and priority (the allocator learns them).
            naturalKey: ["hostHeader"]),
        ResourceSchema(
            type: route53Record,
            attributes: [
                "zoneId": .init(.string, required: true, forceNew: true),
                "name": .init(.string, required: true, forceNew: true),
                "type": .init(.string, required: true, forceNew: true, description: "CNAME, A, AAAA, TXT"),
                "ttl": .init(.int),
                "records": .init(.list),
                "aliasTarget": .init(.map, description: "{dnsName, zoneId, evaluateTargetHealth} for alias A records"),
                "fqdn": computed(),
            ], taggable: false, uniqueKeys: ["zoneId", "name", "type"],
            // ChangeResourceRecordSets takes up to 1,000 changes of one hosted zone.
            batching: BatchRule(keyAttributes: ["zoneId"], maxSize: 1000)),
        ResourceSchema(
            type: taskDefinition,
            attributes: [
                "family": .init(.string, required: true, forceNew: true),
                "image": .init(.string, required: true, forceNew: true, description: "a change registers a new revision"),
                "cpu": .init(.int, required: true, forceNew: true),
                "memory": .init(.int, required: true, forceNew: true),
                "containerPort": .init(.int, forceNew: true),
                "environment": .init(.map, forceNew: true),
                "arn": computed(.string, "the revision's ARN"),
                "revision": computed(.int),
            ],
            // Adoption finds a family's latest active revision: earlier ones are its history.
            naturalKey: ["family"]),
        ResourceSchema(
            type: ecsService,
            attributes: [
                "cluster": .init(.string, required: true, forceNew: true),
                "name": AttributeSchema(.string, computed: true, optional: true, forceNew: true, description: "defaults to TENANT-NAME"),
                "taskDefinition": .init(.string, required: true, description: "updated in place (a new deployment)"),
                "desiredCount": .init(.int, required: true),
                "targetGroupArn": .init(.string, forceNew: true),
                "containerPort": .init(.int, forceNew: true),
                "launchType": .init(.string, forceNew: true),
                "arn": computed(),
            ], waitConditions: ["stable"], uniqueKeys: ["cluster", "name"],
            // Adoption finds a service by its cluster and the `name` the spec gives it.
            naturalKey: ["cluster", "name"]),
        ResourceSchema(
            type: userPool,
            attributes: [
                "name": .init(.string, required: true, forceNew: true),
                "mfa": .init(.string, description: "OFF (default), OPTIONAL or ON"),
                "id": computed(),
                "arn": computed(),
            ], dataBearing: true,
            // AWS lets two pools share a name; adoption finds one by it and calls two ambiguous.
            naturalKey: ["name"]),
        ResourceSchema(
            type: userPoolClient,
            attributes: [
                "userPoolId": .init(.string, required: true, forceNew: true),
                "name": .init(.string, required: true),
                "generateSecret": .init(.bool, forceNew: true),
                "callbackUrls": .init(.list),
                "id": computed(),
                "clientSecret": computed(.string, "the app client secret", sensitive: true),
            ], taggable: false, naturalKey: ["userPoolId", "name"]),
        ResourceSchema(
            type: identityPool,
            attributes: [
                "name": .init(.string, required: true),
                "allowUnauthenticated": .init(.bool),
                "userPoolId": .init(.string),
                "clientId": .init(.string),
                "region": .init(.string),
                "id": computed(),
            ], naturalKey: ["name"]),
        ResourceSchema(
            type: dynamoItem,
            attributes: [
                "table": .init(.string, required: true, forceNew: true),
                "key": .init(.map, required: true, forceNew: true, description: "the primary key, e.g. {pk: tenant#acme}"),
                "item": .init(.map, required: true, description: "the other attributes; written with a condition, never blindly"),
            ], taggable: false, dataBearing: true, uniqueKeys: ["table", "key"], exportFormat: "json"),
        ResourceSchema(
            type: userGroup,
            attributes: [
                "userPoolId": .init(.string, required: true, forceNew: true),
                "name": .init(.string, required: true, forceNew: true, description: "the group name, unique in its pool"),
                "description": .init(.string, description: "updated in place"),
                "precedence": .init(.int, description: "0 or more; lower wins when a user is in several groups; updated in place"),
            ], taggable: false, uniqueKeys: ["userPoolId", "name"]),
        ResourceSchema(
            type: user,
            attributes: [
                "userPoolId": .init(.string, required: true, forceNew: true),
                "username": .init(.string, required: true, forceNew: true, description: "unique in its pool"),
                "attributes": .init(.map, description: "user attributes, e.g. {email: admin@acme.example}; updated in place"),
                "groups": .init(.list, description: "names of the pool's groups the user is in; membership is converged"),
                "sendInvite": .init(.bool, description: "send Cognito's invitation at creation (default false: MessageAction SUPPRESS)"),
                "sub": computed(.string, "the user's immutable id"),
                "status": computed(.string, "FORCE_CHANGE_PASSWORD, CONFIRMED, ..."),
            ], taggable: false, dataBearing: true, uniqueKeys: ["userPoolId", "username"]),
        ResourceSchema(
            type: iamRole,
            attributes: [
                "name": .init(.string, required: true, forceNew: true, description: "the role name, unique in the account"),
                "assumeRolePolicy": .init(.map, required: true, description: "the trust policy document; updated in place"),
                "inlinePolicies": .init(.map, description: "policy name -> policy document; each is put or deleted in place"),
                "maxSessionDuration": .init(.int, description: "3600 (default) to 43200 seconds; updated in place"),
                "arn": computed(.string, "the role ARN"),
            ], uniqueKeys: ["name"]),
        ResourceSchema(
            type: contactList,
            attributes: [
                "name": .init(.string, required: true, forceNew: true),
                "description": .init(.string, description: "updated in place"),
                "topics": .init(.list, description: "[{name, displayName, description, defaultSubscriptionStatus: OPT_IN|OPT_OUT}]"),
            ], uniqueKeys: ["name"], quotas: [contactListQuota]),
        ResourceSchema(
            type: contact,
            attributes: [
                "contactListName": .init(.string, required: true, forceNew: true, description: "the platform's list"),
                "email": .init(.string, required: true, forceNew: true),
                "topicPreferences": .init(.map, description: "topic name -> OPT_IN or OPT_OUT; updated in place"),
                "attributes": .init(.map, description: "sent as the contact's AttributesData (JSON); updated in place"),
                "lastUpdated": computed(
                    .string, "SES's LastUpdatedTimestamp as Landlord last wrote the contact: a listing refresh reads a contact again when it moved"),
            ], taggable: false, dataBearing: true, uniqueKeys: ["contactListName", "email"]),
    ])
}
