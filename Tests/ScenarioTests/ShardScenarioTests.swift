import Foundation
import LandlordBasics
import LandlordCore
import LandlordTestSupport
import Synchronization
import Testing

/// `--shard K/N` on one machine: the CLI's checks, saved plans of one part, and a tenant whose
/// planned listener another part filled meanwhile.
@Suite struct ShardScenarioTests {
    /// The quickstart (acme, globex) plus t1...t6. Parts of 2 (SHA-256 of the id): acme, t1,
    /// t2, t3 in 1/2; globex, t4, t5, t6 in 2/2. Three listeners of 3 tenants each (6 rules, 6
    /// target groups).
    func fleet() throws -> Harness {
        let h = try Harness.withWebTenants(6)
        let first = "      dnsName: alb-1-123456789.us-east-1.elb.amazonaws.com"
        let limits = "\n      maxRules: 6\n      maxTargetGroups: 6"
        let more = (2...3).map {
            "\n    - arn: arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/alb-\($0)/50dc6c495c0c918\($0)/f2f7dc8efc522ab\($0)\n"
                + "      dnsName: alb-\($0).elb.amazonaws.com" + limits
        }
        try h.edit("platform.yaml") { $0.replacingOccurrences(of: first, with: first + limits + more.joined()) }
        return h
    }

    static let listeners = (1...3).map { i in
        i == 1
            ? "arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/alb-1/50dc6c495c0c9188/f2f7dc8efc522ab2"
            : "arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/alb-\(i)/50dc6c495c0c918\(i)/f2f7dc8efc522ab\(i)"
    }

    @Test func aBadShardIsRefusedSayingWhatIsAccepted() async throws {
        let h = try fleet()
        for bad in ["5/4", "0/4", "two/4", "3"] {
            let run = try await CLI.run(["-C", h.dir.path, "plan", "--shard", bad])
            #expect(run.code != 0 && run.code != 2)
            #expect(run.stderr.contains("--shard takes K/N"), "\(run.stderr)")
            #expect(run.stderr.contains("such as 2/4"))
        }
        #expect(try h.cloud().isEmpty)
    }

    @Test func aSavedPlanOfOnePartAppliesThatPartOnly() async throws {
        let h = try fleet()
        let file = h.dir.appendingPathComponent("part1.plan").path
        let plan = try await CLI.run(["-C", h.dir.path, "plan", "--shard", "1/2", "--out", file])
        #expect(plan.code == 0, "\(plan.all)")
        #expect(plan.stdout.hasPrefix("Shard 1/2: 4 of the fleet's 8 tenants (split by SHA-256 of the tenant id)."), "\(plan.stdout.prefix(300))")
        #expect(plan.stdout.contains("Tenant acme") && plan.stdout.contains("Tenant t3"))
        #expect(!plan.stdout.contains("Tenant globex") && !plan.stdout.contains("Tenant t4"))
        let json = try await CLI.run(["-C", h.dir.path, "show", file, "--format", "json"])
        #expect(json.stdout.contains("\"fleet_tenants\": 8"), "\(json.stdout.suffix(400))")
        let markdown = try await CLI.run(["-C", h.dir.path, "show", file, "--format", "markdown"])
        #expect(markdown.stdout.contains("Shard 1/2: 4 of the fleet's 8 tenants"))

        // Not as another part, and not with a part the plan does not have.
        let other = try await CLI.run(["-C", h.dir.path, "apply", file, "--shard", "2/2"])
        #expect(other.code == 1)
        #expect(other.stderr.contains("the saved plan is for shard 1/2, not 2/2"), "\(other.stderr)")
        let whole = h.dir.appendingPathComponent("whole.plan").path
        #expect(try await CLI.run(["-C", h.dir.path, "plan", "--out", whole]).code == 0)
        let wholeAsPart = try await CLI.run(["-C", h.dir.path, "apply", whole, "--shard", "1/2"])
        #expect(wholeAsPart.code == 1)
        #expect(wholeAsPart.stderr.contains("covers the whole fleet, not shard 1/2"), "\(wholeAsPart.stderr)")
        #expect(try h.cloud().isEmpty)

        let apply = try await CLI.run(["-C", h.dir.path, "apply", file, "--shard", "1/2"])
        #expect(apply.code == 0, "\(apply.all)")
        #expect(apply.stdout.contains("Apply complete! 56 changes applied to 4 tenants"), "\(apply.stdout.suffix(300))")
        #expect(try await h.store.listTenants() == ["acme", "t1", "t2", "t3"])
        // That part is done; the other is still to do.
        #expect(try await CLI.run(["-C", h.dir.path, "plan", "--shard", "1/2", "--detailed-exitcode"]).code == 0)
        let rest = try await CLI.run(["-C", h.dir.path, "plan", "--shard", "2/2", "--detailed-exitcode"])
        #expect(rest.code == 2)
        #expect(rest.stdout.contains("Plan: 56 to create"))
        // Destroy takes a part too: only the named tenants of the part.
        let destroy = try await CLI.run(["-C", h.dir.path, "destroy", "--tenant", "acme", "--tenant", "t4", "--shard", "1/2", "--auto-approve"])
        #expect(destroy.code == 0, "\(destroy.all)")
        #expect(destroy.stdout.contains("Destroy complete! 14 changes applied to 1 tenant"), "\(destroy.stdout.suffix(300))")
        #expect(destroy.stderr.contains("1 named tenant is in other parts than 1/2: 't4' (2/2)"), "\(destroy.stderr)")
    }

