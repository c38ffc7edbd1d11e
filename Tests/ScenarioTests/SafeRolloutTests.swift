import Foundation
import LandlordCore
import LandlordTestSupport
import MockProvider
import Testing

/// Health-gated rollouts (examples/rollouts) against a real HTTP health endpoint on 127.0.0.1
/// (examples/rollouts/health.py), which answers 500 for a tenant whose backend runs a "bad"
/// image, reading the image from the simulated cloud: a bad canary halts the rollout and is
/// rolled back, held, and released by a new spec; a flaky fleet within its budget completes; a
/// rollback killed midway is finished by `rollout resume`.
@Suite(.serialized) struct SafeRolloutTests {
    /// examples/rollouts with `count` tenants (t000...), checks made quick, and its health
    /// endpoint running on a free port.
    // @unchecked: every stored property is a `let` set in init; the Spawned server is only stopped in deinit.
    final class Fleet: @unchecked Sendable {
        let h: Harness
        let server: Spawned
        let port: Int

        init(count: Int, flaky: Double = 0, waves: String = "[1, 5%, 100%]", budget: String = "0") async throws {
            h = try Harness(example: "rollouts")
            try FileManager.default.removeItem(at: h.dir.appendingPathComponent("tenants"))
            for i in 0..<count { try Fleet.tenant(h, String(format: "t%03d", i), image: "1.0.0") }
            let portFile = h.dir.appendingPathComponent("health.port").path
            server = try Spawned(
                URL(fileURLWithPath: "/usr/bin/env"),
                ["python3", repoRoot.appendingPathComponent("examples/rollouts/health.py").path, h.dir.path, "0", portFile],
                env: ["HEALTH_FLAKY": "\(flaky)"])
            #expect(await eventually(within: 20) { FileManager.default.fileExists(atPath: portFile) }, "the health endpoint did not start")
            port = Int(try String(contentsOfFile: portFile, encoding: .utf8)) ?? 0
            try h.edit("platform.yaml") {
                $0.replacingOccurrences(of: "http://127.0.0.1:8471", with: "http://127.0.0.1:\(self.port)")
                    .replacingOccurrences(of: "waves: [1, 5%, 100%]", with: "waves: \(waves)")
                    .replacingOccurrences(of: "failureBudget: 0 ", with: "failureBudget: \(budget) ")
            }
            try h.edit("blueprints/web.yaml") { $0.replacingOccurrences(of: "timeout: 10s, interval: 1s", with: "timeout: 5s, interval: 0.25s") }
        }

        deinit { stop() }

        /// Stops the health endpoint (each test defers it; the endpoint also exits with the test process).
        func stop() { if server.isRunning { kill(server.pid, SIGKILL) } }

        static func tenant(_ h: Harness, _ id: String, image: String) throws {
            try h.write(
                "tenants/\(id).yaml",
                "apiVersion: landlord/v1\nkind: Tenant\nid: \(id)\nblueprint: web\n"
                    + "parameters: {backendImage: \"registry.example.com/backend:\(image)\"}\n"
            )
        }

        func setImage(_ image: String, tenants: [String]) throws { for t in tenants { try Fleet.tenant(h, t, image: image) } }

        func apply(_ extra: [String] = [], env: [String: String] = [:]) async throws -> CLI.Run {
            try await CLI.run(["-C", h.dir.path, "apply", "--auto-approve"] + extra, env: env)
        }

        /// The image the cloud runs for the tenant's backend (through its service's task definition).
        func image(_ tenant: String) throws -> String? {
            let cloud = try h.cloud()
            guard let service = cloud.first(where: { $0.tags["landlord:address"] == tenant + "/backend" }),
                let td = service.attributes["taskDefinition"]?.stringValue
            else { return nil }
            return cloud.first { $0.id == td }?.attributes["image"]?.stringValue
        }

