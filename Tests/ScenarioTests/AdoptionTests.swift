import AWSSchema
import Foundation
import LandlordCore
import MockProvider
import ProviderAPI
import Testing

/// `landlord adopt` on the simulated cloud: tenants a sign-up Lambda made (untagged, unknown to
/// state) are found by natural key, adopted by a saved plan applied exactly, and then ordinary
/// tenants; what cannot be adopted safely is refused with state untouched.
@Suite struct AdoptionTests {
    /// Makes a tenant the way examples/migrate's sign-up Lambda did: every resource of the
    /// signup blueprint (its rule on the pool's listener), with no tags. `plan` is what the Lambda wrote in the tenant's record.
    static func signUp(_ h: Harness, _ id: String, plan: String = "free", poolCopies: Int = 1) async throws {
        let p = h.provider
        func make(_ type: String, _ inputs: [String: Value]) async throws -> ResourceObject {
            let identity = ResourceIdentity(address: "lambda/\(UUID().uuidString)", tenant: "lambda", platform: "lambda")
            let r = await p.apply(
                ApplyRequest(operation: .create, type: type, identity: identity, prior: nil, inputs: inputs, clientToken: UUID().uuidString))
            guard let obj = r.resource else { throw HarnessError("sign-up of \(id) failed: \(r.diagnostics)") }
            return obj
        }
        var pool = try await make(AWSResourceTypes.userPool, ["name": .string("\(id)-users")])
        for _ in 1..<max(1, poolCopies) { pool = try await make(AWSResourceTypes.userPool, ["name": .string("\(id)-users")]) }
        let client = try await make(AWSResourceTypes.userPoolClient, ["userPoolId": .string(pool.id), "name": .string("\(id)-web")])
        _ = try await make(
            AWSResourceTypes.identityPool,
            [
                "name": .string("\(id)_identities"), "allowUnauthenticated": false, "userPoolId": .string(pool.id),
                "clientId": .string(client.id),
            ])
        _ = try await make(
            AWSResourceTypes.userGroup, ["userPoolId": .string(pool.id), "name": "tenant", "description": "Tenant administrators"])
        _ = try await make(
            AWSResourceTypes.user,
            ["userPoolId": .string(pool.id), "username": "admin", "attributes": ["email": .string("admin@\(id).example")], "groups": ["tenant"]])
        _ = try await make(
            AWSResourceTypes.dynamoItem,
            ["table": "signup-tenants", "key": ["pk": .string("tenant#\(id)")], "item": ["plan": .string(plan), "status": "active"]])
        let tg = try await make(
            AWSResourceTypes.targetGroup,
            [
                "name": .string("t-\(id)-web"), "port": 8080, "protocol": "HTTP", "vpcId": "vpc-0migrate0example",
                "healthCheckPath": "/health",
            ])
        // The Lambda's rule at the next priority counting by 10 (10, 20, 30, ...).
        let taken = try p.cloud.transact { tx in tx.all(ofType: AWSResourceTypes.listenerRule).compactMap { $0.attributes["priority"]?.intValue } }
        _ = try await make(
            AWSResourceTypes.listenerRule,
            [
                "listener": .string(listener), "priority": .int((taken.max() ?? 0) + 10), "hostHeader": .string("\(id).tenants.example.com"),
                "targetGroupArn": .string(tg.id),
            ])
        _ = try await make(
            AWSResourceTypes.route53Record,
            [
                "zoneId": "Z0MIGRATE0EXAMPLE", "name": .string("\(id).tenants.example.com"), "type": "CNAME", "ttl": 300,
                "records": ["alb-signup-1.us-east-1.elb.amazonaws.com"],
            ])
        try p.cloud.transact { tx in
            for type in AWSResourceTypes.schema.resources.keys {
                for var r in tx.all(ofType: type) where r.tags[LandlordTag.platform] == "lambda" {
                    r.tags = [:]
                    tx.put(r)
                }
            }
        }
    }

    /// The listener of examples/migrate/platform.yaml's pool.
    static let listener = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/alb-signup-1/50dc6c495c0c9188/f2f7dc8efc522ab2"

    static func fleet() async throws -> Harness {
        let h = try Harness(example: "migrate")
        try await signUp(h, "acme", plan: "free")  // the spec says pro: an update after adoption
        try await signUp(h, "globex")
        try await signUp(h, "initech")
        return h
    }

    func lines(_ s: String, _ prefix: String) -> [Substring] { s.split(separator: "\n").filter { $0.contains(prefix) } }

