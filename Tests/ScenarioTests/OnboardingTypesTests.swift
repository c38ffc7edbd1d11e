import AWSSchema
import Foundation
import LandlordCore
import MockProvider
import ProviderAPI
import Testing

/// The onboarding resource types of issue 13 served by the mock: a tenant's user group, admin
/// user, isolation role and contact in the platform's list; and the one-contact-list-per-account
/// quota, refused at plan time from the schema's declaration.
@Suite struct OnboardingTypesTests {
    static let platform = """
        apiVersion: landlord/v1
        kind: Platform
        name: onboarding
        provider: {aws: {region: us-east-1, use: mock}}
        inputs:
          contactList: platform-contacts
          tenantTable: "arn:aws:dynamodb:us-east-1:123456789012:table/tenants"
        """

    static let blueprint = """
        apiVersion: landlord/v1
        kind: Blueprint
        name: tenant
        parameters:
          adminEmail: {type: string}
        resources:
          users:
            type: aws.cognito_user_pool
            properties: {name: "${tenant.id}-users"}
          admins:
            type: aws.cognito_user_group
            properties: {userPoolId: "${users.id}", name: tenant, description: "Tenant administrators", precedence: 1}
          admin:
            type: aws.cognito_user
            properties:
              userPoolId: "${users.id}"
              username: admin
              attributes: {email: "${adminEmail}", email_verified: "true"}
              groups: ["${admins.name}"]
          isolation:
            type: aws.iam_role
            properties:
              name: "${tenant.id}-isolation"
              maxSessionDuration: 3600
              assumeRolePolicy:
                Version: "2012-10-17"
                Statement: [{Effect: Allow, Principal: {Service: ecs-tasks.amazonaws.com}, Action: "sts:AssumeRole"}]
              inlinePolicies:
                tenant-isolation:
                  Version: "2012-10-17"
                  Statement:
                    - Effect: Allow
                      Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"]
                      Resource: "${platform.tenantTable}"
                      Condition: {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${tenant.id}"]}}
          contact:
            type: aws.sesv2_contact
            properties:
              contactListName: "${platform.contactList}"
              email: "${adminEmail}"
              topicPreferences: {news: OPT_IN}
              attributes: {tenant: "${tenant.id}"}
        """

    func tenant(_ h: Harness, _ id: String, blueprint: String = "tenant") throws {
        try h.write(
            "tenants/\(id).yaml",
            "apiVersion: landlord/v1\nkind: Tenant\nid: \(id)\nblueprint: \(blueprint)\nparameters: {adminEmail: admin@\(id).example}\n")
    }

    func fleet(blueprint: String = Self.blueprint, name: String = "tenant") throws -> Harness {
        let h = try Harness()
        try h.remove("tenants/acme.yaml")
        try h.remove("tenants/globex.yaml")
        try h.remove("blueprints/web.yaml")
        try h.write("platform.yaml", Self.platform)
        try h.write("blueprints/\(name).yaml", blueprint)
        return h
    }

    /// The platform's one contact list, made outside the tenants (as a platform set-up does).
    func platformList(_ h: Harness) async throws {
        let made = await h.provider.apply(
            ApplyRequest(
                operation: .create, type: AWSResourceTypes.contactList,
                identity: ResourceIdentity(address: "platform/contacts", tenant: "platform", platform: "onboarding"), prior: nil,
                inputs: ["name": "platform-contacts", "topics": [["name": "news", "displayName": "News", "defaultSubscriptionStatus": "OPT_OUT"]]],
                clientToken: UUID().uuidString))
        #expect(made.diagnostics.isEmpty, "\(made.diagnostics)")
    }

    @Test func tenantsGetGroupsUsersRolesAndContactsAndLoseThemOnDestroy() async throws {
        let h = try fleet()
        try tenant(h, "acme")
        try tenant(h, "globex")
        try await platformList(h)
        #expect(try await !h.apply().failed)
        let cloud = try h.cloud()
        let user = try #require(cloud.first { $0.type == AWSResourceTypes.user && $0.id.hasSuffix("/admin") && $0.tags.isEmpty == false })
        #expect(user.attributes["groups"] == ["tenant"])
        #expect(user.attributes["sub"]?.stringValue?.count == 36)
        let role = try #require(cloud.first { $0.type == AWSResourceTypes.iamRole && $0.id == "acme-isolation" })
        #expect(role.attributes["arn"] == "arn:aws:iam::123456789012:role/acme-isolation")
        let condition = role.attributes["inlinePolicies"]?.at(["tenant-isolation", "Statement", "0", "Condition", "ForAllValues:StringEquals"])
        #expect(condition == ["dynamodb:LeadingKeys": ["acme"]], "the isolation policy names the tenant: \(String(describing: condition))")
        #expect(
            cloud.filter { $0.type == AWSResourceTypes.contact }.map(\.id).sorted() == [
                "platform-contacts/admin@acme.example", "platform-contacts/admin@globex.example",
            ])
        #expect(try await h.plan().isEmpty, "a second plan has nothing to do")

