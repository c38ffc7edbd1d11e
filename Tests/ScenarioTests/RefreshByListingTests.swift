import Foundation
import LandlordCore
import MockProvider
import ProviderAPI
import Synchronization
import Testing

/// Refresh by listing through the engine with the mock provider: reads are grouped as the AWS
/// provider groups them, the plan's refresh reports its calls per API, and drift made outside
/// Landlord is still planned for every type.
@Suite struct RefreshByListingScenarioTests {
    /// Keeps the report the workspace hands its observer.
    final class Heard: RefreshObserver {
        let report = Mutex<RefreshReport?>(nil)
        func refreshed(_ r: RefreshReport) { report.withLock { $0 = r } }
    }

    func refreshingPlan(_ h: Harness, _ provider: MockProvider, _ options: PlanOptions = PlanOptions()) async throws -> (Plan, RefreshReport) {
        let heard = Heard()
        let planAndDiags = try await h.workspace(provider: provider).plan(options, refresh: true, observer: heard)
        let plan = planAndDiags.plan
        let diags = planAndDiags.diagnostics
        let report = try #require(heard.report.withLock { $0 })
        guard let plan else { throw HarnessError("plan failed: \(diags.errors.map(\.description))") }
        return (plan, report)
    }

    @Test func aRefreshCostsCallsPerGroupNotPerResource() async throws {
        let h = try Harness.withWebTenants(8)  // acme, globex, t1...t8: 140 resources
        try await h.apply()
        let provider = h.provider
        let (plan, report) = try await refreshingPlan(h, provider)
        #expect(plan.isEmpty)
        #expect(report.resources == 140)
        // 20 records in one zone, 20 rules on one listener, 20 target groups, 20 services
        // (10 a call), 20 task definitions, 10 user pools and identity pools, 10 items: one
        // list or batch call each; the 10 app clients are described one by one.
        let op = { (api: String, operation: String) in APIOperation(api: api, operation: operation) }
        #expect(
            report.calls == [
                op("route53", "ListResourceRecordSets"): 1, op("elasticloadbalancing", "DescribeRules"): 1,
                op("elasticloadbalancing", "DescribeTargetGroups"): 1, op("ecs", "DescribeServices"): 2, op("ecs", "ListTaskDefinitions"): 1,
                op("cognito-idp", "ListUserPools"): 1, op("cognito-idp", "DescribeUserPoolClient"): 10,
                op("cognito-identity", "ListIdentityPools"): 1, op("dynamodb", "BatchGetItem"): 1,
            ])
        #expect(report.totalCalls == 19)
        #expect(report.single == 10)

        // One tenant alone: its groups are small, so types that list a whole zone or region
        // are read one by one (2 records cost 2 calls, not a listing of the zone).
        let heard = Heard()
        _ = try await h.workspace(provider: provider).plan(PlanOptions(tenants: ["t1"]), refresh: true, observer: heard)
        let one = try #require(heard.report.withLock { $0 })
        #expect(one.resources == 14)
        #expect(one.calls[op("route53", "ListResourceRecordSets")] == 2)
        #expect(one.calls[op("ecs", "DescribeTaskDefinition")] == 2)
        #expect(one.calls[op("ecs", "DescribeServices")] == 1)

