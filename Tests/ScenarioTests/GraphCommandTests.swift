import Foundation
import LandlordTestSupport
import Testing

/// `landlord graph` (issue 25): a tenant's or a blueprint's dependency graph in Graphviz DOT,
/// coloured by a saved plan's actions, and drawn by Debian's `dot` where it is installed.
@Suite struct GraphCommandTests {
    /// Graphviz's `dot`, when installed (`apt-get install graphviz`).
    static let dot: URL? = ["/usr/bin/dot", "/usr/local/bin/dot"].first { FileManager.default.isExecutableFile(atPath: $0) }.map {
        URL(fileURLWithPath: $0)
    }

    /// The DOT line of a node, by name.
    static func node(_ dot: String, _ name: String) -> String? {
        dot.split(separator: "\n").map(String.init).first { $0.hasPrefix("  \"\(name)\" [") }
    }

    @Test func aTenantsGraphHasItsDependencies() async throws {
        let h = try Harness()
        let r = try await CLI.run(["-C", h.dir.path, "graph", "--tenant", "acme"])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("digraph landlord {") && r.stdout.hasSuffix("}\n"))
        #expect(r.stdout.contains("\"backend_rule\" -> \"backend_tg\";"))
        // dependsOn without a reference is an edge too.
        #expect(r.stdout.contains("\"frontend\" -> \"backend\";"))
        #expect(Self.node(r.stdout, "backend_task")?.contains("aws.ecs_task_definition") == true)
    }

    /// examples/tiers: the blueprint shows the silo dashed with its condition; a basic tenant's
    /// graph leaves it out.
    @Test func tiersAreDecidedForATenant() async throws {
        let h = try Harness(example: "tiers")
        let bp = try await CLI.run(["-C", h.dir.path, "graph"])
        #expect(bp.code == 0, "\(bp.stderr)")
        let silo = try #require(Self.node(bp.stdout, "silo_tg"))
        #expect(silo.contains("dashed") && silo.contains("when: ${tier} == 'premium'"))
        let basic = try await CLI.run(["-C", h.dir.path, "graph", "--tenant", "globex"])
        #expect(basic.code == 0 && Self.node(basic.stdout, "silo_tg") == nil && Self.node(basic.stdout, "users") != nil)
        let premium = try await CLI.run(["-C", h.dir.path, "graph", "--tenant", "acme"])
        #expect(Self.node(premium.stdout, "silo_tg") != nil)
    }

    @Test func aPlanColoursTheNodes() async throws {
        let h = try Harness()
        try await h.apply()
        try h.edit("tenants/acme.yaml") { $0.replacingOccurrences(of: "backend:1.4.2", with: "backend:1.5.0") }
        let file = h.dir.appendingPathComponent("review.plan").path
        #expect(try await CLI.run(["-C", h.dir.path, "plan", "--mock", "--out", file]).code == 0)
        let r = try await CLI.run(["-C", h.dir.path, "graph", "--tenant", "acme", "--plan", file])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(Self.node(r.stdout, "backend_task")?.contains("fillcolor=\"#d7b5f0\"") == true, "replace: purple")
        #expect(Self.node(r.stdout, "backend")?.contains("fillcolor=\"#ffe08a\"") == true, "update: amber")
        #expect(Self.node(r.stdout, "users")?.contains("fillcolor=\"#eeeeee\"") == true, "unchanged: grey")
        // Over the blueprint, a node counts the tenants per action.
        let bp = try await CLI.run(["-C", h.dir.path, "graph", "--plan", file])
        #expect(Self.node(bp.stdout, "backend_task")?.contains("1 replace") == true)
    }

    @Test func badNamesSayWhatToDo() async throws {
        let h = try Harness()
        let r = try await CLI.run(["-C", h.dir.path, "graph", "--tenant", "acmee"])
        #expect(r.code == 1 && r.stderr.contains("did you mean 'acme'"))
        let both = try await CLI.run(["-C", h.dir.path, "graph", "--tenant", "acme", "--blueprint", "web"])
        #expect(both.code != 0 && both.stderr.contains("not both"))
        let plan = try await CLI.run(["-C", h.dir.path, "graph", "--plan", h.dir.appendingPathComponent("none.plan").path])
        #expect(plan.code == 1 && plan.stderr.contains(" -C \(h.dir.path) plan --out "), "\(plan.stderr)")
    }

    /// Debian's `dot` draws the graph as SVG (skipped where Graphviz is not installed).
    @Test(.enabled(if: dot != nil, "Graphviz's dot is not installed (apt-get install graphviz)"))
    func dotDrawsIt() async throws {
        let h = try Harness(example: "tiers")
        try await h.apply()
        try h.edit("tenants/globex.yaml") { $0.replacingOccurrences(of: "tier: basic", with: "tier: premium") }
        let file = h.dir.appendingPathComponent("review.plan").path
        #expect(try await CLI.run(["-C", h.dir.path, "plan", "--mock", "--out", file]).code == 0)
        let graph = try await CLI.run(["-C", h.dir.path, "graph", "--tenant", "globex", "--plan", file])
        #expect(graph.code == 0, "\(graph.stderr)")
        let svg = try await Spawned.run(try #require(Self.dot), ["-Tsvg"], stdin: graph.stdout)
        #expect(svg.code == 0, "\(svg.stderr)")
        #expect(svg.stdout.contains("<svg") && svg.stdout.contains("silo_tg"))
    }
}
