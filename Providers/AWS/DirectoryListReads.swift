import AWSClient
import AWSSchema
import Foundation
import ProviderAPI

// Refresh by listing for the identity and contact types: IAM roles (the account's
// authorization details), a user pool's groups and users (read together), SES contacts (the
// list, then GetContact only where the contact moved). See AWSListReads for the call counts.

// MARK: IAM: GetAccountAuthorizationDetails (Filter Role), 1,000 roles a page, per account

extension IAMRoles: ListingHandler {
    func readGroup(_ resource: ResourceObject) -> String? { "account" }

    /// Every role of the account with its trust policy and inline policies (documents, as
    /// GetRole and GetRolePolicy return them); MaxSessionDuration is not among them, so
    /// ListRoles is read too when a recorded role sets `maxSessionDuration`.
    func readMany(group: String, _ resources: [ResourceObject]) async throws -> [ResourceObject?] {
        if Listing.readsSingly(Self.type, resources.count) { return try await Listing.single(self, resources) }
        let result = "GetAccountAuthorizationDetailsResult"
        var roles: [String: XMLNode] = [:]
        var marker: String?
        repeat {
            var p = ["Filter.member.1": "Role", "MaxItems": "1000"]
            if let marker { p["Marker"] = marker }
            let root = try await client.query(.iam, action: "GetAccountAuthorizationDetails", p)
            for role in root.members(result, "RoleDetailList") { if let name = role.string("RoleName") { roles[name] = role } }
            marker = root.string(result, "IsTruncated") == "true" ? root.string(result, "Marker") : nil
        } while marker != nil
        var durations: [String: Int] = [:]
        if resources.contains(where: { ($0.attributes["maxSessionDuration"] ?? .null) != .null }) {
            var marker: String?
            repeat {
                var p = ["MaxItems": "1000"]
                if let marker { p["Marker"] = marker }
                let root = try await client.query(.iam, action: "ListRoles", p)
                for role in root.members("ListRolesResult", "Roles") {
                    if let name = role.string("RoleName"), let d = role.string("MaxSessionDuration").flatMap(Int.init) { durations[name] = d }
                }
                marker = root.string("ListRolesResult", "IsTruncated") == "true" ? root.string("ListRolesResult", "Marker") : nil
            } while marker != nil
        }
        return resources.map { r in
            guard let role = roles[r.id] else { return nil }
            var inline: [String: Value] = [:]
            for policy in role.members("RolePolicyList") {
                if let name = policy.string("PolicyName") { inline[name] = Self.decode(policy.string("PolicyDocument") ?? "") }
            }
            let a: [String: Value] = [
                "name": .string(r.id), "arn": role.string("Arn").map(Value.string) ?? .null,
                "assumeRolePolicy": Self.decode(role.string("AssumeRolePolicyDocument") ?? ""),
                "maxSessionDuration": durations[r.id].map(Value.int) ?? r.attributes["maxSessionDuration"] ?? .null,
                "inlinePolicies": .map(inline),
            ]
            return ResourceObject(type: Self.type, id: r.id, attributes: a)
        }
    }
}

// MARK: Cognito: a pool's groups (ListGroups) and users (ListUsersInGroup), read together

extension UserGroups: ListingHandler {
    /// Read with the pool's users (`AWSListReads.groupType`): the same ListGroups serves both.
    func readGroup(_ resource: ResourceObject) -> String? { Inputs(resource.attributes).optionalString("userPoolId") }

    func readMany(group pool: String, _ resources: [ResourceObject]) async throws -> [ResourceObject?] {
        try await Users(client: client).readMany(group: pool, resources)
    }
}

extension Users: ListingHandler {
    func readGroup(_ resource: ResourceObject) -> String? { Inputs(resource.attributes).optionalString("userPoolId") }

