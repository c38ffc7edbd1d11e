import AWSClient
import AWSProvider
import AWSSchema
import Foundation
import LandlordTestSupport
import ProviderAPI
import Testing

/// Counts ChangeResourceRecordSets calls on their way to another transport.
final class CountingTransport: HTTPTransport, @unchecked Sendable {
    private let lock = NSLock()
    private let inner: HTTPTransport
    private var changeCalls = 0
    private var bodies: [String] = []

    init(_ inner: HTTPTransport) { self.inner = inner }

    /// ChangeResourceRecordSets requests sent (retries included).
    var changeBatches: Int { lock.withLock { changeCalls } }
    /// Their bodies, in order.
    var changeBodies: [String] { lock.withLock { bodies } }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        if request.method == "POST" && request.path.hasSuffix("/rrset") {
            lock.withLock {
                changeCalls += 1
                bodies.append(String(decoding: request.body, as: UTF8.self))
            }
        }
        return try await inner.send(request)
    }
}

let changeAccepted = xml(
    200,
    """
    <ChangeResourceRecordSetsResponse><ChangeInfo><Id>/change/C1</Id><Status>INSYNC</Status></ChangeInfo></ChangeResourceRecordSetsResponse>
    """)

func recordRequest(_ t: Tenant, _ name: String, zone: String, domain: String, value: String = "alb-1.us-east-1.elb.amazonaws.com") -> ApplyRequest {
    t.create(
        AWSResourceTypes.route53Record, name,
        [
            "zoneId": .string(zone), "name": .string("\(name).\(domain)"), "type": "CNAME", "ttl": 300, "records": [.string(value)],
        ])
}

@Suite struct Route53BatchLimitTests {
    let env = ["AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "us-east-1", "HOME": "/nonexistent"]

    func provider(_ transport: HTTPTransport) -> AWSProvider {
        AWSProvider(settings: ["region": "us-east-1"], environment: env, transport: transport, rateLimits: AWSRateLimits(rates: ["route53": 10_000]))
    }

    /// Which changes batch is the schema's: Route53 records by hosted zone, 1,000 a call.
    @Test func theSchemaDeclaresRoute53Batching() {
        let p = provider(ScriptedTransport([], then: changeAccepted))
        #expect(p.schema.resources[AWSResourceTypes.route53Record]?.batching == BatchRule(keyAttributes: ["zoneId"], maxSize: 1000))
        #expect(p.schema.resources.values.filter { $0.batching != nil }.map(\.type) == [AWSResourceTypes.route53Record])
    }

    /// 1,000 UPSERTs count 2,000 ResourceRecord elements: two calls of 500 (their values,
    /// 13 characters counted twice, stay under the character limit).
    @Test func upsertsCountTwiceAgainstTheElementLimit() async {
        let transport = CountingTransport(ScriptedTransport([], then: changeAccepted))
        let p = provider(transport)
        let t = Tenant()
        let requests = (0..<1000).map { i in
            let create = recordRequest(t, "r\(i)", zone: "Z1", domain: "example.com", value: "x.example.net")
            let prior = ResourceObject(type: create.type, id: "Z1_r\(i).example.com_CNAME", attributes: create.inputs)
            return t.update(prior, "r\(i)", create.inputs)
        }
        let responses = await p.applyBatch(requests)
        #expect(responses.allSatisfy { $0.diagnostics.isEmpty && $0.resource != nil })
        #expect(transport.changeBatches == 2)
        #expect(transport.changeBodies.map { $0.components(separatedBy: "<Action>UPSERT</Action>").count - 1 } == [500, 500])
    }

    /// 100 records with 400-character values: 40,000 characters, over the 32,000 allowed per call.
    @Test func longValuesSplitOnTheCharacterLimit() async {
        let transport = CountingTransport(ScriptedTransport([], then: changeAccepted))
        let p = provider(transport)
        let t = Tenant()
        let long = String(repeating: "a", count: 400)
        let responses = await p.applyBatch((0..<100).map { recordRequest(t, "r\($0)", zone: "Z1", domain: "example.com", value: long) })
        #expect(responses.allSatisfy { $0.diagnostics.isEmpty })
        #expect(transport.changeBatches == 2)  // 80 x 400 = 32,000, then 20
    }

    /// A PENDING change is polled with GetChange until INSYNC before the batch answers.
    @Test func waitsForInsync() async {
        let pending = xml(
            200,
            "<ChangeResourceRecordSetsResponse><ChangeInfo><Id>/change/C9</Id>"
                + "<Status>PENDING</Status></ChangeInfo></ChangeResourceRecordSetsResponse>"
        )
        let stillPending = xml(200, "<GetChangeResponse><ChangeInfo><Id>/change/C9</Id><Status>PENDING</Status></ChangeInfo></GetChangeResponse>")
        let insync = xml(200, "<GetChangeResponse><ChangeInfo><Id>/change/C9</Id><Status>INSYNC</Status></ChangeInfo></GetChangeResponse>")
        let transport = ScriptedTransport([.success(pending), .success(stillPending)], then: insync)
        let responses = await provider(transport).applyBatch([recordRequest(Tenant(), "a", zone: "Z1", domain: "example.com")])
        #expect(responses.first?.diagnostics.isEmpty == true)
        #expect(
            transport.requests.map { "\($0.method) \($0.path)" } == [
                "POST /2013-04-01/hostedzone/Z1/rrset", "GET /2013-04-01/change/C9", "GET /2013-04-01/change/C9",
            ])
    }