        // An attribute changes in place; the group cannot be renamed in place.
        try h.edit("blueprints/tenant.yaml") { $0.replacingOccurrences(of: "precedence: 1", with: "precedence: 5") }
        let plan = try await h.plan(PlanOptions(tenants: ["acme"]))
        #expect(plan.tenants.flatMap(\.changes).map { "\($0.name) \($0.action.rawValue)" } == ["admins update"])

        // Destroy removes every resource of the tenant and leaves the platform's list.
        try await h.apply(PlanOptions(tenants: ["globex"], destroy: ["globex"]))
        let left = try h.cloud()
        #expect(!left.contains { $0.tags[LandlordTag.tenant] == "globex" || $0.id.contains("globex") }, "\(left.map(\.id))")
        #expect(left.contains { $0.type == AWSResourceTypes.contactList && $0.id == "platform-contacts" })
    }

    static let listPerTenant = """
        apiVersion: landlord/v1
        kind: Blueprint
        name: lists
        parameters:
          adminEmail: {type: string}
        resources:
          contacts:
            type: aws.sesv2_contact_list
            properties: {name: "${tenant.id}-contacts", description: "one list per tenant: SES allows one per account"}
        """

    @Test func aSecondContactListIsRefusedAtPlanTimeWithTheRemedy() async throws {
        let h = try fleet(blueprint: Self.listPerTenant, name: "lists")
        try tenant(h, "acme", blueprint: "lists")
        // One list fits the account.
        #expect(try await !h.apply().failed)

        try tenant(h, "globex", blueprint: "lists")
        try tenant(h, "initech", blueprint: "lists")
        // Part 2 of 2 (globex, initech) counts acme's list, recorded in part 1's state.
        for options in [PlanOptions(), PlanOptions(tenants: ["globex"]), PlanOptions(shard: Shard(index: 2, count: 2))] {
            let planAndDiags = try await h.workspace().plan(options)
            let plan = planAndDiags.plan
            let diags = planAndDiags.diagnostics
            #expect(plan == nil)
            #expect(diags.errors.count == 1, "\(diags.errors.map(\.summary))")
            let d = try #require(diags.errors.first)
            #expect(d.location?.file.hasSuffix("blueprints/lists.yaml") == true)
            #expect(d.location?.line == 7, "at the resource in the blueprint")
            #expect(d.summary.contains("quota of 1 SES contact lists per account"))
            #expect(d.summary.contains(options.tenants == nil ? "(globex, initech)" : "(globex)"))
            #expect(!d.summary.contains("outside Landlord"), "acme's list is counted as recorded: \(d.summary)")
            #expect(d.detail.contains("keep one platform list") && d.detail.contains("aws.sesv2_contact"))
        }
        // Nothing was made for the refused plan.
        #expect(try h.cloud().filter { $0.type == AWSResourceTypes.contactList }.count == 1)

        // Destroying the tenant that holds the list frees the quota for another.
        try h.remove("tenants/initech.yaml")
        try await h.apply(PlanOptions(tenants: ["acme"], destroy: ["acme"]))
        #expect(try await !h.apply(PlanOptions(tenants: ["globex"])).failed)
    }

    @Test func aListMadeOutsideLandlordCountsAndTheMockRefusesASecondList() async throws {
        let h = try fleet(blueprint: Self.listPerTenant, name: "lists")
        try tenant(h, "acme", blueprint: "lists")
        try await platformList(h)
        // No state records the platform's list, but the provider lists it: one tenant list is
        // already one too many.
        let planAndDiags = try await h.workspace().plan(PlanOptions())
        let plan = planAndDiags.plan
        let diags = planAndDiags.diagnostics
        #expect(plan == nil)
        let d = try #require(diags.errors.first)
        #expect(diags.errors.count == 1, "\(diags.errors.map(\.summary))")
        #expect(d.summary.contains("1 existing, 1 of them made outside Landlord, 1 created") && d.summary.contains("(acme)"), "\(d.summary)")
        #expect(d.detail.contains("keep one platform list"))

        // The simulated SES holds one list whoever asks (here, past the planner).
        let second = await h.provider.apply(
            ApplyRequest(
                operation: .create, type: AWSResourceTypes.contactList,
                identity: ResourceIdentity(address: "acme/contacts", tenant: "acme", platform: "onboarding"), prior: nil,
                inputs: ["name": "acme-contacts"], clientToken: UUID().uuidString))
        #expect(second.resource == nil)
        #expect(second.diagnostics.first?.code == "LimitExceededException")
        #expect(second.diagnostics.first?.detail.contains("keep one platform list") == true)
    }
}
