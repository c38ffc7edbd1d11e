import Foundation
import Testing

/// What a new user trips over on the command line: typos get a did-you-mean and a failing exit
/// code, refusals say what applies to the verb at hand, output is counted and aligned right.
@Suite struct NewcomerCLITests {
    @Test func destroyingAMisspeltTenantFailsWithDidYouMean() async throws {
        let h = try Harness()
        let run = try await CLI.run(["-C", h.dir.path, "destroy", "--tenant", "globx", "--auto-approve"])
        #expect(run.code == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("unknown tenant 'globx' (did you mean 'globex'?)"), "\(run.stderr)")
    }

    @Test func aMisspeltVerbGetsDidYouMean() async throws {
        let run = try await CLI.run(["aply"])
        #expect(run.code == 64)
        #expect(run.stderr.contains("error: unknown command 'aply' (did you mean 'apply'?)"), "\(run.stderr)")
        let h = try Harness()
        let withDir = try await CLI.run(["-C", h.dir.path, "--no-color", "stauts"])
        #expect(withDir.code == 64)
        #expect(withDir.stderr.contains("unknown command 'stauts' (did you mean 'status'?)"), "\(withDir.stderr)")
        let nothingLike = try await CLI.run(["frobnicate"])
        #expect(nothingLike.code == 64)
        #expect(nothingLike.stderr.contains("unknown command 'frobnicate'; the commands are init, validate, plan"), "\(nothingLike.stderr)")
        // Verbs, help and options still reach the parser.
        #expect(try await CLI.run(["help", "plan"]).code == 0)
        #expect(try await CLI.run(["--version"]).code == 0)
    }

    @Test func destroyWithoutATerminalSuggestsAutoApproveNotASavedPlan() async throws {
        let h = try Harness()
        #expect(try await CLI.run(["-C", h.dir.path, "apply", "--auto-approve"]).code == 0)
        let run = try await CLI.run(["-C", h.dir.path, "destroy", "--tenant", "acme"])
        #expect(run.code == 1)
        #expect(run.stderr.contains("--auto-approve"), "\(run.stderr)")
        #expect(!run.stderr.contains("plan --out"), "a saved plan cannot destroy: \(run.stderr)")
        #expect(try h.cloud().count == 28, "a refused destroy must change nothing")
    }

    /// Verbs that only read do not claim that nothing was planned or applied.
    @Test func readOnlyVerbsDoNotTalkAboutPlanningOrApplying() async throws {
        let h = try Harness()
        try h.edit("tenants/acme.yaml") { $0.replacingOccurrences(of: "tier: premium", with: "tier: gold") }
        for verb in ["status", "validate"] {
            let run = try await CLI.run(["-C", h.dir.path, verb])
            #expect(run.code == 1)
            #expect(run.stderr.contains("error: fix the 1 error above and run again"), "\(verb): \(run.stderr)")
            #expect(!run.stderr.contains("planned") && !run.stderr.contains("applied"), "\(verb): \(run.stderr)")
        }
    }

    /// A replacement is two provider steps but one change: one `replacing...`, one `replaced`,
    /// one in the summary.
    @Test func aReplacementIsReportedAndCountedOnce() async throws {
        let h = try Harness()
        #expect(try await CLI.run(["-C", h.dir.path, "apply", "--auto-approve"]).code == 0)
        try h.edit("tenants/acme.yaml") { $0.replacingOccurrences(of: "backend:1.4.2", with: "backend:1.5.0") }
        let run = try await CLI.run(["-C", h.dir.path, "apply", "--auto-approve"])
        #expect(run.code == 0, "\(run.stderr)")
        let lines = run.stderr.split(separator: "\n").map(String.init)
        #expect(lines.filter { $0 == "acme/backend_task: replacing..." }.count == 1, "\(run.stderr)")
        #expect(lines.filter { $0.hasPrefix("acme/backend_task: replaced (") }.count == 1, "\(run.stderr)")
        #expect(run.stdout.contains("Apply complete! 2 changes applied to 1 tenant "), "\(run.stdout)")

        try h.edit("tenants/acme.yaml") { $0.replacingOccurrences(of: "backend:1.5.0", with: "backend:1.6.0") }
        let json = try await CLI.run(["-C", h.dir.path, "apply", "--auto-approve", "--json"])
        let events = try json.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let replaced = events.filter { $0["event"] as? String == "resource_changed" && $0["address"] as? String == "acme/backend_task" }
        #expect(replaced.count == 1)
        #expect(replaced.first?["action"] as? String == "replace")
        let summary = try #require(events.first { $0["event"] as? String == "summary" })
        #expect(summary["applied"] as? Int == 2)
    }

    /// Column starts of an output line: where a cell begins after two or more spaces.
    static func columnStarts(_ line: Substring) -> [Int] {
        var starts: [Int] = [0]
        var spaces = 0
        for (i, ch) in line.enumerated() {
            if ch == " " {
                spaces += 1
                continue
            }
            if spaces >= 2 { starts.append(i) }
            spaces = 0
        }
        return starts
    }

    @Test func capacityColumnsStayAlignedWithLongListenerARNs() async throws {
        let h = try Harness()
        #expect(try await CLI.run(["-C", h.dir.path, "apply", "--auto-approve"]).code == 0)
        let run = try await CLI.run(["-C", h.dir.path, "status", "--capacity"])
        #expect(run.code == 0)
        let lines = run.stdout.split(separator: "\n")
        try #require(lines.count == 2, "\(run.stdout)")
        let header = Self.columnStarts(lines[0])
        let row = Self.columnStarts(lines[1])
        #expect(header.count == 4 && header == row, "\(run.stdout)")
        #expect(lines[1].hasPrefix("arn:aws:elasticloadbalancing:"))
    }
}
