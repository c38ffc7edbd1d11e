import AWSSchema
import Foundation
import LandlordCore
import MockProvider
import ProviderAPI
import Testing

/// Shared capacity: placement on a listener pool, rule priorities, Route53 batching, API rate
/// limits.
@Suite struct CapacityTests {
    static let listeners = (1...3).map { "arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/alb-\($0)/abc/def\($0)" }
    /// The listeners as platform.yaml's `listeners:` entries.
    static var listenerLines: String {
        listeners.enumerated().map { "    - {arn: \"\($0.element)\", dnsName: alb-\($0.offset + 1).elb.amazonaws.com}" }.joined(separator: "\n")
    }

    /// A fleet whose tenants each need 2 rules and 2 target groups, on a pool of 3 listeners
    /// (100 rules and 100 target groups each: 50 tenants per listener).
    func poolFleet(tenants: Int, blueprintExtra: String = "") throws -> Harness {
        let h = try Harness()
        try h.remove("tenants/acme.yaml")
        try h.remove("tenants/globex.yaml")
        try h.write(
            "platform.yaml",
            """
            apiVersion: landlord/v1
            kind: Platform
            name: pool
            provider: {aws: {region: us-east-1, use: mock}}
            inputs:
              vpcId: vpc-1
              domain: example.com
              zone: Z1
              listeners:
            \(Self.listenerLines)
            """)
        try h.write(
            "blueprints/web.yaml",
            """
            apiVersion: landlord/v1
            kind: Blueprint
            name: web
            resources:
              tg_a:
                type: aws.lb_target_group
                properties: {name: "a-${tenant.id}", port: 80, protocol: HTTP, vpcId: "${platform.vpcId}"}
              tg_b:
                type: aws.lb_target_group
                properties: {name: "b-${tenant.id}", port: 81, protocol: HTTP, vpcId: "${platform.vpcId}"}
              rule_a:
                type: aws.lb_listener_rule
                properties: {listener: auto, priority: auto, hostHeader: "a.${tenant.id}.${platform.domain}", targetGroupArn: "${tg_a.arn}"}
              rule_b:
                type: aws.lb_listener_rule
                properties: {listener: auto, priority: auto, hostHeader: "b.${tenant.id}.${platform.domain}", targetGroupArn: "${tg_b.arn}"}
            \(blueprintExtra)
            """)
        for i in 1...max(1, tenants) where tenants > 0 { try addTenant(h, i) }
        return h
    }

    func addTenant(_ h: Harness, _ i: Int) throws {
        try h.write(
            "tenants/t\(String(format: "%03d", i)).yaml", "apiVersion: landlord/v1\nkind: Tenant\nid: t\(String(format: "%03d", i))\nblueprint: web\n"
        )
    }

    @Test func placementFillsListenersInOrderAndTheFullPoolIsRefusedAtPlanTime() async throws {
        let h = try poolFleet(tenants: 120)
        let plan = try await h.plan()
        let placed = plan.tenants.map { $0.allocation?.member }
        #expect(placed.prefix(50).allSatisfy { $0 == Self.listeners[0] })
        #expect(placed.dropFirst(50).prefix(50).allSatisfy { $0 == Self.listeners[1] })
        #expect(placed.suffix(20).allSatisfy { $0 == Self.listeners[2] })
        // Priorities are unique per listener.
        for l in Self.listeners {
            let ps = plan.tenants.filter { $0.allocation?.member == l }.flatMap { $0.allocation!.numbers.values }
            #expect(Set(ps).count == ps.count)
        }
        #expect(try await !h.apply().failed)
        for i in 121...151 { try addTenant(h, i) }
        let noneAndDiags = try await h.workspace().plan(PlanOptions())
        let none = noneAndDiags.plan
        let diags = noneAndDiags.diagnostics
        #expect(none == nil)
        let full = try #require(diags.errors.first { $0.summary.contains("listener pool is full") })
        #expect(full.summary.contains("1 tenant(s) of blueprint 'web' do not fit (t151)"))
        #expect(full.detail.contains("each needs 2 rule(s) and 2 target group(s)"))
        #expect(full.detail.contains("room for 0 more"))
        #expect(full.detail.contains("Add a listener"))
        #expect(full.location?.file == "tenants/t151.yaml")
        // One cause, one error: the tenant that did not fit gets no second error of its own
        // (its `priority: auto` never allocated).
        #expect(diags.errors.count == 1, "only the pool-full error: \(diags.errors.map(\.summary))")
        // Nothing was applied for the refused plan.
        #expect(try h.cloud().count == 120 * 4)

        // status --capacity shows each listener's use.
        let status = try await CLI.run(["-C", h.dir.path, "status", "--capacity"])
        #expect(status.stdout.contains("50") && status.stdout.contains("100/100") && status.stdout.contains("40/100"), "\(status.stdout)")

        // Destroying a tenant frees its slot and its priorities for the next.
        let before = try await h.store.loadPlatform().allocations["t007"]
        try await h.apply(PlanOptions(tenants: ["t007"], destroy: ["t007"]))
        let next = try await h.plan(PlanOptions(tenants: ["t151"]))
        let alloc = try #require(next.tenants.first?.allocation)
        #expect(alloc.member == before?.member)
        #expect(Set(alloc.numbers.values) == Set(before.map { Array($0.numbers.values) } ?? []))
        #expect(try await !h.apply(PlanOptions(tenants: ["t151"])).failed)
    }

