import AWSClient
import AWSProvider
import AWSSchema
import Foundation
import LandlordTestSupport
import ProviderAPI
import Testing

extension MotoTests {
    /// Refresh by listing against moto: three tenants of every `aws.*` type read with list and
    /// batch calls (one call per group where AWS has one), answering what reading each resource
    /// on its own answers, and drift made outside Landlord found for every type.
    @Suite struct RefreshByListingTests {
        /// One tenant's recorded resources, by name.
        typealias Recorded = [String: ResourceObject]

        func makeTenant(
            _ provider: AWSProvider, _ i: Int, vpc: String, listener: (arn: String, dnsName: String), zone: String, cluster: String, table: String
        )
            async throws -> Recorded
        {
            let t = Tenant()
            var r: Recorded = [:]
            r["tg"] = try await provider.applyOK(
                t.create(
                    AWSResourceTypes.targetGroup, "tg",
                    ["name": .string("tg-\(t.id)"), "port": 8080, "protocol": "HTTP", "vpcId": .string(vpc), "healthCheckPath": "/health"]))
            r["rule"] = try await provider.applyOK(
                t.create(
                    AWSResourceTypes.listenerRule, "rule",
                    [
                        "listener": .string(listener.arn), "priority": .int(100 + i), "hostHeader": .string("\(t.id).example.com"),
                        "targetGroupArn": r["tg"]!.attributes["arn"]!,
                    ]))
            r["dns"] = try await provider.applyOK(
                t.create(
                    AWSResourceTypes.route53Record, "dns",
                    [
                        "zoneId": .string(zone), "name": .string("\(t.id).example.com"), "type": "CNAME", "ttl": 300,
                        "records": [.string(listener.dnsName)],
                    ]))
            r["task"] = try await provider.applyOK(
                t.create(
                    AWSResourceTypes.taskDefinition, "task",
                    ["family": .string("t-\(t.id)"), "image": "registry.example.com/backend:1.0", "cpu": 256, "memory": 512, "containerPort": 8080]))
            r["service"] = try await provider.applyOK(
                t.create(
                    AWSResourceTypes.ecsService, "service",
                    ["cluster": .string(cluster), "taskDefinition": .string(r["task"]!.id), "desiredCount": 1, "launchType": "FARGATE"]))
            r["pool"] = try await provider.applyOK(t.create(AWSResourceTypes.userPool, "pool", ["name": .string("\(t.id)-users")]))
            r["client"] = try await provider.applyOK(
                t.create(
                    AWSResourceTypes.userPoolClient, "client",
                    [
                        "userPoolId": .string(r["pool"]!.id), "name": .string("\(t.id)-web"), "generateSecret": false,
                        "callbackUrls": [.string("https://\(t.id).example.com/callback")],
                    ]))
            r["identity"] = try await provider.applyOK(
                t.create(
                    AWSResourceTypes.identityPool, "identity",
                    [
                        "name": .string("\(t.id.replacingOccurrences(of: "-", with: "_"))_ids"), "allowUnauthenticated": false,
                        "userPoolId": .string(r["pool"]!.id), "clientId": .string(r["client"]!.id),
                    ]))
            r["record"] = try await provider.applyOK(
                t.create(
                    AWSResourceTypes.dynamoItem, "record",
                    ["table": .string(table), "key": ["pk": .string("tenant#\(t.id)")], "item": ["tier": "basic", "status": "active"]]))
            return r
        }

        /// Reads `resources` as the engine's refresh does (grouped by the provider's key, the
        /// rest one by one) and returns them in order with the requests sent per operation.
        func listRead(_ provider: AWSProvider, _ resources: [ResourceObject]) async -> (found: [ResourceObject?], calls: [APIOperation: Int]) {
            let before = provider.apiCallCounts()
            var groups: [String: [Int]] = [:]
            var single: [Int] = []
            for (i, r) in resources.enumerated() {
                if let g = provider.readGroup(for: r) { groups[g, default: []].append(i) } else { single.append(i) }
            }
            var found = [ResourceObject?](repeating: nil, count: resources.count)
            for (group, indexes) in groups {
                let response = await provider.readMany(group: group, resources: indexes.map { resources[$0] })
                #expect(response.diagnostics.isEmpty, "\(group): \(response.diagnostics)")
                for (k, i) in indexes.enumerated() { found[i] = response.resources[k] }
            }
            let response = await provider.read(ReadRequest(resources: single.map { resources[$0] }))
            #expect(response.diagnostics.isEmpty, "\(response.diagnostics)")
            for (k, i) in single.enumerated() { found[i] = response.resources[k] }
            var calls: [APIOperation: Int] = [:]
            for (op, n) in provider.apiCallCounts() where n > before[op] ?? 0 { calls[op] = n - (before[op] ?? 0) }
            return (found, calls)
        }

