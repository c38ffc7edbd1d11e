import ProviderAPI

/// How the `aws.*` types are read many at a time in a refresh (refresh by listing): the list
/// or batch operation of each type, how many resources one call returns, and the operation a
/// resource is read with on its own. The AWS provider calls these operations; the mock counts
/// its simulated calls from the same table, so the two report alike.
public enum AWSListReads {
    /// One type's list or batch read.
    public struct Listing: Sendable {
        /// The API (SigV4 signing name), e.g. `route53`.
        public var api: String
        /// The list or batch operation, e.g. `ListResourceRecordSets`.
        public var operation: String
        /// Resources one call returns at most (a page, or a batch's keys).
        public var perCall: Int
        /// What a group is: `zone`, `listener`, `cluster` or `region` (one group per type).
        public var groupedBy: String
        /// True when the call lists everything in the group, not only the resources asked
        /// for: then a group of at most `singleReadsUpTo` resources is read one by one.
        public var listsAll: Bool
    }

    /// Groups this small of a type that lists everything are read one resource at a time:
    /// listing a whole zone or every target group of a region for one or two resources would
    /// cost more calls.
    public static let singleReadsUpTo = 2

    /// The list reads; types missing here (user pool clients: AWS lists them per pool without
    /// their settings, so a describe per client costs the same and shows more) are read one by one.
    public static let listings: [String: Listing] = [
        AWSResourceTypes.route53Record: Listing(
            api: "route53", operation: "ListResourceRecordSets", perCall: 300, groupedBy: "zone", listsAll: true),
        AWSResourceTypes.listenerRule: Listing(
            api: "elasticloadbalancing", operation: "DescribeRules", perCall: 400, groupedBy: "listener", listsAll: true),
        AWSResourceTypes.targetGroup: Listing(
            api: "elasticloadbalancing", operation: "DescribeTargetGroups", perCall: 400, groupedBy: "region", listsAll: true),
        AWSResourceTypes.ecsService: Listing(api: "ecs", operation: "DescribeServices", perCall: 10, groupedBy: "cluster", listsAll: false),
        AWSResourceTypes.taskDefinition: Listing(
            api: "ecs", operation: "ListTaskDefinitions", perCall: 100, groupedBy: "region", listsAll: true),
        AWSResourceTypes.userPool: Listing(api: "cognito-idp", operation: "ListUserPools", perCall: 60, groupedBy: "region", listsAll: true),
        AWSResourceTypes.identityPool: Listing(
            api: "cognito-identity", operation: "ListIdentityPools", perCall: 60, groupedBy: "region", listsAll: true),
        AWSResourceTypes.dynamoItem: Listing(api: "dynamodb", operation: "BatchGetItem", perCall: 100, groupedBy: "region", listsAll: false),
    ]

    /// The operation that reads one resource of a type on its own (its first, for types read
    /// with several: see `singleReadCalls`).
    public static let singleReads: [String: (api: String, operation: String)] = [
        AWSResourceTypes.route53Record: ("route53", "ListResourceRecordSets"),
        AWSResourceTypes.listenerRule: ("elasticloadbalancing", "DescribeRules"),
        AWSResourceTypes.targetGroup: ("elasticloadbalancing", "DescribeTargetGroups"),
        AWSResourceTypes.ecsService: ("ecs", "DescribeServices"),
        AWSResourceTypes.taskDefinition: ("ecs", "DescribeTaskDefinition"),
        AWSResourceTypes.userPool: ("cognito-idp", "DescribeUserPool"),
        AWSResourceTypes.userPoolClient: ("cognito-idp", "DescribeUserPoolClient"),
        AWSResourceTypes.identityPool: ("cognito-identity", "DescribeIdentityPool"),
        AWSResourceTypes.dynamoItem: ("dynamodb", "GetItem"),
        AWSResourceTypes.userGroup: ("cognito-idp", "GetGroup"),
        AWSResourceTypes.user: ("cognito-idp", "AdminGetUser"),
        AWSResourceTypes.iamRole: ("iam", "GetRole"),
        AWSResourceTypes.contactList: ("ses", "GetContactList"),
        AWSResourceTypes.contact: ("ses", "GetContact"),
    ]

    /// Every request reading `resource` on its own takes, per operation: a user also lists its
    /// groups, a role also lists its inline policies and gets each one.
    public static func singleReadCalls(_ resource: ResourceObject) -> [(api: String, operation: String, count: Int)] {
        guard let first = singleReads[resource.type] else { return [] }
        var out = [(first.api, first.operation, 1)]
        switch resource.type {
        case AWSResourceTypes.user: out.append(("cognito-idp", "AdminListGroupsForUser", 1))
        case AWSResourceTypes.iamRole:
            out.append(("iam", "ListRolePolicies", 1))
            let policies = resource.attributes["inlinePolicies"]?.mapValue?.count ?? 0
            if policies > 0 { out.append(("iam", "GetRolePolicy", policies)) }
        default: break
        }
        return out
    }

    /// Attributes a listing cannot see (they keep their recorded values in a listing refresh):
    /// ListUserPools returns no MFA setting, ListIdentityPools only ids and names.
    public static let unseenByListing: [String: [String]] = [
        AWSResourceTypes.userPool: ["mfa"],
        AWSResourceTypes.identityPool: ["allowUnauthenticated", "userPoolId", "clientId", "region"],
    ]

    /// Calls a group of `count` resources costs when `pages` list pages hold the whole group
    /// (for types that list everything) or the resources asked for.
    public static func calls(_ listing: Listing, count: Int, listed: Int) -> Int {
        if listing.listsAll && count <= singleReadsUpTo { return count }
        let n = listing.listsAll ? listed : count
        return max(1, (n + listing.perCall - 1) / listing.perCall)
    }
}