    @Test func adoptsALambdaMadeFleetThenPlansCleanAndDestroysOneTenantExactly() async throws {
        let h = try await Self.fleet()
        let file = h.dir.appendingPathComponent("adopt.plan").path
        let run = try await CLI.run(["-C", h.dir.path, "adopt", "--out", file])
        #expect(run.code == 2, "\(run.stderr)")
        #expect(lines(run.stdout, "= adopt").count == 27)
        #expect(run.stdout.contains("= adopt aws.cognito_user_pool \"acme/users\" (us-east-1_"))
        #expect(run.stdout.contains("found by name \"acme-users\")"))
        #expect(run.stdout.contains("found by key {pk = \"tenant#acme\"}, table \"signup-tenants\")"))
        #expect(run.stdout.contains("~ update aws.dynamodb_item \"acme/record\" after adoption: item"))
        #expect(run.stdout.contains("~ tag aws.lb_target_group \"globex/web_tg\": + landlord tags"))
        #expect(!run.stdout.contains("replace aws."))
        #expect(run.stdout.contains("Adoption: 27 resources of 3 tenants to adopt, 12 to tag, 1 to update after adoption, 0 to replace."))
        #expect(try await h.store.listTenants().isEmpty, "adopt only plans")
        let shown = try await CLI.run(["-C", h.dir.path, "show", file])
        #expect(shown.stdout == run.stdout, "show renders a saved adoption plan as adopt printed it")

        let apply = try await CLI.run(["-C", h.dir.path, "apply", file])
        #expect(apply.code == 0, "\(apply.stderr)")
        #expect(try await h.plan().isEmpty)
        let cloud = try h.cloud()
        #expect(cloud.count == 27)
        // Each rule keeps the priority the Lambda gave it, and the platform state learns it.
        let allocations = try await h.store.loadPlatform().allocations
        #expect(allocations.mapValues { $0.numbers["web_rule"] ?? 0 } == ["acme": 10, "globex": 20, "initech": 30])
        #expect(Set(allocations.values.map(\.member)) == [Self.listener])
        let pools = cloud.filter { $0.type == AWSResourceTypes.userPool }
        #expect(Set(pools.map { $0.tags[LandlordTag.address] ?? "" }) == ["acme/users", "globex/users", "initech/users"])
        #expect(
            cloud.first { $0.type == AWSResourceTypes.dynamoItem && $0.id.contains("acme") }?.attributes["item"] == [
                "plan": "pro", "status": "active",
            ])
        // Nothing left to adopt: the second run says so and exits 0.
        let again = try await CLI.run(["-C", h.dir.path, "adopt"])
        #expect(again.code == 0, "\(again.stderr)")