        /// State and cloud agree for the tenants: each recorded resource exists with its inputs,
        /// and the cloud has nothing tagged for them that state does not record.
        func agree(_ tenants: [String]) async throws {
            let recorded = try await h.recorded()
            let cloud = try h.cloud()
            for t in tenants {
                let mine = cloud.filter { $0.tags["landlord:tenant"] == t }
                let ids = Set(recorded.filter { $0.key.hasPrefix(t + "/") }.map(\.value.id))
                #expect(Set(mine.map(\.id)) == ids, "\(t): cloud and state disagree")
                #expect(mine.count == 4, "\(t): \(mine.count) resources in the cloud (orphans or duplicates)")
            }
        }
    }

    @Test func aBadCanaryHaltsTheRolloutIsRolledBackHeldAndReleasedByANewSpec() async throws {
        let f = try await Fleet(count: 200)
        defer { f.stop() }
        let first = try await f.apply()
        #expect(first.code == 0, "\(first.all)")
        #expect(first.stdout.contains("Rollout r-") && first.stdout.contains("completed"), "\(first.stdout)")
        let ids = (0..<200).map { String(format: "t%03d", $0) }
        let before = try await f.h.recorded()
        try f.setImage("2.0.0-bad", tenants: ids)
        let bad = try await f.apply()
        #expect(bad.code == 1, "\(bad.all)")
        #expect(bad.stdout.contains("halted: wave 1: 1 of 1 tenant failed"), "\(bad.stdout)")
        #expect(bad.stdout.contains("Rolled back: t000"), "\(bad.stdout)")
        #expect(bad.stdout.contains("199 tenants not touched"), "\(bad.stdout)")
        // The canary runs its old image again, and the cloud and state agree.
        #expect(try f.image("t000") == "registry.example.com/backend:1.0.0")
        try await f.agree(["t000", "t001", "t199"])
        #expect(try await f.h.store.loadTenant("t000")?.status == .rolledBack)
        // The other 199 are untouched: their recorded resources are as they were.
        let after = try await f.h.recorded()
        for t in ids.dropFirst() { #expect(after[t + "/backend_task"] == before[t + "/backend_task"]) }
        // Held on the next plan, which does not push the bad change to it again.
        let plan = try await CLI.run(["-C", f.h.dir.path, "plan"])
        #expect(plan.stdout.contains("t000: held: rolled back: GET http://127.0.0.1:\(f.port)/health/t000 -> 500"), "\(plan.stdout)")
        #expect(!plan.stdout.contains("Tenant t000 "), "\(plan.stdout)")
        let status = try await CLI.run(["-C", f.h.dir.path, "rollout", "status", "--json"])
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        let rollout = try #require(doc["rollout"] as? [String: Any])
        #expect(rollout["phase"] as? String == "halted")
        #expect((doc["held"] as? [String: Any])?.keys.sorted() == ["t000"])
        // A fixed image is a new spec: the hold no longer applies.
        try f.setImage("2.0.1", tenants: ["t000"])
        let fixed = try await CLI.run(["-C", f.h.dir.path, "plan", "--tenant", "t000"])
        #expect(fixed.stdout.contains("Tenant t000 "), "\(fixed.stdout)")
        #expect(!fixed.stdout.contains("held:"), "\(fixed.stdout)")
    }

    @Test func aFlakyFleetWithinItsBudgetCompletes() async throws {
        // 3% of tenants answer 503 whatever they run; 5% of each wave may fail.
        let f = try await Fleet(count: 200, flaky: 0.03, waves: "[50%, 100%]", budget: "5%")
        defer { f.stop() }
        let flaky = (0..<200).map { String(format: "t%03d", $0) }.filter { t in
            UInt64(Digest.sha256Hex(t).prefix(8), radix: 16).map { Double($0) / Double(0xFFFF_FFFF) < 0.03 } ?? false
        }
        try #require(!flaky.isEmpty && flaky.filter { $0 < "t100" }.count <= 5 && flaky.filter { $0 >= "t100" }.count <= 5)
        let run = try await f.apply()
        #expect(run.code == 0, "\(run.all)")
        #expect(run.stdout.contains("completed, with its failures within budget"), "\(run.stdout)")
        for t in flaky { #expect(run.stdout.contains(t), "\(t) is not reported") }
        let status = try await CLI.run(["-C", f.h.dir.path, "rollout", "status"])
        #expect(status.stdout.contains("completed"), "\(status.stdout)")
        #expect(status.stdout.contains("Held (\(flaky.count))"), "\(status.stdout)")
    }

    @Test func aRollbackKilledMidwayIsFinishedByResume() async throws {
        let f = try await Fleet(count: 3, waves: "[3]")
        defer { f.stop() }
        #expect(try await f.apply().code == 0)
        try f.setImage("2.0.0-bad", tenants: ["t000", "t001", "t002"])
        // Slow calls, so the kill lands while the rollback is applying.
        let env = ["LANDLORD_MOCK_LATENCY_MS": "400"]
        let run = try Spawned.landlord(["-C", f.h.dir.path, "apply", "--auto-approve"], env: env)
        let record = f.h.dir.appendingPathComponent(".landlord/rollouts/current.json").path
        let rolling = await eventually(within: 60) {
            (try? String(contentsOfFile: record, encoding: .utf8))?.contains("\"rolling_back\"") == true
        }
        #expect(rolling, "the rollback never started")
        try await Task.sleep(for: .milliseconds(900))
        kill(run.pid, SIGKILL)
        _ = await run.finish()
        // Killed before the rollback was recorded as finished.
        let killed = try String(contentsOfFile: record, encoding: .utf8)
        #expect(killed.contains("\"rolling_back\""), "\(killed)")
        let resume = try await CLI.run(["-C", f.h.dir.path, "rollout", "resume"])
        #expect(resume.stdout.contains("Rolled back:"), "\(resume.all)")
        for t in ["t000", "t001", "t002"] { #expect(try f.image(t) == "registry.example.com/backend:1.0.0", "\(t)") }
        try await f.agree(["t000", "t001", "t002"])
        let status = try await CLI.run(["-C", f.h.dir.path, "rollout", "status", "--json"])
        #expect(!status.stdout.contains("\"rollback_pending\" : [\n      \"t"), "\(status.stdout)")
    }

    @Test func resumeGoesOnFromTheNextWaveAndRefusesAChangedSpec() async throws {
        let f = try await Fleet(count: 5, waves: "[1, 100%]")
        defer { f.stop() }
        #expect(try await f.apply().code == 0)
        // Only the canary's image is bad: the halt is its own, the rest may go on.
        try f.setImage("2.0.0-bad", tenants: ["t000"])
        try f.setImage("2.0.0", tenants: ["t001", "t002", "t003", "t004"])
        #expect(try await f.apply().code == 1)
        #expect(try f.image("t001") == "registry.example.com/backend:1.0.0")
        let resumed = try await CLI.run(["-C", f.h.dir.path, "rollout", "resume"])
        #expect(resumed.code == 0, "\(resumed.all)")
        #expect(resumed.stderr.contains("resumed at wave 2 of 2: 4 tenants"), "\(resumed.stderr)")
        for t in ["t001", "t002", "t003", "t004"] { #expect(try f.image(t) == "registry.example.com/backend:2.0.0", "\(t)") }
        #expect(try f.image("t000") == "registry.example.com/backend:1.0.0")
        // A second halted rollout, then a remaining tenant's file changes: resume refuses it.
        try f.setImage("3.0.0-bad", tenants: ["t000"])
        try f.setImage("3.0.0", tenants: ["t001", "t002", "t003", "t004"])
        #expect(try await f.apply().code == 1)
        try f.setImage("3.0.1", tenants: ["t002"])
        let refused = try await CLI.run(["-C", f.h.dir.path, "rollout", "resume"])
        #expect(refused.code == 1)
        #expect(refused.stderr.contains("is no longer the one rollout r-") && refused.stderr.contains("t002"), "\(refused.stderr)")
        #expect(try f.image("t001") == "registry.example.com/backend:2.0.0", "nothing may be applied")
    }

    @Test func rolloutStepsAndRolledBackTenantsAreAnnouncedAsEvents() async throws {
        let f = try await Fleet(count: 3, waves: "[1, 100%]")
        defer { f.stop() }
        // A webhook nobody answers: events wait in the outbox, where the test reads them.
        try f.h.edit("platform.yaml") { $0 + "events: {webhooks: [{url: \"http://127.0.0.1:9/events\"}]}\n" }
        #expect(try await f.apply(["--event-wait", "0"]).code == 0)
        try f.setImage("2.0.0-bad", tenants: ["t000", "t001", "t002"])
        #expect(try await f.apply(["--event-wait", "0"]).code == 1)
        let outbox = f.h.dir.appendingPathComponent(".landlord/service/outbox")
        var types: [String] = []
        for case let url as URL in FileManager.default.enumerator(at: outbox, includingPropertiesForKeys: nil) ?? .init()
        where url.pathExtension == "json" {
            let event = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
            if let t = event?["type"] as? String { types.append(t) }
        }
        for type in [
            "landlord.rollout.started", "landlord.rollout.wave_completed", "landlord.rollout.completed", "landlord.rollout.halted",
            "landlord.rollout.rolled_back", "landlord.tenant.rolled_back",
        ] {
            #expect(types.contains(type), "no \(type) event among \(types.sorted())")
        }
    }

    @Test func autoApproveIfAppliesSafePlansAndExitsThreeOnOthers() async throws {
        let h = try Harness()
        let ok = try await CLI.run(["-C", h.dir.path, "apply", "--auto-approve-if", "delete == 0 && replace <= 10"])
        #expect(ok.code == 0, "\(ok.all)")
        #expect(ok.stderr.contains("Auto-approved"), "\(ok.stderr)")
        try h.remove("tenants/globex.yaml")
        let review = try await CLI.run(["-C", h.dir.path, "apply", "--auto-approve-if", "delete == 0 && replace <= 10"])
        #expect(review.code == 3, "\(review.all)")
        #expect(review.stderr.contains("delete == 0 (delete is 14)"), "\(review.stderr)")
        #expect(try h.cloud().contains { $0.tags["landlord:tenant"] == "globex" }, "nothing may be applied")
        let unknown = try await CLI.run(["-C", h.dir.path, "apply", "--auto-approve-if", "deletes == 0"])
        #expect(unknown.code != 0 && unknown.code != 3)
        #expect(
            unknown.stderr.contains("unknown counter 'deletes'") && unknown.stderr.contains("create, update, replace, delete, tenants, protected"))
    }

    @Test func badRolloutSettingsAndHealthChecksAreDiagnostics() throws {
        let h = try Harness(example: "rollouts")
        try h.edit("platform.yaml") {
            $0.replacingOccurrences(of: "waves: [1, 5%, 100%]", with: "waves: [0]")
                .replacingOccurrences(of: "failureBudget: 0 ", with: "failureBudget: 120% ")
                .replacingOccurrences(of: "bake: 0s ", with: "bake: soon ")
        }
        try h.edit("blueprints/web.yaml") { $0.replacingOccurrences(of: "/health/${tenant.id}", with: "/health/${tenantt}") }
        let errors = h.loadDiagnostics().errors.map(\.description)
        let all = errors.joined(separator: "\n")
        #expect(all.contains("platform.yaml:11:") && all.contains("wave size '0'"), "\(all)")
        #expect(all.contains("failureBudget '120%'"), "\(all)")
        #expect(all.contains("invalid bake 'soon'"), "\(all)")
        #expect(all.contains("web.yaml:23:") && all.contains("unknown parameter 'tenantt'"), "\(all)")
    }
}
