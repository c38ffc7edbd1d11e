import AWSClient
import AWSProvider
import AWSSchema
import Foundation
import LandlordTestSupport
import ProviderAPI
import Testing

extension MotoTests {
    /// `landlord adopt`'s lookups against moto for the types found where they live: listener
    /// rules by host header on the pool's listeners (keeping their listener and priority), task
    /// definitions by family (the latest revision), services by cluster and name; each then
    /// tagged, and one tagged for another address reported with its owner.
    @Suite struct AdoptionLookupTests {
        /// A rule made outside Landlord (no tags): its ARN.
        func rule(_ client: AWSClient, listener: String, host: String, priority: Int, path: String? = nil, tg: String) async throws -> String {
            var p = [
                "ListenerArn": listener, "Priority": String(priority), "Conditions.member.1.Field": "host-header",
                "Conditions.member.1.HostHeaderConfig.Values.member.1": host, "Actions.member.1.Type": "forward",
                "Actions.member.1.TargetGroupArn": tg,
            ]
            if let path {
                p["Conditions.member.2.Field"] = "path-pattern"
                p["Conditions.member.2.PathPatternConfig.Values.member.1"] = path
            }
            let root = try await client.query(.elbv2, action: "CreateRule", p)
            return try #require(root.members("CreateRuleResult", "Rules").first?.string("RuleArn"))
        }

        func lookup(_ type: String, _ t: Tenant, _ name: String, key: [String: Value], inputs: [String: Value] = [:], pool: [String]? = nil)
            -> KeyLookup
        {
            KeyLookup(type: type, identity: t.identity(name), key: key, inputs: inputs, placements: pool.map { ["listener": $0] } ?? [:])
        }

        @Test func rulesAreFoundByHostOnThePoolsListenersAndKeepTheirPriority() async throws {
            try await Moto.reset()
            let provider = Moto.provider()
            let client = try Moto.client()
            let fixtures = Fixtures(client: client)
            let vpc = try await fixtures.vpc()
            let (l1, _) = try await fixtures.listener(vpc: vpc)
            let (l2, _) = try await fixtures.listener(vpc: try await fixtures.vpc())  // another load balancer
            let tg = try await fixtures.targetGroup(vpc: vpc, name: Moto.unique("tg"))
            let acme = try await rule(client, listener: l1, host: "acme.example.com", priority: 37, tg: tg)
            let globex = try await rule(client, listener: l2, host: "globex.example.com", priority: 5, tg: tg)
            // One host, two paths: the spec's path picks one.
            _ = try await rule(client, listener: l2, host: "initech.example.com", priority: 6, path: "/api/*", tg: tg)
            let web = try await rule(client, listener: l2, host: "initech.example.com", priority: 7, path: "/*", tg: tg)
            let t = Tenant()
            let type = AWSResourceTypes.listenerRule
            let lookups = [
                lookup(type, t, "acme", key: ["hostHeader": "ACME.example.com"], pool: [l1, l2]),
                lookup(type, t, "globex", key: ["hostHeader": "globex.example.com"], pool: [l1, l2]),
                lookup(type, t, "initech", key: ["hostHeader": "initech.example.com"], inputs: ["pathPattern": "/*"], pool: [l1, l2]),
                lookup(type, t, "nobody", key: ["hostHeader": "nobody.example.com"], pool: [l1, l2]),
                lookup(type, t, "elsewhere", key: ["hostHeader": "globex.example.com"], pool: [l1]),
            ]
            let found = await provider.lookUp(lookups)
            #expect(found.diagnostics.isEmpty, "\(found.diagnostics)")
            #expect(found.matches.map { $0.map(\.resource.id) } == [[acme], [globex], [web], [], []])
            let a = try #require(found.matches[0].first)
            #expect(a.owner == nil)
            #expect(a.resource.attributes["listener"] == .string(l1))
            #expect(a.resource.attributes["priority"] == 37)
            #expect(a.resource.attributes["targetGroupArn"] == .string(tg))
            #expect(found.matches[1].first?.resource.attributes["listener"] == .string(l2))
            // Two listeners described (every page) plus one DescribeTags for the matches.
            #expect(found.calls == 3, "\(found.calls)")

            #expect(await provider.tag(a.resource, identity: t.identity("acme")).isEmpty)
            let again = await provider.lookUp([lookups[0]])
            #expect(again.matches.first?.first?.owner == t.identity("acme").address)
            let theirs = await provider.tag(a.resource, identity: Tenant().identity("acme"))
            #expect(theirs.first?.summary.contains("is tagged for \(t.identity("acme").address)") == true, "\(theirs)")

            // A pool listener that does not exist fails the lookups of the type, saying which.
            let gone = l1.replacingOccurrences(of: l1.split(separator: "/").last!, with: "0000000000000000")
            let broken = await provider.lookUp([lookup(type, t, "acme", key: ["hostHeader": "acme.example.com"], pool: [gone])])
            #expect(broken.diagnostics.first?.severity == .error, "\(broken.diagnostics)")
        }

