import AWSClient
import AWSProvider
import AWSSchema
import Foundation
import LandlordTestSupport
import ProviderAPI
import Testing

extension MotoTests {
    @Suite struct Route53RecordTests {
        @Test func cnameCreateReadUpsertReplaceDeleteAndFindByKey() async throws {
            try await Moto.reset()
            let provider = Moto.provider()
            let zone = try await Fixtures(client: try Moto.client()).hostedZone("example.com")
            let t = Tenant()
            let inputs: [String: Value] = [
                "zoneId": .string(zone), "name": "acme.example.com", "type": "CNAME", "ttl": 300, "records": ["alb-1.us-east-1.elb.amazonaws.com"],
            ]
            let created = try await provider.applyOK(t.create(AWSResourceTypes.route53Record, "dns", inputs))
            #expect(created.id == "\(zone)_acme.example.com_CNAME")
            #expect(created.attributes["fqdn"] == "acme.example.com.")

            let read = try #require(await provider.readOne(created))
            #expect(read.attributes["records"] == ["alb-1.us-east-1.elb.amazonaws.com"])
            #expect(read.attributes["ttl"] == 300)

            var changed = inputs
            changed["ttl"] = 60
            changed["records"] = ["alb-2.us-east-1.elb.amazonaws.com"]
            let updated = try await provider.applyOK(t.update(created, "dns", changed))
            #expect(updated.id == created.id)
            let reread = try #require(await provider.readOne(updated))
            #expect(reread.attributes["ttl"] == 60)
            #expect(reread.attributes["records"] == ["alb-2.us-east-1.elb.amazonaws.com"])

            // Not taggable: found by its natural key, or by id.
            let found = await provider.importResources(
                ImportRequest(type: AWSResourceTypes.route53Record, identity: t.identity("dns"), inputs: inputs))
            #expect(found.resources.map(\.id) == [created.id])
            let byId = await provider.importResources(
                ImportRequest(type: AWSResourceTypes.route53Record, identity: t.identity("dns"), id: created.id))
            #expect(byId.resources.first?.attributes["records"] == ["alb-2.us-east-1.elb.amazonaws.com"])

            // Replace (the name forces it): delete the old record, create the new one.
            _ = try await provider.applyOK(t.delete(updated, "dns"))
            #expect(await provider.readOne(updated) == nil)
            var renamed = changed
            renamed["name"] = "acme2.example.com"
            let second = try await provider.applyOK(t.create(AWSResourceTypes.route53Record, "dns", renamed))
            #expect(second.id == "\(zone)_acme2.example.com_CNAME")
            _ = try await provider.applyOK(t.delete(second, "dns"))
            _ = try await provider.applyOK(t.delete(second, "dns"))
            #expect(await provider.readOne(second) == nil)
            let gone = await provider.importResources(
                ImportRequest(type: AWSResourceTypes.route53Record, identity: t.identity("dns"), inputs: renamed))
            #expect(gone.resources.isEmpty)
        }

        @Test func aliasARecord() async throws {
            try await Moto.reset()
            let provider = Moto.provider()
            let zone = try await Fixtures(client: try Moto.client()).hostedZone("example.org")
            let t = Tenant()
            let alias: Value = ["dnsName": "alb-1-123.us-east-1.elb.amazonaws.com.", "zoneId": "Z35SXDOTRQ7X7K", "evaluateTargetHealth": false]
            let inputs: [String: Value] = ["zoneId": .string(zone), "name": "www.example.org", "type": "A", "aliasTarget": alias]
            let created = try await provider.applyOK(t.create(AWSResourceTypes.route53Record, "alias", inputs))
            let read = try #require(await provider.readOne(created))
            #expect(read.attributes["aliasTarget"]?.mapValue?["dnsName"] == "alb-1-123.us-east-1.elb.amazonaws.com.")
            #expect(read.attributes["aliasTarget"]?.mapValue?["zoneId"] == "Z35SXDOTRQ7X7K")
            _ = try await provider.applyOK(t.delete(created, "alias"))
            #expect(await provider.readOne(created) == nil)
        }
    }
}
