import AWSSchema
import Foundation
import LandlordCore
import LandlordTestSupport
import MockProvider
import ProviderAPI
import Testing

/// Two `landlord apply` processes at once: different tenants run side by side, the same tenant
/// is refused (or waited for with --lock-timeout), and rule priorities never collide.
@Suite struct ConcurrencyTests {
    /// A hold file: while it exists, the mock's calls wait, so an apply holds its lock at a
    /// known point however busy the machine is (its latency alone raced a loaded test run).
    static func hold(_ h: Harness) throws -> (env: [String: String], release: () -> Void) {
        let path = h.dir.appendingPathComponent("hold").path
        _ = FileManager.default.createFile(atPath: path, contents: Data())
        return (["LANDLORD_MOCK_HOLD_FILE": path], { try? FileManager.default.removeItem(atPath: path) })
    }

    /// Whether some run's lock file (`.landlord/locks/run-ID.json`) lists `tenant`.
    static func locked(_ h: Harness, _ tenant: String) -> Bool {
        let dir = h.dir.appendingPathComponent(".landlord/locks")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasPrefix("run-") }.contains { name in
            guard let data = FileManager.default.contents(atPath: dir.appendingPathComponent(name).path),
                let doc = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            else { return false }
            return (doc["tenants"] as? [String] ?? []).contains(tenant)
        }
    }

    func apply(_ h: Harness, _ tenants: [String], _ extra: [String] = [], env: [String: String] = [:]) throws -> Spawned {
        try Spawned.landlord(["-C", h.dir.path, "apply", "--auto-approve"] + tenants.flatMap { ["--tenant", $0] } + extra, env: env)
    }

    /// Every recorded resource exists in the cloud, every cloud resource is recorded, and no
    /// address has two cloud objects.
    func expectConverged(_ h: Harness, tenants: Int, _ context: String) async throws {
        let cloud = try h.cloud()
        let recorded = try await h.recorded()
        #expect(cloud.count == 14 * tenants, "\(context): expected \(14 * tenants) cloud resources, found \(cloud.count); inspect \(h.cloudPath)")
        #expect(
            Set(cloud.map(\.id)) == Set(recorded.values.map(\.id)),
            "\(context): cloud and state disagree (orphans or missing); inspect \(h.dir.path)/.landlord")
        let addresses = cloud.compactMap { $0.tags["landlord:address"] }
        #expect(Set(addresses).count == addresses.count, "\(context): an address has two cloud resources")
        #expect(try await h.plan().isEmpty, "\(context): a converged fleet must plan no changes")
    }

    @Test func appliesOfDifferentTenantsRunSideBySide() async throws {
        let h = try Harness()
        let slow = ["LANDLORD_MOCK_LATENCY_MS": "150"]
        let a = try apply(h, ["acme"], env: slow)
        let g = try apply(h, ["globex"], env: slow)
        let ra = await a.finish()
        let rg = await g.finish()
        #expect(ra.code == 0, "apply of acme failed beside globex's: \(ra.stdout)\(ra.stderr)")
        #expect(rg.code == 0, "apply of globex failed beside acme's: \(rg.stdout)\(rg.stderr)")
        #expect(try await h.store.loadTenant("acme")?.status == .active)
        #expect(try await h.store.loadTenant("globex")?.status == .active)
        #expect(try await h.store.loadTenant("acme")?.resources.count == 14)
        #expect(try await h.store.loadTenant("globex")?.resources.count == 14)
        try await expectConverged(h, tenants: 2, "after side-by-side applies")
    }

    /// An apply of acme alone (globex removed), held by a hold file once it holds acme's lock;
    /// nil, with an issue recorded, when it ended before that.
    func heldApplyOfAcme(_ h: Harness) async throws -> (Spawned, (env: [String: String], release: () -> Void))? {
        try h.remove("tenants/globex.yaml")
        let hold = try Self.hold(h)
        let first = try apply(h, ["acme"], env: hold.env)
        #expect(await eventually { Self.locked(h, "acme") || !first.isRunning }, "the first apply never took the lock of acme")
        guard first.isRunning else {
            hold.release()
            Issue.record("the first apply ended while held: \(await first.finish().all)")
            return nil
        }
        return (first, hold)
    }

    @Test func aSecondApplyOfTheSameTenantIsRefusedNamingTheHolder() async throws {
        let h = try Harness()
        guard let (first, hold) = try await heldApplyOfAcme(h) else { return }
        defer { hold.release() }
        let second = try await apply(h, ["acme"]).finish()
        hold.release()
        let text = second.stdout + second.stderr
        #expect(second.code == 1, "the second apply of a locked tenant must fail: \(text)")
        #expect(text.contains("tenant 'acme' is locked"), "\(text)")
        #expect(
            text.contains("apply by \(ProcessInfo.processInfo.hostName) (pid \(first.pid)) since "),
            "the refusal must name the holder's operation, host, pid and start time: \(text)")
        #expect(text.contains("--lock-timeout"), "the refusal must say how to wait: \(text)")
        let r = await first.finish()
        #expect(r.code == 0, "the first apply must be unaffected: \(r.stdout)\(r.stderr)")
        #expect(try await h.store.loadTenant("acme")?.resources.count == 14)
        #expect(!Self.locked(h, "acme"), "the lock must be released when the apply ends")
    }

    @Test func withALockTimeoutTheSecondApplyWaitsThenFindsNothingLeftToDo() async throws {
        let h = try Harness()
        guard let (first, hold) = try await heldApplyOfAcme(h) else { return }
        defer { hold.release() }
        let waiting = try apply(h, ["acme"], ["--lock-timeout", "30"])
        // Once the second apply has planned (its plan is printed; it goes on to wait for the
        // lock the held first apply keeps), let the first go.
        let planned = await eventually(within: 120) { waiting.output.contains("Plan: ") || !waiting.isRunning }
        #expect(planned && waiting.isRunning, "the second apply never planned, or ended: \(waiting.output)")
        hold.release()
        let second = await waiting.finish()
        let r = await first.finish()
        let text = second.stdout + second.stderr
        #expect(r.code == 0, "the first apply failed: \(r.stdout)\(r.stderr)")
        #expect(!text.contains("is locked"), "with --lock-timeout 30 the second apply must wait, not be refused: \(text)")
        // It waited; what it planned before waiting is stale, so it plans again and finds
        // nothing (or only what is left) to do.
        #expect(second.code == 0, "with --lock-timeout 30 the second apply must wait for the first and then succeed: \(text)")
        #expect(text.contains("changed while waiting for the lock"), "the second apply plans again after waiting: \(text)")
        try await expectConverged(h, tenants: 1, "after a waiting apply")
    }

    @Test(arguments: 1...10)
    func concurrentAppliesOfDisjointTenantsGetDisjointRulePriorities(round: Int) async throws {
        let h = try Harness()
        for id in ["acme", "globex"] { try h.remove("tenants/\(id).yaml") }
        let ids = (0..<6).map { "p\(round)x\($0)" }
        for id in ids {
            try h.write(
                "tenants/\(id).yaml",
                """
                apiVersion: landlord/v1\nkind: Tenant\nid: \(id)\nblueprint: web\nparameters: {subdomain: \(id), \
                backendImage: \"registry.example.com/backend:1.4.2\"}\n
                """
            )
        }
        let env = ["LANDLORD_MOCK_LATENCY_MS": "\(5 + round)"]
        let a = try apply(h, Array(ids[0..<3]), env: env)
        let b = try apply(h, Array(ids[3..<6]), env: env)
        let ra = await a.finish()
        let rb = await b.finish()
        #expect(ra.code == 0, "round \(round): the first apply failed: \(ra.stdout)\(ra.stderr)")
        #expect(rb.code == 0, "round \(round): the second apply failed: \(rb.stdout)\(rb.stderr)")

        // Priorities are unique per listener in the cloud, and the platform state says the same.
        let rules = try h.cloud().filter { $0.type == AWSResourceTypes.listenerRule }
        #expect(rules.count == 12, "round \(round): expected 12 rules, found \(rules.count)")
        var seen: [String: String] = [:]
        let platform = try await h.store.loadPlatform()
        for r in rules {
            let listener = r.attributes["listener"]?.stringValue ?? "?"
            let priority = r.attributes["priority"]?.intValue ?? -1
            let address = r.tags["landlord:address"] ?? "?"
            let key = "\(listener)#\(priority)"
            #expect(seen[key] == nil, "round \(round): priority \(priority) is held by both \(seen[key] ?? "") and \(address)")
            seen[key] = address
            let parts = address.split(separator: "/").map(String.init)
            try #require(parts.count == 2, "round \(round): \(address) is not TENANT/RESOURCE")
            let alloc = platform.allocations[parts[0]]
            #expect(
                alloc?.member == listener && alloc?.numbers[parts[1]] == priority,
                """
                round \(round): \(address) has priority \(priority) in the cloud but \
                \(alloc?.numbers[parts[1]].map(String.init) ?? "none") in .landlord/state/platform.json
                """
            )
        }
        #expect(Set(platform.allocations.keys) == Set(ids), "round \(round): platform allocations are for \(platform.allocations.keys.sorted())")
        // Tenant numbers from the shared sequence are distinct too, and match the records.
        let numbers = ids.compactMap { platform.numbers[$0]?["tenantNumber"] }
        #expect(numbers.count == 6 && Set(numbers).count == 6, "round \(round): tenant numbers \(numbers) must be distinct")
        #expect(platform.sequences["tenantNumber"] == 1006, "round \(round): the sequence must have handed out exactly 6 numbers")
        for r in try h.cloud() where r.type == AWSResourceTypes.dynamoItem {
            let tenant = r.tags["landlord:tenant"] ?? "?"
            #expect(r.attributes["item"]?.mapValue?["tenantNumber"]?.intValue == platform.numbers[tenant]?["tenantNumber"])
        }
        try await expectConverged(h, tenants: 6, "round \(round)")
    }
}