    /// The pool's recorded groups and users (both types come in one group): ListGroups lists
    /// every group of the pool; each group's members, with their attributes and status, come
    /// from ListUsersInGroup, so a user's membership is the groups it was listed in (every
    /// group being listed, a membership added by hand shows). A recorded user listed in no
    /// group is asked for with AdminGetUser (gone, or in none). When the groups would take more
    /// pages than reading each user on its own (AdminGetUser and AdminListGroupsForUser), the
    /// users are read on their own instead (`AWSListReads.poolCalls`).
    func readMany(group pool: String, _ resources: [ResourceObject]) async throws -> [ResourceObject?] {
        guard let groups = try await listGroups(pool) else { return resources.map { _ in nil } }
        let users = resources.filter { $0.type == Self.type }
        var found: [String: ResourceObject?] = [:]  // by username
        if !users.isEmpty {
            let budget = 2 * users.count
            var listed: [String: (user: [String: Value], groups: [String])]? = [:]
            var pages = 0
            if groups.count > budget { listed = nil }
            members: for name in groups.keys.sorted() where listed != nil {
                var token: Value = .null
                repeat {
                    guard pages < budget else {
                        listed = nil
                        break members
                    }
                    var body: [String: Value] = ["UserPoolId": .string(pool), "GroupName": .string(name), "Limit": 60]
                    if token != .null { body["NextToken"] = token }
                    pages += 1
                    let page = try await unlessMissing(Self.missing) {
                        try await client.call(.cognitoIdentityProvider, "ListUsersInGroup", body)
                    }
                    for u in page?["Users"]?.listValue ?? [] {
                        guard let m = u.mapValue, let username = m["Username"]?.stringValue else { continue }
                        listed?[username, default: (m, [])].groups.append(name)
                    }
                    token = page?["NextToken"] ?? .null
                } while token != .null
            }
            for r in users {
                let (_, username) = try key(Inputs(r.attributes))
                if let listed {
                    if let held = listed[username] {
                        found[username] = Self.object(
                            pool: pool, username: username, attributes: held.user["Attributes"], status: held.user["UserStatus"], member: held.groups,
                            like: r.attributes)
                    } else {
                        // In no group of the pool: gone, or a member of none.
                        found[username] = try await adminGetUser(pool: pool, username: username).map {
                            Self.object(
                                pool: pool, username: username, attributes: $0["UserAttributes"], status: $0["UserStatus"], member: [],
                                like: r.attributes)
                        }
                    }
                } else {
                    found[username] = try await fetch(pool: pool, username: username, like: r.attributes)
                }
            }
        }
        return try resources.map { r in
            let inputs = Inputs(r.attributes)
            if r.type == UserGroups.type {
                let name = try inputs.string("name")
                return groups[name].map { UserGroups.object(pool: pool, name: name, $0) }
            }
            return found[try key(inputs).username] ?? nil
        }
    }

    /// Every group of the pool by name (`GroupType`), 60 a page; nil when the pool is gone.
    func listGroups(_ pool: String) async throws -> [String: [String: Value]]? {
        var out: [String: [String: Value]] = [:]
        var token: Value = .null
        repeat {
            var body: [String: Value] = ["UserPoolId": .string(pool), "Limit": 60]
            if token != .null { body["NextToken"] = token }
            guard
                let page = try await unlessMissing(
                    ["ResourceNotFoundException"], { try await client.call(.cognitoIdentityProvider, "ListGroups", body) })
            else { return nil }
            for g in page["Groups"]?.listValue ?? [] {
                if let m = g.mapValue, let name = m["GroupName"]?.stringValue { out[name] = m }
            }
            token = page["NextToken"] ?? .null
        } while token != .null
        return out
    }
}

// MARK: SES: ListContacts per contact list, 1,000 a page; GetContact where the contact moved

extension Contacts: ListingHandler {
    func readGroup(_ resource: ResourceObject) -> String? { Inputs(resource.attributes).optionalString("contactListName") }

    /// ListContacts returns each contact's topic preferences and LastUpdatedTimestamp, not its
    /// AttributesData. Any change to a contact (UpdateContact, or deleting and adding it again)
    /// moves that timestamp, so a contact listed with the timestamp Landlord recorded when it
    /// last wrote it still has the attributes Landlord wrote; the others (moved, or recorded
    /// before timestamps were) are read with GetContact, which returns the attributes.
    func readMany(group list: String, _ resources: [ResourceObject]) async throws -> [ResourceObject?] {
        if Listing.readsSingly(Self.type, resources.count) { return try await Listing.single(self, resources) }
        var listed: [String: [String: Value]] = [:]  // by address
        var token: String?
        repeat {
            var body: [String: Value] = ["PageSize": 1000]
            if let token { body["NextToken"] = .string(token) }
            guard
                let out = try await unlessMissing(
                    ["NotFoundException"],
                    { try await client.sesv2("ListContacts", "POST", ["contact-lists", list, "contacts", "list"], body: body) })
            else { return resources.map { _ in nil } }
            for c in out["Contacts"]?.listValue ?? [] {
                if let m = c.mapValue, let email = m["EmailAddress"]?.stringValue { listed[email] = m }
            }
            token = out["NextToken"]?.stringValue
        } while token != nil
        var out: [ResourceObject?] = []
        for r in resources {
            let (_, email) = try key(Inputs(r.attributes))
            guard let c = listed[email] else {
                out.append(nil)
                continue
            }
            let stamp = Self.stamp(c["LastUpdatedTimestamp"])
            guard stamp != .null, r.attributes["lastUpdated"]?.revealed == stamp else {
                out.append(try await fetch(list: list, email: email))
                continue
            }
            var prefs: [String: Value] = [:]
            for p in c["TopicPreferences"]?.listValue ?? [] {
                if let m = p.mapValue, let topic = m["TopicName"]?.stringValue { prefs[topic] = m["SubscriptionStatus"] ?? .null }
            }
            var a: [String: Value] = [
                "contactListName": .string(list), "email": .string(email), "topicPreferences": .map(prefs), "lastUpdated": stamp,
            ]
            if let attributes = r.attributes["attributes"] { a["attributes"] = attributes }
            out.append(ResourceObject(type: Self.type, id: "\(list)/\(email)", attributes: a))
        }
        return out
    }
}