    /// Part 1 plans t3 onto listener 2 while it has room; part 2 fills it before part 1
    /// applies. Committing t3's placement finds the listener full: t3 is planned again (onto
    /// listener 3) when the rollout can plan, and refused, changing nothing of it, when it
    /// cannot (a saved plan).
    @Test(arguments: [true, false])
    func aTenantWhoseListenerAnotherPartFilledIsPlacedAgain(canReplan: Bool) async throws {
        let h = try fleet()
        let one = Shard(index: 1, count: 2)!
        let partOne = try await h.plan(PlanOptions(shard: one))
        #expect(partOne.tenants.map(\.tenant) == ["acme", "t1", "t2", "t3"])
        #expect(partOne.tenants.map { $0.allocation?.member } == [0, 0, 0, 1].map { Self.listeners[$0] })
        #expect(partOne.shard == ShardCoverage(shard: one, tenants: 4, fleetTenants: 8))
        // Part 2 starts at the second listener (of 3, for part 2 of 2) and takes its room.
        let two = try await h.apply(PlanOptions(shard: Shard(index: 2, count: 2)))
        #expect(!two.failed, "\(two.diagnostics.errors)")
        #expect(try await h.store.loadPlatform().allocations["globex"]?.member == Self.listeners[1])

        let ws = try h.workspace()
        let options = RolloutOptions(apply: ApplyOptions(holder: LockHolder(operation: "test"), platform: ws.fleet.platform.name))
        let recorder = ReplanRecorder()
        let replan: Rollout.Replanner? =
            canReplan ? { ids in await ws.plan(PlanOptions(tenants: ids, shard: one)).plan } : nil
        let r = await Rollout.run(plan: partOne, workspace: ws, options: options, observer: recorder, replan: replan)
        let platform = try await h.store.loadPlatform()
        for l in Self.listeners {
            let rules = platform.allocations.values.filter { $0.member == l }.reduce(0) { $0 + ($1.usage["rules"] ?? 0) }
            #expect(rules <= 6, "\(l) holds \(rules) rules")
        }
        if canReplan {
            #expect(!r.failed, "\(r.diagnostics.errors)")
            #expect(recorder.replanned == [["t3"]])
            #expect(platform.allocations["t3"]?.member == Self.listeners[2])
            #expect(try await h.plan().isEmpty)
        } else {
            #expect(r.failedTenants == ["t3"])
            #expect(r.diagnostics.errors.contains { $0.summary.contains("has no room left for tenant 't3'") && $0.summary.contains("Plan again") })
            #expect(platform.allocations["t3"] == nil)
            let t3 = try await h.store.loadTenant("t3")
            #expect(t3 == nil || t3?.resources.isEmpty == true)
            #expect(!(try h.cloud().contains { $0.tags["landlord:tenant"] == "t3" }))
        }
    }
}

/// Records the tenants each replanning round named.
private final class ReplanRecorder: ApplyObserver, Sendable {
    private let rounds = Mutex<[[String]]>([])
    var replanned: [[String]] { rounds.withLock { $0 } }
    func handle(_ event: ApplyEvent) {
        if case .replanning(_, let displaced) = event { rounds.withLock { $0.append(displaced) } }
    }
}
