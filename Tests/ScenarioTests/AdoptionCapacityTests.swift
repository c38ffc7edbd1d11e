import AWSSchema
import Foundation
import LandlordCore
import MockProvider
import ProviderAPI
import Testing

/// Shared capacity is taken as found: an adopted listener rule keeps its listener and priority,
/// which the platform state then records; a priority another tenant holds is a clash.
@Suite struct AdoptionCapacityTests {
    static let listener = AdoptionTests.listener

    static func fleet(_ tenants: [String]) throws -> Harness {
        let h = try Harness(example: "migrate")  // its platform.yaml has `listener` in its pool
        for f in ["acme", "globex", "initech"] { try h.remove("tenants/\(f).yaml") }
        try h.write(
            "blueprints/ruled.yaml",
            """
            apiVersion: landlord/v1
            kind: Blueprint
            name: ruled
            resources:
              tg:
                type: aws.lb_target_group
                properties: {name: "t-${tenant.id}-web", port: 8080, protocol: HTTP, vpcId: "${platform.vpcId}", healthCheckPath: /health}
              rule:
                type: aws.lb_listener_rule
                properties: {listener: auto, priority: auto, hostHeader: "${tenant.id}.${platform.domain}", targetGroupArn: "${tg.arn}"}

            """)
        for t in tenants { try h.write("tenants/\(t).yaml", "apiVersion: landlord/v1\nkind: Tenant\nid: \(t)\nblueprint: ruled\n") }
        return h
    }

    /// The sign-up Lambda's target group and rule at `priority`, untagged.
    static func signUp(_ h: Harness, _ id: String, priority: Int, on listener: String = listener) async throws {
        let p = h.provider
        let identity = ResourceIdentity(address: "lambda/\(id)", tenant: "lambda", platform: "lambda")
        func make(_ type: String, _ inputs: [String: Value]) async throws -> ResourceObject {
            let r = await p.apply(
                ApplyRequest(operation: .create, type: type, identity: identity, prior: nil, inputs: inputs, clientToken: UUID().uuidString))
            return try #require(r.resource, "\(r.diagnostics)")
        }
        let tg = try await make(
            AWSResourceTypes.targetGroup,
            ["name": .string("t-\(id)-web"), "port": 8080, "protocol": "HTTP", "vpcId": "vpc-0migrate0example", "healthCheckPath": "/health"])
        _ = try await make(
            AWSResourceTypes.listenerRule,
            [
                "listener": .string(listener), "priority": .int(priority), "hostHeader": .string("\(id).tenants.example.com"),
                "targetGroupArn": .string(tg.id),
            ])
        try p.cloud.transact { tx in
            for type in [AWSResourceTypes.targetGroup, AWSResourceTypes.listenerRule] {
                for var r in tx.all(ofType: type) where r.tags[LandlordTag.platform] == "lambda" {
                    r.tags = [:]
                    tx.put(r)
                }
            }
        }
    }

    @Test func anAdoptedRuleKeepsItsPriorityAndThePlatformStateLearnsIt() async throws {
        let h = try Self.fleet(["acme"])
        try await Self.signUp(h, "acme", priority: 737)
        let file = h.dir.appendingPathComponent("adopt.plan").path
        let run = try await CLI.run(["-C", h.dir.path, "adopt", "--out", file])
        #expect(run.code == 2, "\(run.stderr)")
        #expect(run.stdout.contains("= adopt aws.lb_listener_rule \"acme/rule\""))
        #expect(run.stdout.contains("found by hostHeader \"acme.tenants.example.com\")"))
        #expect(!run.stdout.contains("update aws.lb_listener_rule"), "the priority is kept")
        #expect(try await CLI.run(["-C", h.dir.path, "apply", file]).code == 0)
        let allocation = try await h.store.loadPlatform().allocations["acme"]
        #expect(allocation?.numbers["rule"] == 737, "\(String(describing: allocation))")
        #expect(try await h.plan().isEmpty)
    }

    @Test func aPriorityAnotherTenantHoldsIsAClash() async throws {
        let h = try Self.fleet(["globex"])
        try await h.apply()
        let held = try #require(try await h.store.loadPlatform().allocations["globex"]?.numbers["rule"])
        // globex's rule is deleted by hand; the Lambda made acme's at the priority globex holds.
        try h.provider.cloud.transact { tx in
            let r = tx.all(ofType: AWSResourceTypes.listenerRule).first { $0.tags[LandlordTag.tenant] == "globex" }!
            tx.delete(type: r.type, id: r.id)
        }
        try await Self.signUp(h, "acme", priority: held)
        try h.write("tenants/acme.yaml", "apiVersion: landlord/v1\nkind: Tenant\nid: acme\nblueprint: ruled\n")
        let run = try await CLI.run(["-C", h.dir.path, "adopt", "--tenant", "acme"])
        #expect(run.code == 1)
        #expect(run.stderr.contains("acme/rule (aws.lb_listener_rule): its priority \(held) clashes with another tenant's in the platform state"))
        #expect(try await h.store.loadTenant("acme") == nil)
    }

    /// A second listener in the pool, on another load balancer.
    static let second = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/alb-signup-2/60dc6c495c0c9188/a2f7dc8efc522ab2"

    @Test func aRuleOnAnotherListenerOfThePoolKeepsThatListenerAndItsDNSName() async throws {
        let h = try Self.fleet(["acme"])
        try h.edit("platform.yaml") {
            $0 + "    - arn: \(Self.second)\n      dnsName: alb-signup-2.us-east-1.elb.amazonaws.com\n"
        }
        try await Self.signUp(h, "acme", priority: 12, on: Self.second)
        let file = h.dir.appendingPathComponent("adopt.plan").path
        let run = try await CLI.run(["-C", h.dir.path, "adopt", "--out", file])
        #expect(run.code == 2, "\(run.stderr)")
        #expect(!run.stdout.contains("update aws.lb_listener_rule"), "\(run.stdout)")
        #expect(try await CLI.run(["-C", h.dir.path, "apply", file]).code == 0)
        let allocation = try await h.store.loadPlatform().allocations["acme"]
        #expect(allocation?.member == Self.second)
        #expect(allocation?.numbers["rule"] == 12)
        let rule = try await h.store.loadTenant("acme")?.resources["rule"]
        #expect(rule?.inputs["listenerDnsName"] == "alb-signup-2.us-east-1.elb.amazonaws.com", "the member's it was found on")
        #expect(try await h.plan().isEmpty)
    }

    @Test func aRuleOnAListenerOutsideThePoolIsNotFound() async throws {
        let h = try Self.fleet(["acme"])
        try await Self.signUp(h, "acme", priority: 12, on: Self.second)
        let run = try await CLI.run(["-C", h.dir.path, "adopt", "--tenant", "acme"])
        #expect(run.code == 1)
        #expect(run.stderr.contains(#"acme/rule (aws.lb_listener_rule): nothing found by hostHeader "acme.tenants.example.com""#), "\(run.stderr)")
        #expect(try await h.store.loadTenant("acme") == nil)
    }
}