        /// Reads `recorded` as `listRead` does and each on its own, expects the two to answer
        /// alike (in what a listing sees), and returns the list read.
        func listReadMatchingSingleReads(
            _ provider: AWSProvider, _ recorded: [ResourceObject], sourceLocation: SourceLocation = #_sourceLocation
        ) async -> (found: [ResourceObject?], calls: [APIOperation: Int]) {
            let listed = await listRead(provider, recorded)
            let single = await provider.read(ReadRequest(resources: recorded))
            #expect(single.diagnostics.isEmpty, "\(single.diagnostics)", sourceLocation: sourceLocation)
            for (i, r) in recorded.enumerated() {
                #expect(listed.found[i] != nil, "\(r.type) \(r.id) not found by the list read", sourceLocation: sourceLocation)
                #expect(
                    seen(listed.found[i]) == seen(single.resources[i]), "\(r.type): list read differs from a single read",
                    sourceLocation: sourceLocation)
            }
            return listed
        }

        /// The attributes a listing sees for a type (all, less those AWS does not list).
        func seen(_ r: ResourceObject?) -> [String: Value]? {
            guard let r else { return nil }
            let unseen = Set(AWSListReads.unseenByListing[r.type] ?? [])
            return r.attributes.filter { !unseen.contains($0.key) }.mapValues(\.revealed)
        }

