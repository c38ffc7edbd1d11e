import AWSClient
import AWSProvider
import AWSSchema
import Foundation
import LandlordTestSupport
import ProviderAPI
import Testing

extension MotoTests {
    @Suite struct TargetGroupTests {
        @Test func createReadUpdateReplaceDelete() async throws {
            try await Moto.reset()
            let provider = Moto.provider()
            let fixtures = Fixtures(client: try Moto.client())
            let vpc = try await fixtures.vpc()
            let t = Tenant()
            let name = "t-\(t.id)-be"
            let inputs: [String: Value] = [
                "name": .string(name), "port": 8080, "protocol": "HTTP", "vpcId": .string(vpc), "healthCheckPath": "/health",
            ]

            let created = try await provider.applyOK(t.create(AWSResourceTypes.targetGroup, "backend_tg", inputs))
            #expect(created.id.hasPrefix("arn:aws:elasticloadbalancing:us-east-1:"))
            #expect(created.attributes["arn"] == .string(created.id))
            #expect(created.attributes["name"] == .string(name))
            #expect(created.attributes["healthCheckPath"] == "/health")

            let read = try #require(await provider.readOne(created))
            #expect(read.attributes["port"] == 8080)
            #expect(read.attributes["vpcId"] == .string(vpc))
            #expect(read.attributes["healthCheckPath"] == "/health")
            #expect(read.attributes["targetType"] == nil, "an optional input the spec never set is not reported")

            var changed = inputs
            changed["healthCheckPath"] = "/ready"
            let updated = try await provider.applyOK(t.update(created, "backend_tg", changed))
            #expect(updated.id == created.id, "healthCheckPath changes in place")
            #expect(await provider.readOne(updated)?.attributes["healthCheckPath"] == "/ready")

            // Replacement (port forces it): the engine deletes, then creates.
            _ = try await provider.applyOK(t.delete(updated, "backend_tg"))
            #expect(await provider.readOne(updated) == nil)
            var replaced = changed
            replaced["port"] = 9090
            let second = try await provider.applyOK(t.create(AWSResourceTypes.targetGroup, "backend_tg", replaced))
            #expect(second.id != created.id)
            #expect(await provider.readOne(second)?.attributes["port"] == 9090)

            _ = try await provider.applyOK(t.delete(second, "backend_tg"))
            #expect(await provider.readOne(second) == nil)
            // Deleting what is already gone succeeds.
            _ = try await provider.applyOK(t.delete(second, "backend_tg"))
        }

        @Test func healthCheckPathChangedBehindLandlordShowsAsDrift() async throws {
            try await Moto.reset()
            let provider = Moto.provider()
            let client = try Moto.client()
            let vpc = try await Fixtures(client: client).vpc()
            let t = Tenant()
            let created = try await provider.applyOK(
                t.create(
                    AWSResourceTypes.targetGroup, "tg",
                    [
                        "name": .string("t-\(t.id)"), "port": 80, "protocol": "HTTP", "vpcId": .string(vpc), "healthCheckPath": "/health",
                    ]))
            _ = try await client.query(.elbv2, action: "ModifyTargetGroup", ["TargetGroupArn": created.id, "HealthCheckPath": "/changed-by-hand"])
            let read = try #require(await provider.readOne(created))
            #expect(read.attributes["healthCheckPath"] == "/changed-by-hand")
            #expect(read.attributes["healthCheckPath"] != created.attributes["healthCheckPath"])
        }

        @Test func unrecordedTargetGroupIsFoundByTagNotCreatedTwice() async throws {
            try await Moto.reset()
            let provider = Moto.provider()
            let vpc = try await Fixtures(client: try Moto.client()).vpc()
            let t = Tenant()
            let inputs: [String: Value] = ["name": .string("t-\(t.id)"), "port": 80, "protocol": "HTTP", "vpcId": .string(vpc)]
            // An apply that crashed after the create, before recording it.
            let lost = try await provider.applyOK(t.create(AWSResourceTypes.targetGroup, "tg", inputs))

            let found = await provider.importResources(ImportRequest(type: AWSResourceTypes.targetGroup, identity: t.identity("tg"), inputs: inputs))
            #expect(found.diagnostics.isEmpty)
            #expect(found.resources.map(\.id) == [lost.id])
            // Without the name hint, every group is checked by tag.
            let scanned = await provider.importResources(ImportRequest(type: AWSResourceTypes.targetGroup, identity: t.identity("tg")))
            #expect(scanned.resources.map(\.id) == [lost.id])
            // Another address does not match, and import by id adopts it.
            let other = await provider.importResources(
                ImportRequest(type: AWSResourceTypes.targetGroup, identity: t.identity("other"), inputs: inputs))
            #expect(other.resources.isEmpty)
            let byId = await provider.importResources(ImportRequest(type: AWSResourceTypes.targetGroup, identity: t.identity("tg"), id: lost.id))
            #expect(byId.resources.first?.attributes["name"] == inputs["name"])

            let groups = try await Moto.client().query(.elbv2, action: "DescribeTargetGroups", [:]).members(
                "DescribeTargetGroupsResult", "TargetGroups")
            #expect(groups.count == 1, "found, not created twice")
        }