    /// A record applied alone (not batched) also waits for INSYNC, so its dependents never run
    /// against a name that does not resolve yet.
    @Test func aSingleRecordWaitsForInsyncToo() async {
        let pending = xml(
            200,
            "<ChangeResourceRecordSetsResponse><ChangeInfo><Id>/change/C7</Id>"
                + "<Status>PENDING</Status></ChangeInfo></ChangeResourceRecordSetsResponse>"
        )
        let insync = xml(200, "<GetChangeResponse><ChangeInfo><Id>/change/C7</Id><Status>INSYNC</Status></ChangeInfo></GetChangeResponse>")
        let transport = ScriptedTransport([.success(pending)], then: insync)
        let response = await provider(transport).apply(recordRequest(Tenant(), "a", zone: "Z1", domain: "example.com"))
        #expect(response.diagnostics.isEmpty, "\(response.diagnostics)")
        #expect(response.resource?.id == "Z1_a.example.com_CNAME")
        #expect(transport.requests.map { "\($0.method) \($0.path)" } == ["POST /2013-04-01/hostedzone/Z1/rrset", "GET /2013-04-01/change/C7"])
    }

    /// A refused batch is halved until the refused record is alone: 8 changes with one bad one
    /// take 1 + 2 + 2 + 2 = 7 calls; the bad record fails naming itself, the 7 others land.
    @Test func aRefusedBatchIsSplitToIsolateTheBadRecord() async throws {
        let refused = xml(
            400,
            """
            <ErrorResponse><Error><Code>InvalidChangeBatch</Code><Message>RRSet with DNS name r5.other.org. is \
            not permitted in zone example.com.</Message></Error></ErrorResponse>
            """
        )
        final class Refuser: HTTPTransport, @unchecked Sendable {
            let refused: HTTPResponse
            init(_ refused: HTTPResponse) { self.refused = refused }
            func send(_ request: HTTPRequest) async throws -> HTTPResponse {
                String(decoding: request.body, as: UTF8.self).contains("r5.other.org") ? refused : changeAccepted
            }
        }
        let transport = CountingTransport(Refuser(refused))
        let p = provider(transport)
        let t = Tenant()
        let requests = (0..<8).map { recordRequest(t, "r\($0)", zone: "Z1", domain: $0 == 5 ? "other.org" : "example.com") }
        let responses = await p.applyBatch(requests)
        #expect(transport.changeBatches == 7)
        for (i, response) in responses.enumerated() where i != 5 {
            #expect(response.diagnostics.isEmpty)
            #expect(response.resource?.id == "Z1_r\(i).example.com_CNAME")
        }
        try #require(responses.count == requests.count, "one response per request")
        let d = responses[5].diagnostics.first
        #expect(responses[5].resource == nil)
        #expect(d?.code == "InvalidChangeBatch")
        #expect(
            d?.detail.hasPrefix("record r5.other.org. CNAME: RRSet with DNS name r5.other.org. is not permitted") == true, "\(String(describing: d))")
    }
}

extension MotoTests {
    @Suite struct Route53BatchTests {
        func provider(_ transport: CountingTransport) -> AWSProvider {
            AWSProvider(
                settings: ["region": "us-east-1"], environment: Moto.environment, transport: transport,
                rateLimits: AWSRateLimits(rates: ["route53": 1000, "elbv2": 1000]))
        }

        func recordNames(_ zone: String) async throws -> Set<String> {
            let root = try await Moto.client().restXML(
                .route53, operation: "ListResourceRecordSets", method: "GET", path: "/2013-04-01/hostedzone/\(zone)/rrset",
                query: [("maxitems", "1000")]
            ).root
            return Set(
                root?.members("ResourceRecordSets", item: "ResourceRecordSet").filter { $0.string("Type") == "CNAME" }.compactMap {
                    $0.string("Name")
                } ?? [])
        }