    @Test func priorityBandsAndRulesLandlordDoesNotOwnAreRespected() async throws {
        let h = try poolFleet(tenants: 3)
        try h.edit("blueprints/web.yaml") {
            $0.replacingOccurrences(of: "priority: auto, hostHeader: \"b.", with: "priority: {auto: true, band: [1000, 1999]}, hostHeader: \"b.")
        }
        // Someone else's rules sit at priorities 1 and 2 of the first listener.
        try MockCloud(path: h.cloudPath).transact { tx in
            for p in [1, 2] {
                tx.put(
                    MockResource(
                        type: AWSResourceTypes.listenerRule, id: "arn:foreign/\(p)",
                        attributes: ["listener": .string(Self.listeners[0]), "priority": .int(p), "targetGroupArn": "x"], tags: [:]))
            }
        }
        let plan = try await h.plan()
        let a = plan.tenants.compactMap { $0.allocation?.numbers["rule_a"] }
        let b = plan.tenants.compactMap { $0.allocation?.numbers["rule_b"] }
        #expect(a == [3, 4, 5])
        #expect(b == [1000, 1001, 1002])
        #expect(try await !h.apply().failed)
        #expect(try await h.plan().isEmpty)
    }

    @Test func route53ChangesAreBatchedPerZone() async throws {
        let h = try Harness()
        for i in 1...198 { try h.addWebTenant("b\(i)", subdomain: "bee\(i)") }
        try h.raiseListenerLimits(to: 1000)
        var s = MockSettings()
        s.route53BatchSize = 100
        let mock = MockProvider(cloudPath: h.cloudPath, settings: s)
        let result = try await h.apply(provider: mock)
        #expect(!result.failed)
        let records = 200 * 2
        let calls = mock.callCounts["ChangeResourceRecordSets"] ?? 0
        #expect(calls >= 1)
        #expect(calls <= (records + 99) / 100, "\(calls) ChangeResourceRecordSets calls for \(records) records in batches of 100")
        #expect(try h.cloud().filter { $0.type == AWSResourceTypes.route53Record }.count == records)
        #expect(try await h.plan().isEmpty)
    }

    /// Records wait for a full batch at most `batchWindow`: in an apply much longer than the
    /// window they go in several calls as tenants get to them, not in one call at the end.
    @Test func recordsGoWhenTheyHaveWaitedTheBatchWindow() async throws {
        let h = try Harness()
        for i in 1...28 { try h.addWebTenant("b\(i)", subdomain: "bee\(i)") }
        var s = MockSettings()
        s.latencyMs = 20
        let mock = MockProvider(cloudPath: h.cloudPath, settings: s)
        // 30 tenants x 16 calls x 20 ms / 5 in flight: about 2 s, forty windows of 50 ms.
        let result = try await h.apply(provider: mock, parallelism: 5, batchWindow: 0.05)
        #expect(!result.failed)
        let calls = mock.callCounts["ChangeResourceRecordSets"] ?? 0
        #expect(calls >= 3, "\(calls) ChangeResourceRecordSets calls: with a 50 ms window the 60 records must not all wait for the end")
        #expect(calls < 60, "\(calls) calls for 60 records: the window must still batch")
        #expect(try h.cloud().filter { $0.type == AWSResourceTypes.route53Record }.count == 60)
    }

    @Test func aBadRecordInABatchFailsAloneAndTheOthersLand() async throws {
        let h = try Harness()
        for i in 1...30 { try h.addWebTenant("b\(i)", subdomain: "bee\(i)") }
        var s = MockSettings()
        s.failMatch = "b17/dns"
        let mock = MockProvider(cloudPath: h.cloudPath, settings: s)
        let result = try await h.apply(provider: mock)
        #expect(result.failed)
        let failed = result.tenants.filter { $0.failed > 0 }
        #expect(failed.map(\.tenant) == ["b17"])
        #expect(failed.first?.failed == 1)
        #expect(try h.cloud().filter { $0.type == AWSResourceTypes.route53Record }.count == 32 * 2 - 1)
        // Splitting: more calls than one batch, far fewer than one per record.
        let calls = mock.callCounts["ChangeResourceRecordSets"] ?? 0
        #expect(calls > 1 && calls < 32)
    }

    @Test func throttledAPIsSeeNoMoreThanTheirLimitAndTheApplyStillSucceeds() async throws {
        let h = try poolFleet(
            tenants: 100,
            blueprintExtra: """
                  dns:
                    type: aws.route53_record
                    properties: {zoneId: "${platform.zone}", name: "${tenant.id}.${platform.domain}", type: CNAME, \
                    records: ["${rule_a.listenerDnsName}"]}
                """)
        let limit = 60.0
        var s = MockSettings()
        s.throttleRPS = limit
        // The client paces below the server's limit, as AWS's published limits suggest.
        s.rateLimits = ["elbv2": limit * 0.8, "route53": limit * 0.8]
        let mock = MockProvider(cloudPath: h.cloudPath, settings: s)
        let result = try await h.apply(provider: mock, parallelism: 50)
        #expect(!result.failed, "\(result.diagnostics.errors.map(\.summary))")
        for (api, busiest) in mock.busiestSecond {
            #expect(Double(busiest) <= limit, "\(api) saw \(busiest) calls in one second (limit \(Int(limit)))")
        }
        #expect(mock.busiestSecond["elbv2"] ?? 0 > 0)
        #expect(try h.cloud().count == 100 * 5)
    }
}