        let destroy = try await CLI.run(["-C", h.dir.path, "destroy", "--tenant", "globex", "--auto-approve"])
        #expect(destroy.code == 0, "\(destroy.stderr)")
        let left = try h.cloud()
        #expect(left.count == 18)
        #expect(!left.contains { $0.id.contains("globex") || ($0.attributes["name"]?.stringValue ?? "").contains("globex") })
    }

    @Test func jsonAndMarkdownShowTheSameAdoptions() async throws {
        let h = try await Self.fleet()
        let json = try await CLI.run(["-C", h.dir.path, "adopt", "--tenant", "acme", "--format", "json"])
        #expect(json.code == 2, "\(json.stderr)")
        let doc = try JSON.parse(Array(json.stdout.utf8))
        let tenants = doc.mapValue?["tenants"]?.listValue ?? []
        #expect(tenants.count == 1)
        let adoptions = tenants.first?.mapValue?["adoptions"]?.listValue ?? []
        #expect(adoptions.count == 9)
        #expect(adoptions.first?.mapValue?["found_by"] == ["name": "acme-users"])
        let md = try await CLI.run(["-C", h.dir.path, "adopt", "--tenant", "acme", "--format", "markdown"])
        #expect(md.stdout.contains("| adopt | `aws.cognito_user_pool` `acme/users` |"))
    }

    /// What the state holds, to show a refusal left it as it was.
    func recordedTenants(_ h: Harness) async throws -> [String] { try await h.store.listTenants().sorted() }

    @Test func twoPoolsOfOneNameAreAmbiguousAndNothingOfTheTenantIsAdopted() async throws {
        let h = try Harness(example: "migrate")
        try await Self.signUp(h, "acme", poolCopies: 2)
        let file = h.dir.appendingPathComponent("adopt.plan").path
        let run = try await CLI.run(["-C", h.dir.path, "adopt", "--tenant", "acme", "--out", file])
        #expect(run.code == 1)
        #expect(run.stderr.contains("acme/users (aws.cognito_user_pool): 2 resources found by name \"acme-users\""))
        #expect(run.stderr.contains("rename or delete all but the one to adopt"))
        #expect(!FileManager.default.fileExists(atPath: file))
        #expect(try await recordedTenants(h).isEmpty)
    }

    @Test func anotherTenantsTaggedResourceIsNeverAdopted() async throws {
        let h = try await Self.fleet()
        try h.provider.cloud.transact { tx in
            var tg = tx.all(ofType: AWSResourceTypes.targetGroup).first { $0.attributes["name"] == "t-globex-web" }!
            tg.tags = ResourceIdentity(address: "initech/web_tg", tenant: "initech", platform: "signup").tags
            tx.put(tg)
        }
        let run = try await CLI.run(["-C", h.dir.path, "adopt", "--tenant", "globex"])
        #expect(run.code == 1)
        #expect(run.stderr.contains("globex/web_tg (aws.lb_target_group): the one found by name \"t-globex-web\""))
        #expect(run.stderr.contains("is tagged for initech/web_tg"))
        #expect(!run.stdout.contains("= adopt"))
        #expect(try await recordedTenants(h).isEmpty)
    }

    @Test func aMissingResourceLeavesItsTenantOutAndTheOthersIn() async throws {
        let h = try await Self.fleet()
        try h.provider.cloud.transact { tx in
            let r = tx.all(ofType: AWSResourceTypes.route53Record).first { $0.attributes["name"] == "initech.tenants.example.com" }!
            tx.delete(type: r.type, id: r.id)
        }
        let file = h.dir.appendingPathComponent("adopt.plan").path
        let run = try await CLI.run(["-C", h.dir.path, "adopt", "--out", file])
        #expect(run.code == 1)
        #expect(run.stderr.contains("initech/dns (aws.route53_record): nothing found by name \"initech.tenants.example.com\""))
        #expect(run.stderr.contains("1 tenant was left out"))
        #expect(lines(run.stdout, "= adopt").count == 18)
        #expect(!run.stdout.contains("initech"))
        #expect(try await recordedTenants(h).isEmpty)
        // The plan of the two that resolved applies; initech stays unadopted.
        #expect(try await CLI.run(["-C", h.dir.path, "apply", file]).code == 0)
        #expect(try await recordedTenants(h) == ["acme", "globex"])
    }

    @Test func aSavedAdoptionPlanIsRefusedOnceStateMoved() async throws {
        let h = try await Self.fleet()
        let file = h.dir.appendingPathComponent("adopt.plan").path
        #expect(try await CLI.run(["-C", h.dir.path, "adopt", "--tenant", "acme", "--out", file]).code == 2)
        #expect(try await CLI.run(["-C", h.dir.path, "adopt", "--tenant", "acme", "--out", file + "2"]).code == 2)
        #expect(try await CLI.run(["-C", h.dir.path, "apply", file]).code == 0)
        let stale = try await CLI.run(["-C", h.dir.path, "apply", file + "2"])
        #expect(stale.code == 1)
        #expect(stale.stderr.contains("plan again") || stale.stderr.contains("Plan again"))
    }

    /// A change after adoption that fails leaves what was adopted recorded and tagged: the next
    /// plan shows only what is left, and an ordinary apply finishes it.
    @Test func aFailedChangeAfterAdoptionKeepsTheAdoptionsAndIsFinishedByApply() async throws {
        let h = try await Self.fleet()
        let file = h.dir.appendingPathComponent("adopt.plan").path
        #expect(try await CLI.run(["-C", h.dir.path, "adopt", "--tenant", "acme", "--out", file]).code == 2)
        let failed = try await CLI.run(["-C", h.dir.path, "apply", file], env: ["LANDLORD_MOCK_FAIL_MATCH": "acme/record"])
        #expect(failed.code == 1)
        let recorded = try await h.recorded()
        #expect(recorded.keys.filter { $0.hasPrefix("acme/") }.count == 9, "every adoption was recorded before the change ran")
        #expect(
            try h.cloud().first { $0.type == AWSResourceTypes.userPool && $0.attributes["name"] == "acme-users" }?.tags[LandlordTag.address]
                == "acme/users")
        let plan = try await h.plan(PlanOptions(tenants: ["acme"]))
        #expect(plan.tenants.first?.changes.map(\.address) == ["acme/record"])
        #expect(try await CLI.run(["-C", h.dir.path, "apply", "--auto-approve", "--tenant", "acme"]).code == 0)
        #expect(try await h.plan(PlanOptions(tenants: ["acme"])).isEmpty)
    }
}
