import Foundation
import LandlordCore
import MockProvider
import Testing

/// Text, JSON, markdown and Terraform JSON renderings of the quickstart scenarios, checked against the files in
/// Plans/golden so that a rendering change is a reviewed change. Regenerate with
/// `LANDLORD_UPDATE_GOLDEN=1 swift test --disable-xctest --filter GoldenPlanTests`.
@Suite(.serialized) struct GoldenPlanTests {
    static let goldenDir = repoRoot.appendingPathComponent("Plans/golden")

    /// A harness whose simulated cloud generates the same ids every run.
    func harness() throws -> Harness {
        var h = try Harness()
        h.settings.seed = 1
        return h
    }

    func check(_ plan: Plan, _ name: String) throws {
        // Terraform's format has a timestamp: the plan's, fixed here.
        var stamped = plan
        stamped.createdAt = Date(timeIntervalSince1970: 1_800_000_000)
        let renderings = [
            "\(name).txt": TextRenderer().render(plan),
            "\(name).json": JSONRenderer().render(plan),
            "\(name).md": MarkdownRenderer().render(plan),
            "\(name).tf.json": TerraformJSONTests.renderer.render(stamped),
        ]
        for (file, text) in renderings.sorted(by: { $0.key < $1.key }) {
            let url = Self.goldenDir.appendingPathComponent(file)
            if ProcessInfo.processInfo.environment["LANDLORD_UPDATE_GOLDEN"] == "1" {
                try text.write(to: url, atomically: true, encoding: .utf8)
                continue
            }
            let golden = try String(contentsOf: url, encoding: .utf8)
            #expect(
                text == golden,
                """
                rendering \(file) differs from Plans/golden/\(file); if the change is intended, regenerate with \
                LANDLORD_UPDATE_GOLDEN=1 and review the diff
                """
            )
        }
    }

    @Test func firstCreate() async throws {
        try check(try await harness().plan(), "create")
    }

    @Test func oneUpdate() async throws {
        let h = try harness()
        try await h.apply(parallelism: 1)
        try h.edit("tenants/acme.yaml") { $0.replacingOccurrences(of: "tier: premium", with: "tier: premium, replicas: 3") }
        try check(try await h.plan(), "update")
    }

    @Test func oneReplace() async throws {
        let h = try harness()
        try await h.apply(parallelism: 1)
        try h.edit("tenants/acme.yaml") { $0.replacingOccurrences(of: "backend:1.4.2", with: "backend:1.5.0") }
        try check(try await h.plan(), "replace")
    }

    /// globex's file says `approval: pending`: acme is created, globex only listed.
    @Test func awaitingApproval() async throws {
        let h = try harness()
        try h.edit("tenants/globex.yaml") { $0 + ($0.hasSuffix("\n") ? "" : "\n") + "approval: pending\n" }
        try check(try await h.plan(), "awaiting")
    }

    @Test func oneTenantRemoved() async throws {
        let h = try harness()
        try await h.apply(parallelism: 1)
        try h.remove("tenants/globex.yaml")
        try check(try await h.plan(), "remove")
    }

    /// examples/tiers: globex goes from basic to premium (the silo is created, the tenant
    /// record updated, nothing deleted; the silo's output appears).
    @Test func tierUpgrade() async throws {
        var h = try Harness(example: "tiers")
        h.settings.seed = 1
        try await h.apply(parallelism: 1)
        try h.edit("tenants/globex.yaml") { $0.replacingOccurrences(of: "tier: basic", with: "tier: premium") }
        try check(try await h.plan(), "tier-upgrade")
    }

    /// examples/tiers: acme goes from premium to basic (exactly the silo is deleted).
    @Test func tierDowngrade() async throws {
        var h = try Harness(example: "tiers")
        h.settings.seed = 1
        try await h.apply(parallelism: 1)
        try h.edit("tenants/acme.yaml") { $0.replacingOccurrences(of: "tier: premium", with: "tier: basic") }
        try check(try await h.plan(), "tier-downgrade")
    }

    @Test func jsonRenderingIsDeterministic() async throws {
        let h = try harness()
        let a = JSONRenderer().render(try await h.plan())
        let b = JSONRenderer().render(try await h.plan())
        #expect(a == b)
    }
}
