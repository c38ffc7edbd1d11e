import AWSClient
import AWSProvider
import AWSSchema
import Foundation
import LandlordTestSupport
import ProviderAPI
import Testing

/// Sends to moto, keeping what moto 5.2.1 drops: each SES contact's `AttributesData`
/// (CreateContact's, answered back in GetContact, as SES does), so a test can drift a
/// contact's attributes by re-making it. Everything else goes to moto unchanged.
final class ContactAttributesTransport: HTTPTransport, @unchecked Sendable {
    // @unchecked: `attributes`, the only `var`, is read and written only under `lock`.
    private let lock = NSLock()
    private var attributes: [String: Value] = [:]  // "LIST/EMAIL" -> AttributesData
    let inner = CurlTransport()

    /// `LIST/EMAIL` of a `/v2/email/contact-lists/LIST/contacts/EMAIL` path.
    static func contact(_ path: String) -> String? {
        let parts = path.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
        guard parts.count == 6, parts[2] == "contact-lists", parts[4] == "contacts", parts[5] != "list" else { return nil }
        return parts[3] + "/" + parts[5]
    }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let parts = request.path.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
        if request.method == "POST", parts.count == 5, parts[2] == "contact-lists", parts[4] == "contacts",
            let body = (try? JSON.parse(Array(request.body)))?.mapValue, let email = body["EmailAddress"]?.stringValue
        {
            lock.withLock { attributes[parts[3] + "/" + email] = body["AttributesData"] }
        }
        if request.method == "DELETE", let key = Self.contact(request.path) { _ = lock.withLock { attributes.removeValue(forKey: key) } }
        var response = try await inner.send(request)
        if request.method == "GET", response.status == 200, let key = Self.contact(request.path),
            let data = lock.withLock({ attributes[key] }), var body = (try? JSON.parse(Array(response.body)))?.mapValue
        {
            body["AttributesData"] = data
            response.body = Data(JSON.serialize(.map(body)))
        }
        return response
    }
}

extension MotoTests.RefreshByListingTests {
    /// One tenant's user group, admin user (in the group), isolation role (an inline policy)
    /// and contact (in the shared list), as examples/aws makes them.
    func makeDirectoryTenant(_ provider: AWSProvider, _ i: Int, list: String, client: AWSClient) async throws -> Recorded {
        let t = Tenant()
        let pool = try await Fixtures(client: client).userPool("\(t.id)-users")
        var r: Recorded = [:]
        r["group"] = try await provider.applyOK(
            t.create(
                AWSResourceTypes.userGroup, "group", ["userPoolId": .string(pool), "name": "tenant", "description": "Tenant admins", "precedence": 1])
        )
        r["user"] = try await provider.applyOK(
            t.create(
                AWSResourceTypes.user, "user",
                [
                    "userPoolId": .string(pool), "username": "admin", "attributes": ["email": .string("admin@\(t.id).example.com")],
                    "groups": ["tenant"],
                ]))
        var role: [String: Value] = [
            "name": .string("t-\(t.id)-isolation"),
            "assumeRolePolicy": [
                "Version": "2012-10-17",
                "Statement": [["Effect": "Allow", "Principal": ["Service": "ecs-tasks.amazonaws.com"], "Action": "sts:AssumeRole"]],
            ],
            "inlinePolicies": [
                "tenant-isolation": [
                    "Version": "2012-10-17",
                    "Statement": [["Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": .string("arn:aws:dynamodb:::\(t.id)")]],
                ]
            ],
        ]
        if i == 0 { role["maxSessionDuration"] = 3600 }  // only ListRoles returns it: read for this role's sake
        r["role"] = try await provider.applyOK(t.create(AWSResourceTypes.iamRole, "role", role))
        r["contact"] = try await provider.applyOK(
            t.create(
                AWSResourceTypes.contact, "contact",
                [
                    "contactListName": .string(list), "email": .string("admin@\(t.id).example.com"), "topicPreferences": ["news": "OPT_IN"],
                    "attributes": ["tenant": .string(t.id), "tier": "basic"],
                ]))
        return r
    }

