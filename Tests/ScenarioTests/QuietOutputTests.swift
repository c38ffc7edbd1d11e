import Foundation
import LandlordTestSupport
import Testing

/// Output that is quiet where it should be and short where it should be (issue 29, point 7):
/// the refresh's API-call table only with --verbose (or when it matters) and counts that add
/// up, the clear-state warning once per state, large plans in brief unless --full.
@Suite struct QuietOutputTests {
    /// The refresh summary line: resources, API calls, listed and one by one, drifted.
    static var refreshLine: Regex<(Substring, Substring, Substring, Substring, Substring)> {
        #/
        ^Refreshed\ (\d+)\ resources?\ in\ [\d.]+\ s\ with\ (\d+)\ API\ calls?:\ (\d+)\ by\ listing
        \ \(\d+\ list\ or\ batch\ reads?\),\ (\d+)\ one\ by\ one;\ \d+\ drifted\.$
        /#
    }

    /// The numbers of `Refreshed N resources in S s with C API calls: L by listing (G list or
    /// batch reads), O one by one; D drifted.`
    static func refreshed(_ stderr: String) throws -> (resources: Int, calls: Int, listed: Int, single: Int) {
        let line = try #require(stderr.split(separator: "\n").first { $0.hasPrefix("Refreshed ") }.map(String.init), "\(stderr)")
        let m = try #require(
            line.firstMatch(
                of: Self.refreshLine),
            "\(line)")
        return (Int(m.1)!, Int(m.2)!, Int(m.3)!, Int(m.4)!)
    }

    @Test func theRefreshIsOneLineWhoseCountsAddUpAndTheTableNeedsVerbose() async throws {
        let h = try Harness()
        #expect(try await CLI.run(["-C", h.dir.path, "apply", "--auto-approve"]).code == 0)
        let plan = try await CLI.run(["-C", h.dir.path, "plan"])
        #expect(plan.code == 0, "\(plan.all)")
        let quiet = try Self.refreshed(plan.stderr)
        #expect(quiet.resources == 28 && quiet.listed + quiet.single == quiet.resources, "\(plan.stderr)")
        #expect(!plan.stderr.contains("\n  route53 "), "the table is for --verbose: \(plan.stderr)")

        let verbose = try await CLI.run(["-C", h.dir.path, "--verbose", "plan"])
        let counts = try Self.refreshed(verbose.stderr)
        let rows = verbose.stderr.split(separator: "\n").filter { $0.hasPrefix("  ") }.compactMap {
            $0.split(separator: " ").last.flatMap { Int($0) }
        }
        #expect(!rows.isEmpty && rows.reduce(0, +) == counts.calls, "the rows add up to the total: \(verbose.stderr)")
    }

    @Test func theTableIsShownWhenAnAPIIsCalledOverItsRateLimit() async throws {
        let h = try Harness()
        #expect(try await CLI.run(["-C", h.dir.path, "apply", "--auto-approve"]).code == 0)
        // An ECS limit below the refresh's calls to it (a describe and a list): the table
        // shows, and says why.
        try h.edit("platform.yaml") {
            $0.replacingOccurrences(of: "{aws: {region: us-east-1, use: mock}}", with: "{aws: {region: us-east-1, use: mock, rateLimits: {ecs: 1}}}")
        }
        let plan = try await CLI.run(["-C", h.dir.path, "plan"])
        #expect(plan.code == 0, "\(plan.all)")
        #expect(plan.stderr.contains("\n  ecs DescribeServices"), "\(plan.stderr)")
        #expect(plan.stderr.contains("\n  ecs: 2 calls, over its rate limit of 1 a second"), "\(plan.stderr)")
    }

    @Test func theClearStateWarningIsGivenOncePerState() async throws {
        let h = try Harness()
        let env = ["LANDLORD_STATE_KEY": ""]
        let first = try await CLI.run(["-C", h.dir.path, "apply", "--auto-approve"], env: env)
        #expect(first.code == 0 && first.stderr.contains("stored in clear"), "\(first.stderr)")
        try h.edit("tenants/acme.yaml") { $0.replacingOccurrences(of: "backend:1.4.2", with: "backend:1.5.0") }
        let second = try await CLI.run(["-C", h.dir.path, "apply", "--auto-approve"], env: env)
        #expect(second.code == 0, "\(second.all)")
        #expect(!second.stderr.contains("stored in clear"), "said once for this state: \(second.stderr)")
    }

    @Test func aLargePlanIsShownInBriefUnlessFull() async throws {
        let h = try Harness.withWebTenants(12)  // 14 tenants
        let brief = try await CLI.run(["-C", h.dir.path, "plan"])
        #expect(brief.code == 0, "\(brief.all)")
        let headers = brief.stdout.split(separator: "\n").filter { $0.hasPrefix("Tenant ") }
        #expect(headers.count == 5, "\(brief.stdout)")
        #expect(brief.stdout.contains("The other 9 tenants, one line each (--full shows every change"), "\(brief.stdout)")
        let oneLiners = brief.stdout.split(separator: "\n").filter { $0.hasPrefix("  + ") && $0.hasSuffix("(new, blueprint web): 14 to create") }
        #expect(oneLiners.count == 9, "\(brief.stdout)")
        #expect(brief.stdout.contains("Plan: 196 to create, 0 to update, 0 to replace, 0 to delete."), "\(brief.stdout)")

        let full = try await CLI.run(["-C", h.dir.path, "plan", "--full"])
        #expect(full.stdout.split(separator: "\n").filter { $0.hasPrefix("Tenant ") }.count == 14, "\(full.stdout)")
        #expect(!full.stdout.contains("one line each"))

        // A saved plan: `show` prints every tenant.
        let file = h.dir.appendingPathComponent("all.plan").path
        #expect(try await CLI.run(["-C", h.dir.path, "plan", "--out", file]).code == 0)
        let shown = try await CLI.run(["show", file])
        #expect(shown.stdout.split(separator: "\n").filter { $0.hasPrefix("Tenant ") }.count == 14, "\(shown.stdout)")

        // The plan apply prints before its progress is in brief too.
        let apply = try await CLI.run(["-C", h.dir.path, "apply", "--auto-approve"])
        #expect(apply.code == 0, "\(apply.all)")
        #expect(apply.stdout.split(separator: "\n").filter { $0.hasPrefix("Tenant ") }.count == 5, "\(apply.stdout)")

        // 15 cognito-idp calls exceed its limit of 10 a second, but the simulated cloud is not
        // paced by it: the refresh stays one line.
        let again = try await CLI.run(["-C", h.dir.path, "plan"])
        #expect(again.stderr.contains(" with ") && !again.stderr.contains("\n  cognito-idp "), "\(again.stderr)")
    }
}