        @Test func twoHundredRecordsInOneCall() async throws {
            try await Moto.reset()
            let zone = try await Fixtures(client: try Moto.client()).hostedZone("example.com")
            let transport = CountingTransport(CurlTransport())
            let provider = provider(transport)
            let t = Tenant()
            let requests = (0..<200).map { recordRequest(t, "t\($0)", zone: zone, domain: "example.com") }

            let created = await provider.applyBatch(requests)
            #expect(transport.changeBatches == 1)  // ceil(200 / 1000)
            #expect(created.count == 200)
            for (i, response) in created.enumerated() {
                #expect(response.diagnostics.isEmpty, "\(response.diagnostics)")
                #expect(response.resource?.id == "\(zone)_t\(i).example.com_CNAME")
                #expect(response.resource?.attributes["fqdn"] == .string("t\(i).example.com."))
            }
            #expect(try await recordNames(zone) == Set((0..<200).map { "t\($0).example.com." }))

            // The same records read back one at a time match what the batch returned.
            try #require(created.count == 200, "one response per request")
            let seventh = try #require(created[7].resource)
            let read = try #require(await provider.readOne(seventh))
            #expect(read.attributes["records"] == ["alb-1.us-east-1.elb.amazonaws.com"])

            // Deleting them is one call too, and leaves the zone without them.
            let deletes = created.enumerated().map { i, r in t.delete(r.resource!, "t\(i)") }
            let deleted = await provider.applyBatch(deletes)
            #expect(deleted.allSatisfy { $0.diagnostics.isEmpty && $0.resource == nil })
            #expect(transport.changeBatches == 2)
            #expect(try await recordNames(zone).isEmpty)
        }

        /// Moto refuses a record outside the zone's domain (InvalidChangeBatch), as Route53 does.
        /// Unlike Route53, moto is not transactional: it keeps the changes of a refused batch that
        /// come before the refused one. So the bad record goes first here, where moto and Route53
        /// agree (nothing of a refused batch lands).
        @Test func aBadRecordFailsAloneAndTheOthersLand() async throws {
            try await Moto.reset()
            let zone = try await Fixtures(client: try Moto.client()).hostedZone("example.com")
            let transport = CountingTransport(CurlTransport())
            let provider = provider(transport)
            let t = Tenant()
            var requests = (0..<8).map { recordRequest(t, "r\($0)", zone: zone, domain: $0 == 0 ? "other.org" : "example.com") }
            // A request of another type in the same call goes through the normal path.
            requests.append(t.create("aws.no_such_type", "odd", [:]))
            let responses = await provider.applyBatch(requests)
            #expect(transport.changeBatches == 7)  // 8 -> 4 + 4 -> (2 + 2) -> (1 + 1)
            try #require(responses.count == requests.count, "one response per request")
            let bad = try #require(responses[0].diagnostics.first)
            #expect(bad.code == "InvalidChangeBatch")
            #expect(bad.detail.contains("r0.other.org"), "\(bad)")
            #expect(bad.detail.contains("not permitted"), "\(bad)")
            #expect(responses[8].diagnostics.first?.summary.contains("no resource type 'aws.no_such_type'") == true)
            #expect(responses.indices.filter { responses[$0].diagnostics.isEmpty } == Array(1...7))
            #expect(try await recordNames(zone) == Set((1...7).map { "r\($0).example.com." }))
        }

        /// A delete whose recorded values no longer match (changed outside Landlord) is refused
        /// in the batch, then deleted alone with its current values.
        @Test func aDeleteOfAChangedRecordFallsBackToTheSingleRecordPath() async throws {
            try await Moto.reset()
            let zone = try await Fixtures(client: try Moto.client()).hostedZone("example.com")
            let transport = CountingTransport(CurlTransport())
            let provider = provider(transport)
            let t = Tenant()
            let created = await provider.applyBatch([
                recordRequest(t, "a", zone: zone, domain: "example.com"), recordRequest(t, "b", zone: zone, domain: "example.com"),
            ])
            try #require(created.count == 2, "one response per request")
            var drifted = try #require(created[0].resource)
            drifted.attributes["records"] = ["somewhere-else.example.net"]
            let deleted = await provider.applyBatch([t.delete(drifted, "a"), t.delete(try #require(created[1].resource), "b")])
            #expect(deleted.allSatisfy { $0.diagnostics.isEmpty }, "\(deleted.map(\.diagnostics))")
            // create both, refused pair, 'a' refused alone, 'b' alone, then 'a' by its current values.
            #expect(transport.changeBatches == 5)
            #expect(try await recordNames(zone).isEmpty)
        }
    }
}
