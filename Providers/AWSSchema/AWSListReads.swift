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
        /// What a group is: `zone`, `listener`, `cluster`, `pool` (a user pool), `contactList`,
        /// `account` or `region` (one group per type).
        public var groupedBy: String
        /// True when the call lists everything in the group, not only the resources asked
        /// for: then a group of at most `singleReadsUpTo` resources is read one by one.
        public var listsAll: Bool
        /// The type whose groups this type's resources join (a pool's user groups are read
        /// with its users, one ListGroups serving both); nil: groups of its own.
        public var readWith: String? = nil
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
        // A pool's groups and users are read together (`poolCalls`): ListGroups, then each
        // group's members with ListUsersInGroup (attributes, status and membership at once).
        AWSResourceTypes.userGroup: Listing(
            api: "cognito-idp", operation: "ListGroups", perCall: 60, groupedBy: "pool", listsAll: false, readWith: AWSResourceTypes.user),
        AWSResourceTypes.user: Listing(api: "cognito-idp", operation: "ListUsersInGroup", perCall: 60, groupedBy: "pool", listsAll: false),
        // Every role of the account with its trust policy, inline policies and tags; ListRoles
        // too (same pages) when a role records `maxSessionDuration`, which only it returns.
        AWSResourceTypes.iamRole: Listing(
            api: "iam", operation: "GetAccountAuthorizationDetails", perCall: 1000, groupedBy: "account", listsAll: true),
        // A list's contacts with their topic preferences and LastUpdatedTimestamp; GetContact
        // for each contact whose timestamp moved since Landlord wrote it (`contactCalls`).
        AWSResourceTypes.contact: Listing(api: "ses", operation: "ListContacts", perCall: 1000, groupedBy: "contactList", listsAll: true),
    ]

    /// The listing type whose group a resource of `type` joins (its own, or `readWith`).
    public static func groupType(_ type: String) -> String { listings[type]?.readWith ?? type }

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

    /// Pages of `perCall` items that `n` items take (one at least: an empty list is one call).
    public static func pages(_ n: Int, _ perCall: Int) -> Int { max(1, (n + perCall - 1) / perCall) }

    /// The calls reading one user pool's recorded groups and `users` together:
    /// ListGroups (60 a page), then, when users are asked for, each group's members with
    /// ListUsersInGroup (60 a page; `members`: each group's member count) and AdminGetUser for
    /// the `unlisted` users found in no group (deleted, or in none). Membership listing is
    /// given the budget a per-user read would cost (AdminGetUser and AdminListGroupsForUser,
    /// two calls a user): a pool with more groups than that is read per user at once, and one
    /// whose groups need more pages (thousands of members) stops listing at the budget and
    /// reads per user, so a refresh never costs more than twice the per-user reads.
    public static func poolCalls(members: [Int], users: Int, unlisted: Int) -> [String: Int] {
        var out = ["ListGroups": pages(members.count, 60)]
        guard users > 0 else { return out }
        let budget = 2 * users
        let needed = members.reduce(0) { $0 + pages($1, 60) }
        if members.count > budget || needed > budget {
            if members.count <= budget { out["ListUsersInGroup"] = budget }
            out["AdminGetUser"] = users
            out["AdminListGroupsForUser"] = users
        } else {
            if needed > 0 { out["ListUsersInGroup"] = needed }
            if unlisted > 0 { out["AdminGetUser"] = unlisted }
        }
        return out
    }

    /// The calls reading `count` recorded contacts of a list holding `listed`: ListContacts
    /// (1,000 a page), then GetContact for the `changed` ones (LastUpdatedTimestamp not the one
    /// recorded: only GetContact returns AttributesData). One or two contacts: GetContact each.
    public static func contactCalls(count: Int, listed: Int, changed: Int) -> [String: Int] {
        if count <= singleReadsUpTo { return ["GetContact": count] }
        var out = ["ListContacts": pages(listed, 1000)]
        if changed > 0 { out["GetContact"] = changed }
        return out
    }

    /// The calls reading `count` recorded roles of an account holding `listed`:
    /// GetAccountAuthorizationDetails pages, plus as many ListRoles pages when a role records
    /// `maxSessionDuration`. One or two roles: read on their own (`singleReadCalls`).
    public static func roleCalls(listed: Int, sessionDurations: Bool) -> [String: Int] {
        let n = pages(listed, 1000)
        return sessionDurations ? ["GetAccountAuthorizationDetails": n, "ListRoles": n] : ["GetAccountAuthorizationDetails": n]
    }

    /// Calls a group of `count` resources costs when `pages` list pages hold the whole group
    /// (for types that list everything) or the resources asked for.
    public static func calls(_ listing: Listing, count: Int, listed: Int) -> Int {
        if listing.listsAll && count <= singleReadsUpTo { return count }
        let n = listing.listsAll ? listed : count
        return max(1, (n + listing.perCall - 1) / listing.perCall)
    }
}
