import Foundation
import LandlordCore
import LandlordTestSupport
import Testing

/// The README and docs/ cannot drift from the code: the generated reference pages equal a fresh
/// generation, the pictures were drawn from their current sources, every relative link and
/// anchor resolves, and every walk-through runs with the built binaries.
@Suite struct DocsTests {
    /// README.md and every markdown page under docs/, as paths from the repository root.
    static let pages: [String] = {
        let docs = repoRoot.appendingPathComponent("docs")
        let found = FileManager.default.enumerator(atPath: docs.path)?.compactMap { $0 as? String } ?? []
        return ["README.md"] + found.filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
    }()

    static func read(_ relative: String) throws -> String {
        try String(contentsOf: repoRoot.appendingPathComponent(relative), encoding: .utf8)
    }

    static func bash(_ script: String, _ args: [String], env: [String: String] = [:]) async throws -> ProcessRun {
        try await Spawned.run(URL(fileURLWithPath: "/bin/bash"), [repoRoot.appendingPathComponent(script).path] + args, env: env)
    }

    @Test func theGeneratedReferencePagesAreCurrent() async throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("landlord-docs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try await Self.bash("scripts/docs-reference.sh", [out.path], env: ["LANDLORD_BIN": CLI.binary.path])
        try #require(run.code == 0, "scripts/docs-reference.sh failed: \(run.all)")
        for page in ["cli.md", "spec.md", "api.md"] {
            let fresh = try String(contentsOf: out.appendingPathComponent(page), encoding: .utf8)
            let checkedIn = try Self.read("docs/" + page)
            if fresh != checkedIn { Issue.record("docs/\(page) is stale: run scripts/docs-reference.sh and commit it") }
        }
    }

    @Test func theArchitecturePicturesAreDrawnFromTheirSources() throws {
        let dir = repoRoot.appendingPathComponent("docs/architecture")
        let sources = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".dot") }.sorted()
        #expect(sources.count >= 2, "docs/architecture holds the layers and the flow of one plan")
        for source in sources {
            let digest = Digest.sha256Hex(try Data(contentsOf: dir.appendingPathComponent(source)))
            let svg = dir.appendingPathComponent(String(source.dropLast(4)) + ".svg")
            let drawn = (try? String(contentsOf: svg, encoding: .utf8)) ?? ""
            if !drawn.contains("<svg") {
                Issue.record("docs/architecture/\(svg.lastPathComponent) is missing: run scripts/docs-pictures.sh")
            } else if !drawn.contains("drawn from \(source) sha256:\(digest) ") {
                Issue.record("docs/architecture/\(svg.lastPathComponent) was drawn from another version of \(source): run scripts/docs-pictures.sh")
            }
        }
    }

    @Test(arguments: pages) func everyRelativeLinkAndAnchorResolves(_ page: String) throws {
        let text = try Self.read(page)
        let base = repoRoot.appendingPathComponent(page).deletingLastPathComponent()
        for link in MarkdownLinks.links(in: text) {
            let parts = link.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let path = parts[0].removingPercentEncoding ?? parts[0]
            let target = path.isEmpty ? repoRoot.appendingPathComponent(page) : base.appendingPathComponent(path).standardizedFileURL
            #expect(FileManager.default.fileExists(atPath: target.path), "\(page): the link (\(link)) points at nothing")
            guard parts.count == 2, target.pathExtension == "md", let other = try? String(contentsOf: target, encoding: .utf8) else { continue }
            #expect(
                MarkdownLinks.anchors(in: other).contains(parts[1]),
                "\(page): the link (\(link)) names an anchor \(target.lastPathComponent) has no heading for")
        }
    }

    /// The walk-throughs marked in README.md and docs/ (`<!-- walkthrough: NAME -->` before a sh block).
    static let walkthroughs: [String] = {
        var names: [String] = []
        for page in pages {
            let text = (try? read(page)) ?? ""
            for match in text.matches(of: /<!-- walkthrough: ([a-z0-9-]+)( needs=[a-z]+)? -->\n```sh\n/) {
                let name = String(match.output.1)
                if !names.contains(name) { names.append(name) }
            }
        }
        return names
    }()

    @Test func theReadmeAndGettingStartedHaveWalkthroughs() {
        for name in ["quickstart", "api", "getting-started", "service", "s3-state", "rollouts"] {
            #expect(Self.walkthroughs.contains(name), "no walk-through named \(name) in README.md or docs/")
        }
    }

    @Test(arguments: walkthroughs) func theWalkthroughRuns(_ name: String) async throws {
        let bin = CLI.binary.deletingLastPathComponent()
        let run = try await Self.bash("scripts/docs-walkthroughs.sh", [name], env: ["LANDLORD_BIN_DIR": bin.path])
        #expect(run.code == 0, "walk-through \(name) failed (scripts/docs-walkthroughs.sh \(name)):\n\(run.all.suffix(6000))")
    }
}

/// Links and heading anchors of a markdown page, as GitHub renders them.
enum MarkdownLinks {
    /// The page's lines outside fenced code blocks, with inline code spans removed.
    static func prose(_ text: String) -> [String] {
        var out: [String] = []
        var fenced = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") {
                fenced.toggle()
                continue
            }
            if !fenced { out.append(String(line).replacing(/`[^`]*`/, with: "")) }
        }
        return out
    }

    /// The relative link targets of the page (`[text](target)`, images too); web and mail links are left out.
    static func links(in text: String) -> [String] {
        prose(text).flatMap { line in
            line.matches(of: /\]\(([^)\s]+)\)/).map { String($0.output.1) }
        }.filter { !$0.hasPrefix("http://") && !$0.hasPrefix("https://") && !$0.hasPrefix("mailto:") }
    }

    /// The anchors GitHub gives the page's headings: lowercased, punctuation but `-` and `_`
    /// dropped, spaces as `-`, a repeated one suffixed `-1`, `-2`, ...
    static func anchors(in text: String) -> Set<String> {
        var seen: [String: Int] = [:]
        var out: Set<String> = []
        var fenced = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") { fenced.toggle() }
            guard !fenced, let match = line.wholeMatch(of: /#{1,6} +(.*)/) else { continue }
            var slug = ""
            for ch in String(match.output.1).lowercased() {
                if ch.isLetter || ch.isNumber || ch == "-" || ch == "_" {
                    slug.append(ch)
                } else if ch == " " {
                    slug.append("-")
                }
            }
            let n = seen[slug, default: 0]
            seen[slug] = n + 1
            out.insert(n == 0 ? slug : "\(slug)-\(n)")
        }
        return out
    }
}
