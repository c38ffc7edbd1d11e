import Foundation
import LandlordCore
import LandlordS3State
import LandlordTestSupport
import MockProvider
import ProviderAPI
import Testing

/// `--shard K/N`: N jobs apply one fleet together through one S3 state, as a CI matrix would.
@Suite(.serialized, .enabled(if: Moto.available, Moto.disabledReason), .motoExclusive)
struct ShardTests {
    /// The JSON event lines of an `apply --json` run's stdout.
    static func events(_ stdout: String) -> [[String: Value]] {
        stdout.split(separator: "\n").compactMap { line in (try? JSON.parse(Array(line.utf8)))?.mapValue }
    }

    @Test func fourConcurrentShardsApplyTwoHundredTenantsExactlyOnce() async throws {
        let bucket = try await Moto.bucket()
        let fleet = try Fleet(tenants: 200, listeners: 5)
        try fleet.useS3(bucket: bucket, prefix: "fleet")
        let ids = Fleet.tenantIDs(200)

        // Four jobs at once, as a CI matrix starts them.
        let jobs = try (1...4).map { k in
            try CLI.start(["-C", fleet.path, "apply", "--auto-approve", "--shard", "\(k)/4", "--parallelism", "20", "--json"])
        }
        var finishedBy: [String: [Int]] = [:]
        var applied: [String: Int] = [:]
        var covered = 0
        for (i, job) in jobs.enumerated() {
            let run = await job.finish()
            let k = i + 1
            #expect(run.code == 0, "shard \(k)/4: \(run.all.suffix(4000))")
            // The plan says which part it covers; the parts add up to the fleet.
            let expected = ids.filter { Shard(index: k, count: 4)!.contains($0) }
            #expect(run.stderr.contains("Shard \(k)/4: \(expected.count) of the fleet's 200 tenants"), "\(run.stderr.prefix(600))")
            covered += expected.count
            // A tenant refused before anything was applied to it (its planned listener filled
            // up under this job) is reported failed with nothing applied, then planned again.
            for e in Self.events(run.stdout) where e["event"]?.stringValue == "tenant_finished" {
                guard let t = e["tenant"]?.stringValue else { continue }
                applied[t, default: 0] += e["applied"]?.intValue ?? 0
                if e["status"]?.stringValue == "active" { finishedBy[t, default: []].append(k) }
            }
            #expect(
                Self.events(run.stdout).last?["ok"] == .bool(true),
                "shard \(k)/4 did not end with an ok summary: \(run.stdout.suffix(800))")
        }
        #expect(covered == 200)
        // Every tenant finished once, by the job of its own part, with its 14 resources made once.
        #expect(finishedBy.keys.sorted() == ids)
        for (t, jobs) in finishedBy {
            #expect(jobs == [Shard.part(of: t, count: 4)], "tenant \(t) finished in shards \(jobs)")
            #expect(applied[t] == 14, "tenant \(t): \(applied[t] ?? 0) changes applied")
        }
        let cloud = try MockCloud(path: fleet.dir.appendingPathComponent(".landlord/mock-cloud.json").path).snapshot()
        #expect(cloud.count == 200 * 14)
        let addresses = cloud.compactMap { $0.tags[LandlordTag.address] }
        #expect(Set(addresses).count == addresses.count, "a resource was created twice")

        // The shared state: every tenant active, every listener within its limit, rule
        // priorities disjoint per listener (from the platform allocations and the cloud).
        let store = try Moto.store(bucket)
        #expect(try await store.listTenants() == ids)
        let states = try await store.loadTenants(ids)
        #expect(states.values.filter { $0.status == .active }.count == 200)
        let platform = try await store.loadPlatform()
        #expect(platform.allocations.keys.sorted() == ids)
        var priorities: [String: [Int]] = [:]
        var rules: [String: Int] = [:]
        for a in platform.allocations.values {
            priorities[a.member, default: []] += a.numbers.values
            rules[a.member, default: 0] += a.usage["rules"] ?? 0
        }
        for (listener, ps) in priorities {
            #expect(Set(ps).count == ps.count, "priorities held twice on \(listener)")
            #expect(rules[listener]! <= 100, "\(listener) holds \(rules[listener]!) rules")
        }
        #expect(priorities.values.reduce(0) { $0 + $1.count } == 400)
        var live: [String: [Int]] = [:]
        for r in cloud where r.type == "aws.lb_listener_rule" {
            if let l = r.attributes["listener"]?.stringValue, let p = r.attributes["priority"]?.intValue { live[l, default: []].append(p) }
        }
        for (listener, ps) in live { #expect(Set(ps).count == ps.count, "two rules share a priority on \(listener)") }
        // Sequence numbers are unique too.
        let numbers = platform.numbers.values.compactMap { $0["tenantNumber"] }
        #expect(Set(numbers).count == 200)

        // The fleet converged: a whole-fleet plan and each shard's plan find nothing to do.
        let plan = try await CLI.run(["-C", fleet.path, "plan", "--detailed-exitcode", "--refresh=false"])
        #expect(plan.code == 0, "\(plan.all.suffix(2000))")
        #expect(plan.stdout.contains("No changes."))
        let part = try await CLI.run(["-C", fleet.path, "plan", "--detailed-exitcode", "--shard", "3/4"])
        #expect(part.code == 0, "\(part.all.suffix(2000))")
        #expect(part.stdout.contains("Shard 3/4: \(ids.filter { Shard(index: 3, count: 4)!.contains($0) }.count) of the fleet's 200 tenants"))
    }
}