        @Test func listReadsMatchSingleReadsInFewCallsAndSeeDriftOfEveryType() async throws {
            try await Moto.reset()
            let provider = Moto.provider()
            let client = try Moto.client()
            let fixtures = Fixtures(client: client)
            let vpc = try await fixtures.vpc()
            let listener = try await fixtures.listener(vpc: vpc)
            let zone = try await fixtures.hostedZone("example.com")
            let cluster = try await fixtures.cluster(Moto.unique("cluster"))
            let table = try await fixtures.table(Moto.unique("tenants"))
            var tenants: [Recorded] = []
            for i in 0..<3 {
                tenants.append(try await makeTenant(provider, i, vpc: vpc, listener: listener, zone: zone, cluster: cluster, table: table))
            }
            let names = tenants[0].keys.sorted()
            let recorded = tenants.flatMap { t in names.map { t[$0]! } }

            // Nothing changed: the list reads answer what single reads answer, in 11 requests
            // for 27 resources (one per group; a describe per app client, which AWS lists
            // without their settings).
            let listed = await listReadMatchingSingleReads(provider, recorded)
            let expected: [APIOperation: Int] = [
                APIOperation(api: "route53", operation: "ListResourceRecordSets"): 1,
                APIOperation(api: "elasticloadbalancing", operation: "DescribeRules"): 1,
                APIOperation(api: "elasticloadbalancing", operation: "DescribeTargetGroups"): 1,
                APIOperation(api: "ecs", operation: "DescribeServices"): 1,
                APIOperation(api: "ecs", operation: "ListTaskDefinitions"): 1,
                APIOperation(api: "cognito-idp", operation: "ListUserPools"): 1,
                APIOperation(api: "cognito-idp", operation: "DescribeUserPoolClient"): 3,
                APIOperation(api: "cognito-identity", operation: "ListIdentityPools"): 1,
                APIOperation(api: "dynamodb", operation: "BatchGetItem"): 1,
            ]
            #expect(listed.calls == expected)

            // Drift made outside Landlord, one change per type (tenant 0; its identity pool and
            // tenant 2's user pool and task definition are deleted).
            let t0 = tenants[0]
            _ = try await client.query(.elbv2, action: "ModifyTargetGroup", ["TargetGroupArn": t0["tg"]!.id, "HealthCheckPath": "/drifted"])
            _ = try await client.query(
                .elbv2, action: "SetRulePriorities", ["RulePriorities.member.1.RuleArn": t0["rule"]!.id, "RulePriorities.member.1.Priority": "900"])
            let fqdn = t0["dns"]!.attributes["fqdn"]!.stringValue!
            let upsert =
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ChangeResourceRecordSetsRequest xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">"
                + "<ChangeBatch><Changes><Change><Action>UPSERT</Action><ResourceRecordSet><Name>\(fqdn)</Name>"
                + "<Type>CNAME</Type><TTL>60</TTL><ResourceRecords><ResourceRecord><Value>elsewhere.example.net</Value></ResourceRecord>"
                + "</ResourceRecords></ResourceRecordSet></Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>"
            _ = try await client.restXML(
                .route53, operation: "ChangeResourceRecordSets", method: "POST", path: "/2013-04-01/hostedzone/\(zone)/rrset", body: upsert)
            _ = try await client.json(
                .ecs, operation: "UpdateService",
                body: Data(JSON.serialize(["cluster": .string(cluster), "service": t0["service"]!.attributes["name"]!, "desiredCount": 2])))
            _ = try await client.json(
                .ecs, operation: "DeregisterTaskDefinition", body: Data(JSON.serialize(["taskDefinition": .string(tenants[2]["task"]!.id)])))
            _ = try await client.json(
                .cognitoIdentityProvider, operation: "UpdateUserPoolClient",
                body: Data(
                    JSON.serialize([
                        "UserPoolId": .string(t0["pool"]!.id), "ClientId": .string(t0["client"]!.id), "ClientName": t0["client"]!.attributes["name"]!,
                        "CallbackURLs": ["https://evil.example.net/callback"],
                    ])))
            // (moto keeps an identity pool's name on UpdateIdentityPool, so the listed name
            // cannot be drifted there: the pool is deleted instead.)
            _ = try await client.json(
                .cognitoIdentity, operation: "DeleteIdentityPool", body: Data(JSON.serialize(["IdentityPoolId": .string(t0["identity"]!.id)])))
            _ = try await client.json(
                .cognitoIdentityProvider, operation: "DeleteUserPool", body: Data(JSON.serialize(["UserPoolId": .string(tenants[2]["pool"]!.id)])))
            _ = try await client.json(
                .dynamodb, operation: "PutItem",
                body: Data(
                    JSON.serialize([
                        "TableName": .string(table),
                        "Item": ["pk": ["S": t0["record"]!.attributes["key"]!.mapValue!["pk"]!], "tier": ["S": "premium"]],
                    ])))

            let after = await listRead(provider, recorded)
            func now(_ t: Int, _ name: String) -> ResourceObject? {
                after.found[t * names.count + names.firstIndex(of: name)!]
            }
            #expect(now(0, "tg")?.attributes["healthCheckPath"] == "/drifted")
            #expect(now(0, "rule")?.attributes["priority"] == 900)
            #expect(now(0, "dns")?.attributes["records"] == ["elsewhere.example.net"])
            #expect(now(0, "dns")?.attributes["ttl"] == 60)
            #expect(now(0, "service")?.attributes["desiredCount"] == 2)
            #expect(now(2, "task") == nil, "a deregistered task definition is gone")
            #expect(now(0, "task") != nil)
            #expect(now(0, "client")?.attributes["callbackUrls"] == ["https://evil.example.net/callback"])
            #expect(now(0, "identity") == nil, "a deleted identity pool is gone")
            #expect(now(2, "identity") != nil)
            #expect(now(2, "pool") == nil, "a deleted user pool is gone")
            #expect(now(0, "record")?.attributes["item"]?.mapValue?["tier"] == "premium")
            // The untouched tenant reads as before.
            for name in names { #expect(seen(now(1, name)) == seen(listed.found[names.count + names.firstIndex(of: name)!]), "\(name)") }
        }

        @Test func smallGroupsAreReadOneByOneAndGoneGroupsReadAsGone() async throws {
            try await Moto.reset()
            let provider = Moto.provider()
            let fixtures = Fixtures(client: try Moto.client())
            let zone = try await fixtures.hostedZone("example.org")
            let t = Tenant()
            let record = try await provider.applyOK(
                t.create(
                    AWSResourceTypes.route53Record, "dns",
                    ["zoneId": .string(zone), "name": "one.example.org", "type": "CNAME", "records": ["x.example.net"]]))
            // One record of a zone: one single read, not a listing of the whole zone.
            let one = await listRead(provider, [record])
            #expect(one.found.first??.attributes["records"] == ["x.example.net"])
            #expect(one.calls == [APIOperation(api: "route53", operation: "ListResourceRecordSets"): 1])
            // A zone of more than 300 records is listed page by page (Next* markers followed).
            let changes = (0..<320).map { i in
                "<Change><Action>CREATE</Action><ResourceRecordSet><Name>r\(i).example.org.</Name><Type>TXT</Type><TTL>60</TTL>"
                    + "<ResourceRecords><ResourceRecord><Value>\"v\(i)\"</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></Change>"
            }
            let batch =
                """
                <?xml version=\"1.0\" encoding=\"UTF-8\"?><ChangeResourceRecordSetsRequest \
                xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><ChangeBatch><Changes>
                """
                + changes.joined() + "</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>"
            _ = try await Moto.client().restXML(
                .route53, operation: "ChangeResourceRecordSets", method: "POST", path: "/2013-04-01/hostedzone/\(zone)/rrset", body: batch)
            var late = record
            late.attributes["name"] = "r319.example.org"
            late.attributes["type"] = "TXT"
            let paged = await listRead(provider, [record, record, late])
            #expect(paged.found[0]?.attributes["records"] == ["x.example.net"])
            #expect(paged.found[2]?.attributes["records"] == ["\"v319\""], "a record on the second page is found")
            #expect(paged.calls == [APIOperation(api: "route53", operation: "ListResourceRecordSets"): 2])
            // Records of a zone that no longer exists are gone, not an error.
            var elsewhere = record
            elsewhere.attributes["zoneId"] = "ZNOSUCHZONE123"
            let gone = await listRead(provider, [elsewhere, elsewhere, elsewhere])
            #expect(gone.found.allSatisfy { $0 == nil })
        }
    }
}