    @Test func groupsUsersRolesAndContactsAreListedAndTheirDriftIsFound() async throws {
        try await Moto.reset()
        let transport = ContactAttributesTransport()
        let provider = AWSProvider(settings: ["region": "us-east-1"], environment: Moto.environment, transport: transport)
        let client = AWSClient(configuration: try AWSConfiguration.resolve(region: "us-east-1", environment: Moto.environment), transport: transport)
        func cognito(_ operation: String, _ body: [String: Value]) async throws {
            _ = try await client.json(.cognitoIdentityProvider, operation: operation, body: Data(JSON.serialize(.map(body))))
        }
        func ses(_ operation: String, _ method: String, _ path: String, _ body: Value? = nil) async throws {
            _ = try await client.restJSON(.sesv2, operation: operation, method: method, path: path, body: body.map { Data(JSON.serialize($0)) })
        }
        let list = "platform"
        try await ses(
            "CreateContactList", "POST", "/v2/email/contact-lists",
            ["ContactListName": .string(list), "Topics": [["TopicName": "news", "DisplayName": "News", "DefaultSubscriptionStatus": "OPT_IN"]]])
        var tenants: [Recorded] = []
        for i in 0..<3 { tenants.append(try await makeDirectoryTenant(provider, i, list: list, client: client)) }
        let names = tenants[0].keys.sorted()
        let recorded = tenants.flatMap { t in names.map { t[$0]! } }
        #expect(tenants[0]["contact"]?.attributes["lastUpdated"]?.stringValue?.isEmpty == false, "the contact's timestamp is recorded at create")

        // Nothing changed: the list reads answer what single reads answer. Per pool one
        // ListGroups and one ListUsersInGroup (its one group); one authorization-details page
        // for every role and one ListRoles (a role records maxSessionDuration); one
        // ListContacts and no GetContact (every timestamp is the one recorded).
        let listed = await listReadMatchingSingleReads(provider, recorded)
        let op = { (api: String, operation: String) in APIOperation(api: api, operation: operation) }
        #expect(
            listed.calls == [
                op("cognito-idp", "ListGroups"): 3, op("cognito-idp", "ListUsersInGroup"): 3, op("iam", "GetAccountAuthorizationDetails"): 1,
                op("iam", "ListRoles"): 1, op("ses", "ListContacts"): 1,
            ])

        // Drift made outside Landlord.
        let (t0, t1, t2) = (tenants[0], tenants[1], tenants[2])
        func pool(_ t: Recorded) -> Value { t["user"]!.attributes["userPoolId"]! }
        func role(_ t: Recorded) -> String { t["role"]!.id }
        // Tenant 0: the group's description and precedence, the user's email, the role's
        // inline policy and session duration, the contact's topic preference (re-made by hand:
        // moto has no UpdateContact; either way SES moves LastUpdatedTimestamp).
        try await cognito("UpdateGroup", ["UserPoolId": pool(t0), "GroupName": "tenant", "Description": "edited by hand", "Precedence": 7])
        try await cognito(
            "AdminUpdateUserAttributes",
            ["UserPoolId": pool(t0), "Username": "admin", "UserAttributes": [["Name": "email", "Value": "evil@example.net"]]])
        let widened = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:*","Resource":"*"}]}"#
        _ = try await client.query(
            .iam, action: "PutRolePolicy", ["RoleName": role(t0), "PolicyName": "tenant-isolation", "PolicyDocument": widened])
        _ = try await client.query(.iam, action: "UpdateRole", ["RoleName": role(t0), "MaxSessionDuration": "7200"])
        func remake(_ t: Recorded, preference: String, attributes: Value) async throws {
            let email = t["contact"]!.attributes["email"]!.stringValue!
            try await ses("DeleteContact", "DELETE", "/v2/email/contact-lists/\(list)/contacts/\(SigV4.uriEncode(email))")
            try await Task.sleep(nanoseconds: 5_000_000)  // moto's timestamps have milliseconds
            try await ses(
                "CreateContact", "POST", "/v2/email/contact-lists/\(list)/contacts",
                [
                    "EmailAddress": .string(email), "TopicPreferences": [["TopicName": "news", "SubscriptionStatus": .string(preference)]],
                    "AttributesData": .string(JSON.string(attributes)),
                ])
        }
        try await remake(t0, preference: "OPT_OUT", attributes: t0["contact"]!.attributes["attributes"]!)
        // Tenant 1: the user added to a group made by hand, the role's trust policy, the
        // contact's attributes (same preferences).
        try await cognito("CreateGroup", ["UserPoolId": pool(t1), "GroupName": "intruders"])
        try await cognito("AdminAddUserToGroup", ["UserPoolId": pool(t1), "Username": "admin", "GroupName": "intruders"])
        let trust = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#
        _ = try await client.query(.iam, action: "UpdateAssumeRolePolicy", ["RoleName": role(t1), "PolicyDocument": trust])
        try await remake(t1, preference: "OPT_IN", attributes: ["tenant": "someone-else", "tier": "premium"])
        // Tenant 2: the group, the user, the role and the contact deleted.
        try await cognito("DeleteGroup", ["UserPoolId": pool(t2), "GroupName": "tenant"])
        try await cognito("AdminDeleteUser", ["UserPoolId": pool(t2), "Username": "admin"])
        _ = try await client.query(.iam, action: "DeleteRolePolicy", ["RoleName": role(t2), "PolicyName": "tenant-isolation"])
        _ = try await client.query(.iam, action: "DeleteRole", ["RoleName": role(t2)])
        let gone = t2["contact"]!.attributes["email"]!.stringValue!
        try await ses("DeleteContact", "DELETE", "/v2/email/contact-lists/\(list)/contacts/\(SigV4.uriEncode(gone))")

