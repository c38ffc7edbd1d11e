import Foundation
import LandlordService
import ProviderAPI
import Testing

/// Issue 15's concurrency check through the real HTTP server: 200 concurrent creations of
/// distinct tenants all accepted and all provisioned exactly once, and one id posted 20 times
/// at once accepted exactly once. (scripts/serve-load.py prints the latency of the same load.)
@Suite(.serialized) struct ServiceConcurrencyTests {
    /// Room for `n` tenants on the quickstart's listener pool (each listener takes 100 rules,
    /// two per tenant), as scripts/serve-load.py gives it.
    static func makeRoom(_ f: ServiceFixture, tenants n: Int) throws {
        let path = f.dir.appendingPathComponent("platform.yaml")
        var text = try String(contentsOf: path, encoding: .utf8)
        let anchor = "      dnsName: alb-1-123456789.us-east-1.elb.amazonaws.com\n"
        let extra = (2..<(2 + n / 45 + 1)).map { i in
            "    - arn: arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/"
                + "alb-\(i)/50dc6c495c0c9188/f2f7dc8efc522a\(i < 10 ? "0" : "")\(i)\n"
                + "      dnsName: alb-\(i).us-east-1.elb.amazonaws.com\n"
        }.joined()
        #expect(text.contains(anchor), "the quickstart's listener pool moved; update makeRoom")
        text = text.replacingOccurrences(of: anchor, with: anchor + extra)
        try text.write(to: path, atomically: true, encoding: .utf8)
    }

    /// Creates one after another, each within the pause of the one before: provisioning
    /// waits for the burst to end, then applies it in one plan (before, the first create's
    /// wake-up planned it alone while the next was being answered). The pause is made long
    /// here so that a slow test machine cannot split the burst.
    @Test func aBurstOfCreatesIsAnsweredFirstThenProvisionedInOnePlan() async throws {
        let f = try ServiceFixture()
        f.burstPause = .seconds(2)
        try await f.start()
        let ids = ["burst1", "burst2", "burst3", "burst4", "burst5"]
        for id in ids {
            let created = try await f.create(id)
            #expect(created.status == 202, "\(created.text)")
            #expect(created.body["status"]?.stringValue == "provisioning")
        }
        for id in ids { try await f.wait(id, for: "active") }
        #expect(f.plans.tenants.withLock { $0 } == [ids])
        await f.stop()
    }

    /// Every tenant as `GET /v1/tenants` shows it, over all pages.
    static func tenants(_ f: ServiceFixture) async throws -> [String: Value] {
        var out: [String: Value] = [:]
        var cursor: String?
        repeat {
            let page = try await f.call("GET", "/v1/tenants?limit=500" + (cursor.map { "&cursor=\($0)" } ?? ""))
            for t in page.body["tenants"]?.list ?? [] {
                if let id = t["id"]?.stringValue { out[id] = t }
            }
            cursor = page.body["nextCursor"]?.stringValue
        } while cursor != nil
        return out
    }

    @Test func twoHundredConcurrentCreatesAreAllProvisionedOnceAndOneIdPostedTwentyTimesWinsOnce() async throws {
        let f = try ServiceFixture()
        try Self.makeRoom(f, tenants: 201)
        try await f.start()
        let ids = (0..<200).map { "load\($0)" }
        let answers = try await withThrowingTaskGroup(of: Keyed<String, Int>.self) { group in
            for id in ids { group.addTask { Keyed(id, try await f.create(id).status) } }
            var out: [String: Int] = [:]
            for try await k in group { out[k.key] = k.value }
            return out
        }
        #expect(answers.count == 200)
        #expect(answers.values.filter { $0 == 202 }.count == 200, "\(answers.filter { $0.value != 202 })")
        let race = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<20 { group.addTask { try await f.create("same").status } }
            var out: [Int] = []
            for try await s in group { out.append(s) }
            return out
        }
        #expect(race.filter { $0 == 202 }.count == 1, "\(race)")
        #expect(race.filter { $0 == 409 }.count == 19, "\(race)")
        // Every tenant reaches active.
        let end = Date().addingTimeInterval(120)
        var seen: [String: Value] = [:]
        while Date() < end {
            seen = try await Self.tenants(f)
            if seen.count == 201 && seen.values.allSatisfy({ $0["status"]?.stringValue != "provisioning" }) { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        #expect(seen.count == 201)
        let notActive = seen.filter { $0.value["status"]?.stringValue != "active" }.keys.sorted()
        #expect(notActive.isEmpty, "not active: \(notActive.prefix(10))")
        let sizes = Set(seen.values.map { $0["resources"]?.intValue ?? -1 })
        #expect(sizes == [14], "resources per tenant: \(sizes)")
        await f.stop()
        // No duplicate resource: the simulated cloud holds exactly the 14 resources of each
        // tenant (it refuses a second target group, rule or record of one name, and a tenant
        // provisioned twice would hold 28).
        let runtime = try await ServiceRuntime.load(root: f.dir, environment: f.env)
        try runtime.mock?.cloud.compact()
        let cloud = try JSON.parse(Array(try Data(contentsOf: f.dir.appendingPathComponent(".landlord/mock-cloud.json"))))
        #expect(cloud.mapValue?["resources"]?.listValue?.count == 14 * 201)
    }
}