        // `--refresh=full`: every resource on its own, a call each.
        let fullHeard = Heard()
        _ = try await h.workspace(provider: provider).plan(PlanOptions(), refresh: true, listing: false, observer: fullHeard)
        let full = try #require(fullHeard.report.withLock { $0 })
        #expect(full.groups == 0)
        #expect(full.single == 140)
        #expect(full.totalCalls == 140)
        #expect(full.calls[op("cognito-idp", "DescribeUserPool")] == 10)
    }

    @Test func groupsUsersAndRolesAreCountedAsTheAWSProviderListsThem() async throws {
        // examples/aws has a tenant group, admin user (in the group), isolation role and SES
        // contact per tenant: per pool one ListGroups and one ListUsersInGroup, every role in
        // one GetAccountAuthorizationDetails page, every contact in one ListContacts, as the
        // AWS provider reads them against moto (scripts/bench-aws-refresh.sh).
        let h = try Harness(example: "aws")
        try h.addWebTenant("t3", subdomain: "ten3", image: "registry.example.com/backend:1.4.2")
        try await h.apply()
        let (plan, report) = try await refreshingPlan(h, h.provider)
        #expect(plan.isEmpty)
        let op = { (api: String, operation: String) in APIOperation(api: api, operation: operation) }
        #expect(report.calls[op("cognito-idp", "ListGroups")] == 3)
        #expect(report.calls[op("cognito-idp", "ListUsersInGroup")] == 3)
        #expect(report.calls[op("iam", "GetAccountAuthorizationDetails")] == 1)
        #expect(report.calls[op("ses", "ListContacts")] == 1)
        for (api, operation) in [
            ("cognito-idp", "GetGroup"), ("cognito-idp", "AdminGetUser"), ("cognito-idp", "AdminListGroupsForUser"), ("iam", "GetRole"),
            ("iam", "ListRolePolicies"), ("iam", "GetRolePolicy"), ("iam", "ListRoles"), ("ses", "GetContact"),
        ] {
            #expect(report.calls[op(api, operation)] == nil, "\(operation): listed instead")
        }

        // Drift on each: a group's precedence, a user's membership, a role's inline policy, a
        // contact's attributes; all planned. The pool whose user is in no group asks
        // AdminGetUser; the changed contact (its timestamp moved, at AWS) is asked GetContact.
        let recorded = try await h.recorded()
        try MockCloud(path: h.cloudPath).transact { tx in
            func change(_ address: String, _ edit: (inout MockResource) -> Void) throws {
                let r = try #require(recorded[address]).object
                var now = try #require(tx.get(type: r.type, id: r.id))
                edit(&now)
                tx.put(now)
            }
            try change("acme/admins") { $0.attributes["precedence"] = 9 }
            try change("globex/admin") { $0.attributes["groups"] = [] }
            try change("t3/isolation") { $0.attributes["inlinePolicies"] = ["tenant-isolation": ["Version": "2012-10-17", "Statement": []]] }
            try change("t3/contact") { $0.attributes["attributes"] = ["tenant": "someone-else", "tier": "premium"] }
        }
        let (drifted, after) = try await refreshingPlan(h, h.provider)
        let changes = Dictionary(drifted.tenants.flatMap(\.changes).map { ($0.address, $0) }) { a, _ in a }
        for address in ["acme/admins", "globex/admin", "t3/isolation", "t3/contact"] {
            #expect(changes[address] != nil && changes[address]?.action != .noop, "\(address): drift not planned")
        }
        #expect(after.calls[op("cognito-idp", "ListUsersInGroup")] == 3)
        #expect(after.calls[op("cognito-idp", "AdminGetUser")] == 1, "globex's admin is in no group")
        #expect(after.calls[op("ses", "ListContacts")] == 1)
        #expect(after.calls[op("ses", "GetContact")] == 1, "only the changed contact is read in full")
    }

    @Test func driftOfEveryTypeIsPlannedAfterAListingRefresh() async throws {
        let h = try Harness.withWebTenants(3)
        try await h.apply()
        let recorded = try await h.recorded()
        let drifted: [String: (inout MockResource) -> Void] = [
            "t1/backend_tg": { $0.attributes["healthCheckPath"] = "/changed-by-hand" },
            "t1/backend_rule": { $0.attributes["priority"] = 999 },
            "t1/api_dns": { $0.attributes["records"] = ["elsewhere.example.net"] },
            "t1/backend": { $0.attributes["desiredCount"] = 5 },
            "t1/users": { $0.attributes["name"] = "renamed-by-hand" },
            "t1/users_client": { $0.attributes["callbackUrls"] = ["https://evil.example.net/cb"] },
            "t1/identity": { $0.attributes["allowUnauthenticated"] = true },
            "t1/record": { $0.attributes["item"] = ["tier": "premium"] },
        ]
        let deleted = ["t2/backend_task", "t2/users"]
        try MockCloud(path: h.cloudPath).transact { tx in
            for (address, change) in drifted {
                let r = try #require(recorded[address]).object
                var now = try #require(tx.get(type: r.type, id: r.id))
                change(&now)
                tx.put(now)
            }
            for address in deleted {
                let r = try #require(recorded[address]).object
                tx.delete(type: r.type, id: r.id)
            }
        }
        // Every type of the fleet changed (or deleted) outside Landlord appears in a refreshing plan.
        let types = Set((drifted.keys + deleted).compactMap { recorded[$0]?.object.type })
        #expect(types == Set(recorded.values.map(\.object.type)))
        #expect(types.count == 9)
        // The pool renamed by hand must be replaced, and a user pool is data-bearing: the plan
        // is refused without --allow-protected-deletes, naming it.
        let refused = await #expect(throws: HarnessError.self) { try await refreshingPlan(h, h.provider) }
        #expect(refused?.description.contains("plan would replace data-bearing resource t1/users") == true, "\(String(describing: refused))")
        let (plan, report) = try await refreshingPlan(h, h.provider, PlanOptions(allowProtectedDeletes: true))
        #expect(report.groups > 0)
        let changes = Dictionary(plan.tenants.flatMap(\.changes).map { ($0.address, $0) }) { a, _ in a }
        for address in drifted.keys.sorted() + deleted {
            let change = changes[address]
            #expect(change != nil && change?.action != .noop, "\(address): drift not planned")
        }
        #expect(changes["t2/backend_task"]?.action == .create, "a deleted resource is created again")
        // Without a refresh, none of it is seen.
        #expect(try await h.plan(refresh: false).isEmpty)
    }
}