        let after = await listRead(provider, recorded)
        func now(_ t: Int, _ name: String) -> ResourceObject? { after.found[t * names.count + names.firstIndex(of: name)!] }
        #expect(now(0, "group")?.attributes["description"] == "edited by hand")
        #expect(now(0, "group")?.attributes["precedence"] == 7)
        #expect(now(0, "user")?.attributes["attributes"] == ["email": "evil@example.net"])
        #expect(now(0, "user")?.attributes["groups"] == ["tenant"])
        #expect(
            now(0, "role")?.attributes["inlinePolicies"]?.mapValue?["tenant-isolation"]
                == ["Version": "2012-10-17", "Statement": [["Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"]]])
        #expect(now(0, "role")?.attributes["maxSessionDuration"] == 7200)
        #expect(now(0, "contact")?.attributes["topicPreferences"] == ["news": "OPT_OUT"])
        #expect(now(1, "user")?.attributes["groups"] == ["intruders", "tenant"], "a membership added by hand shows")
        #expect(
            now(1, "role")?.attributes["assumeRolePolicy"]?.mapValue?["Statement"] == [
                ["Effect": "Allow", "Principal": ["AWS": "*"], "Action": "sts:AssumeRole"]
            ])
        #expect(
            now(1, "contact")?.attributes["attributes"] == ["tenant": "someone-else", "tier": "premium"], "attributes drift is read with GetContact")
        #expect(now(1, "contact")?.attributes["topicPreferences"] == ["news": "OPT_IN"])
        for name in names { #expect(now(2, name) == nil, "tenant 2's \(name) was deleted") }
        // What a single read of each drifted resource sees, the listing saw.
        let again = await provider.read(ReadRequest(resources: recorded))
        for (i, r) in recorded.enumerated() { #expect(seen(after.found[i]) == seen(again.resources[i]), "\(r.type) \(r.id)") }
        // The pools' listings follow their groups (pool 1 has two, pool 2 none); pool 2's user
        // is in no group, so AdminGetUser says it is gone; the two re-made contacts moved.
        #expect(
            after.calls == [
                op("cognito-idp", "ListGroups"): 3, op("cognito-idp", "ListUsersInGroup"): 3, op("cognito-idp", "AdminGetUser"): 1,
                op("iam", "GetAccountAuthorizationDetails"): 1, op("iam", "ListRoles"): 1, op("ses", "ListContacts"): 1, op("ses", "GetContact"): 2,
            ])
    }

    @Test func aPoolWhoseGroupsOutnumberItsUsersIsReadPerUser() async throws {
        try await Moto.reset()
        let provider = Moto.provider()
        let client = try Moto.client()
        let t = Tenant()
        let pool = try await Fixtures(client: client).userPool("\(t.id)-users")
        for g in ["a", "b", "c"] {
            _ = try await client.json(
                .cognitoIdentityProvider, operation: "CreateGroup",
                body: Data(JSON.serialize(["UserPoolId": .string(pool), "GroupName": .string(g)])))
        }
        let user = try await provider.applyOK(
            t.create(
                AWSResourceTypes.user, "user",
                ["userPoolId": .string(pool), "username": "admin", "attributes": ["email": "a@example.com"], "groups": ["a", "c"]]))
        // Three groups cost more than the user's own two reads: ListGroups, then AdminGetUser
        // and AdminListGroupsForUser (the budget `AWSListReads.poolCalls` gives), not three
        // ListUsersInGroup.
        let read = await listRead(provider, [user])
        #expect(read.found.first??.attributes["groups"] == ["a", "c"])
        let op = { (operation: String) in APIOperation(api: "cognito-idp", operation: operation) }
        #expect(read.calls == [op("ListGroups"): 1, op("AdminGetUser"): 1, op("AdminListGroupsForUser"): 1])
        #expect(
            AWSListReads.poolCalls(members: [1, 0, 1], users: 1, unlisted: 0) == ["ListGroups": 1, "AdminGetUser": 1, "AdminListGroupsForUser": 1])
        // Two groups fit the budget: listed with ListUsersInGroup.
        _ = try await client.json(
            .cognitoIdentityProvider, operation: "DeleteGroup", body: Data(JSON.serialize(["UserPoolId": .string(pool), "GroupName": "b"])))
        let listed = await listRead(provider, [user])
        #expect(listed.found.first??.attributes["groups"] == ["a", "c"])
        #expect(listed.calls == [op("ListGroups"): 1, op("ListUsersInGroup"): 2])
    }
}
