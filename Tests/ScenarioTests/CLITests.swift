import Foundation
import Testing

/// The command line as users and CI see it: exit codes, messages, refusals.
@Suite struct CLITests {
    @Test func planApplyPlanThroughTheBinaryWithDetailedExitCodes() async throws {
        let h = try Harness()
        let d = h.dir.path
        let first = try await CLI.run(["-C", d, "plan", "--detailed-exitcode"])
        #expect(first.code == 2)
        #expect(first.stdout.contains("Plan: 28 to create, 0 to update, 0 to replace, 0 to delete."))
        let apply = try await CLI.run(["-C", d, "apply", "--auto-approve"])
        #expect(apply.code == 0, "\(apply.stderr)")
        #expect(apply.stdout.contains("Apply complete! 28 changes applied to 2 tenants"))
        let again = try await CLI.run(["-C", d, "plan", "--detailed-exitcode"])
        #expect(again.code == 0)
        #expect(again.stdout.contains("No changes."))
        let status = try await CLI.run(["-C", d, "status"])
        #expect(status.stdout.contains("acme") && status.stdout.contains("active"))
        let list = try await CLI.run(["-C", d, "state", "list", "--tenant", "globex"])
        #expect(list.stdout.split(separator: "\n").count == 14)
        let show = try await CLI.run(["-C", d, "state", "show", "acme/users_client"])
        #expect(show.stdout.contains("clientSecret"))
        #expect(show.stdout.contains("(sensitive)"))
    }

    @Test func jsonPlanListsOnlyChangesWithTheDocumentedShape() async throws {
        let h = try Harness()
        let run = try await CLI.run(["-C", h.dir.path, "plan", "--format", "json"])
        #expect(run.code == 0)
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(doc["format_version"] as? String == "1")
        let changes = try #require(doc["changes"] as? [[String: Any]])
        #expect(changes.count == 28)
        let change = try #require(changes.first)
        for key in ["address", "tenant", "name", "type", "action", "reasons", "before", "after"] { #expect(change[key] != nil, "missing \(key)") }
        let summary = try #require(doc["summary"] as? [String: Int])
        #expect(summary == ["create": 28, "update": 0, "replace": 0, "delete": 0])
    }

    @Test func applyWithoutATerminalOrAutoApproveRefusesAndChangesNothing() async throws {
        let h = try Harness()
        let run = try await CLI.run(["-C", h.dir.path, "apply"])
        #expect(run.code == 1)
        #expect(run.stderr.contains("--auto-approve"))
        #expect(!FileManager.default.fileExists(atPath: h.dir.appendingPathComponent(".landlord/state/tenants/acme.json").path))
    }

    /// `--batch-window` reaches the engine's rule; a negative one is refused before anything runs.
    @Test func aNegativeBatchWindowIsRefusedAndAValidOneApplies() async throws {
        let h = try Harness()
        let bad = try await CLI.run(["-C", h.dir.path, "apply", "--auto-approve", "--batch-window=-1"])
        #expect(bad.code != 0)
        #expect(bad.stderr.contains("--batch-window cannot be negative"), "\(bad.stderr)")
        #expect(try h.cloud().isEmpty, "a refused command must change nothing")
        let good = try await CLI.run(["-C", h.dir.path, "apply", "--auto-approve", "--batch-window", "0"])
        #expect(good.code == 0, "\(good.stdout)\(good.stderr)")
        #expect(try h.cloud().count == 28)
    }

    @Test func specErrorsPrintFileLineColumnAndExitOne() async throws {
        let h = try Harness()
        try h.edit("tenants/acme.yaml") { $0.replacingOccurrences(of: "subdomain: acme", with: "subdomian: acme") }
        let run = try await CLI.run(["-C", h.dir.path, "plan"])
        #expect(run.code == 1)
        #expect(run.stderr.contains("tenants/acme.yaml:5:14: error: unknown parameter 'subdomian' (did you mean 'subdomain'?)"))
        #expect(!run.stderr.contains("missing required parameter 'subdomain'"), "one typo is one error")
        #expect(run.stderr.contains("nothing was planned: fix the 1 error above and run again"), "\(run.stderr)")
    }

    @Test func destroyNeedsATenantAndAMissingFleetSaysWhatToDo() async throws {
        let noTenant = try await CLI.run(["destroy", "--auto-approve"])
        #expect(noTenant.code != 0)
        #expect(noTenant.stderr.contains("--tenant"))
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("landlord-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let run = try await CLI.run(["-C", empty.path, "plan"])
        #expect(run.code == 1)
        #expect(run.stderr.contains("no platform.yaml"))
    }

    @Test func unlockRefusesALiveLeaseWithoutForce() async throws {
        let h = try Harness()
        let locks = h.dir.appendingPathComponent(".landlord/locks")
        try FileManager.default.createDirectory(at: locks, withIntermediateDirectories: true)
        let future = ISO8601DateFormatter().string(from: Date().addingTimeInterval(3600))
        // Another run's locks on acme and globex, written as that run would.
        let runLock = locks.appendingPathComponent("run-x.json")
        let lockText =
            #"{"holder":{"id":"x","host":"elsewhere","pid":1,"startedAt":"2026-01-01T00:00:00Z","#
            + #""operation":"apply"},"expiresAt":"\#(future)","tenants":["acme","globex"]}"#
        try lockText.write(to: runLock, atomically: true, encoding: .utf8)
        let refused = try await CLI.run(["-C", h.dir.path, "unlock", "--tenant", "acme"])
        #expect(refused.code == 1)
        #expect(refused.stderr.contains("--force"))
        let forced = try await CLI.run(["-C", h.dir.path, "unlock", "--tenant", "acme", "--force"])
        #expect(forced.code == 0)
        #expect(try await h.store.lockInfo(tenant: "acme") == nil, "unlock --force must release acme")
        #expect(try await h.store.lockInfo(tenant: "globex")?.holder.id == "x", "unlock of acme must leave that run's other locks alone")
    }
}