        @Test func invalidInputIsADiagnosticNotACall() async throws {
            let provider = Moto.provider()
            let t = Tenant()
            let response = await provider.apply(
                t.create(
                    AWSResourceTypes.targetGroup, "tg",
                    [
                        "name": .string(String(repeating: "x", count: 40)), "port": 80, "protocol": "HTTP", "vpcId": "vpc-1",
                    ]))
            #expect(response.resource == nil)
            #expect(response.diagnostics.first?.attribute == "name")
            #expect(response.diagnostics.first?.detail.contains("fix it in the blueprint") == true)
        }
    }

    @Suite struct ListenerRuleTests {
        @Test func createReadUpdateReplaceDeleteAndImport() async throws {
            try await Moto.reset()
            let provider = Moto.provider()
            let fixtures = Fixtures(client: try Moto.client())
            let vpc = try await fixtures.vpc()
            let listener = try await fixtures.listener(vpc: vpc)
            let tg1 = try await fixtures.targetGroup(vpc: vpc, name: Moto.unique("tg1"))
            let tg2 = try await fixtures.targetGroup(vpc: vpc, name: Moto.unique("tg2"))
            let t = Tenant()
            let inputs: [String: Value] = [
                "listener": .string(listener.arn), "priority": 10, "hostHeader": "acme.example.com", "targetGroupArn": .string(tg1),
                "listenerDnsName": .string(listener.dnsName),
            ]
            let created = try await provider.applyOK(t.create(AWSResourceTypes.listenerRule, "rule", inputs))
            #expect(created.id.contains(":listener-rule/"))
            #expect(created.attributes["listenerDnsName"] == .string(listener.dnsName))

            let read = try #require(await provider.readOne(created))
            #expect(read.attributes["priority"] == 10)
            #expect(read.attributes["hostHeader"] == "acme.example.com")
            #expect(read.attributes["targetGroupArn"] == .string(tg1))
            #expect(read.attributes["listener"] == .string(listener.arn))
            #expect(read.attributes["listenerDnsName"] == .string(listener.dnsName), "informational input is kept")

            // Priority in place (SetRulePriorities), then target and path (ModifyRule).
            var moved = inputs
            moved["priority"] = 20
            let reprioritised = try await provider.applyOK(t.update(created, "rule", moved))
            #expect(reprioritised.id == created.id)
            #expect(await provider.readOne(reprioritised)?.attributes["priority"] == 20)
            var retargeted = moved
            retargeted["targetGroupArn"] = .string(tg2)
            retargeted["pathPattern"] = "/api/*"
            let modified = try await provider.applyOK(t.update(reprioritised, "rule", retargeted))
            let afterModify = try #require(await provider.readOne(modified))
            #expect(afterModify.attributes["targetGroupArn"] == .string(tg2))
            #expect(afterModify.attributes["pathPattern"] == "/api/*")

            // Found by tag after a "crash", and only for its own address.
            let found = await provider.importResources(
                ImportRequest(type: AWSResourceTypes.listenerRule, identity: t.identity("rule"), inputs: inputs))
            #expect(found.resources.map(\.id) == [created.id])
            let other = await provider.importResources(ImportRequest(type: AWSResourceTypes.listenerRule, identity: t.identity("x"), inputs: inputs))
            #expect(other.resources.isEmpty)
            var auto = inputs
            auto["listener"] = "auto"
            let scanned = await provider.importResources(
                ImportRequest(type: AWSResourceTypes.listenerRule, identity: t.identity("rule"), inputs: auto))
            #expect(scanned.resources.map(\.id) == [created.id], "found on the pool's listeners before `auto` is resolved")

            // Replace: delete, then create again.
            _ = try await provider.applyOK(t.delete(modified, "rule"))
            #expect(await provider.readOne(modified) == nil)
            let again = try await provider.applyOK(t.create(AWSResourceTypes.listenerRule, "rule", retargeted))
            #expect(again.id != created.id)
            _ = try await provider.applyOK(t.delete(again, "rule"))
            _ = try await provider.applyOK(t.delete(again, "rule"))
            #expect(await provider.readOne(again) == nil)
        }

        @Test func priorityTakenIsAnActionableDiagnostic() async throws {
            try await Moto.reset()
            let provider = Moto.provider()
            let fixtures = Fixtures(client: try Moto.client())
            let vpc = try await fixtures.vpc()
            let listener = try await fixtures.listener(vpc: vpc)
            let tg = try await fixtures.targetGroup(vpc: vpc, name: Moto.unique("tg"))
            let t = Tenant()
            let inputs: [String: Value] = [
                "listener": .string(listener.arn), "priority": 5, "hostHeader": "a.example.com", "targetGroupArn": .string(tg),
            ]
            _ = try await provider.applyOK(t.create(AWSResourceTypes.listenerRule, "a", inputs))
            var clash = inputs
            clash["hostHeader"] = "b.example.com"
            let response = await provider.apply(t.create(AWSResourceTypes.listenerRule, "b", clash))
            #expect(response.resource == nil)
            let d = try #require(response.diagnostics.first)
            #expect(d.code == "PriorityInUse")
            #expect(d.detail.contains("priority: auto"))
            #expect(!d.retryable)
        }
    }
}