        @Test func taskDefinitionsByFamilyAndServicesByClusterAndName() async throws {
            try await Moto.reset()
            let provider = Moto.provider()
            let client = try Moto.client()
            let cluster = try await Fixtures(client: client).cluster(Moto.unique("cluster"))
            let family = Moto.unique("lambda-made")
            func register(_ image: String) async throws -> String {
                let body = """
                    {"family":"\(family)","cpu":"256","memory":"512","networkMode":"awsvpc","requiresCompatibilities":["FARGATE"],
                     "containerDefinitions":[{"name":"app","image":"\(image)","essential":true,
                     "portMappings":[{"containerPort":8080,"protocol":"tcp"}]}]}
                    """
                let data = try await client.json(.ecs, operation: "RegisterTaskDefinition", body: Data(body.utf8))
                return try #require(try JSON.parse(Array(data)).mapValue?["taskDefinition"]?.mapValue?["taskDefinitionArn"]?.stringValue)
            }
            _ = try await register("registry.example.com/app:1")
            let latest = try await register("registry.example.com/app:2")
            let service = Moto.unique("svc")
            let body = #"{"cluster":"\#(cluster)","serviceName":"\#(service)","taskDefinition":"\#(latest)","desiredCount":1,"launchType":"FARGATE"}"#
            _ = try await client.json(.ecs, operation: "CreateService", body: Data(body.utf8))

            let t = Tenant()
            let found = await provider.lookUp([
                lookup(AWSResourceTypes.taskDefinition, t, "task", key: ["family": .string(family)]),
                lookup(AWSResourceTypes.taskDefinition, t, "none", key: ["family": .string(family + "-none")]),
                lookup(AWSResourceTypes.ecsService, t, "svc", key: ["cluster": .string(cluster), "name": .string(service)]),
                lookup(AWSResourceTypes.ecsService, t, "other", key: ["cluster": .string(cluster), "name": "no-such-service"]),
            ])
            #expect(found.diagnostics.isEmpty, "\(found.diagnostics)")
            #expect(found.matches.map(\.count) == [1, 0, 1, 0])
            let task = try #require(found.matches[0].first)
            #expect(task.resource.id == latest, "the family's latest revision, not an ambiguity")
            #expect(task.resource.attributes["image"] == "registry.example.com/app:2")
            #expect(task.owner == nil)
            let svc = try #require(found.matches[2].first)
            #expect(svc.resource.attributes["taskDefinition"] == .string(latest))
            #expect(svc.resource.attributes["desiredCount"] == 1)

            #expect(await provider.tag(task.resource, identity: t.identity("task")).isEmpty)
            #expect(await provider.tag(svc.resource, identity: t.identity("svc")).isEmpty)
            let tagged = await provider.lookUp([
                lookup(AWSResourceTypes.taskDefinition, t, "task", key: ["family": .string(family)]),
                lookup(AWSResourceTypes.ecsService, t, "svc", key: ["cluster": .string(cluster), "name": .string(service)]),
            ])
            #expect(tagged.matches.map { $0.first?.owner } == [t.identity("task").address, t.identity("svc").address])
            let refused = await provider.tag(svc.resource, identity: Tenant().identity("svc"))
            #expect(refused.first?.summary.contains("is tagged for \(t.identity("svc").address)") == true, "\(refused)")
        }
    }
}
