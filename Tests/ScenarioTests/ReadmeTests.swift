import Foundation
import Testing

/// The README's command table lists every option each verb's `--help` shows.
@Suite struct ReadmeTests {
    static let verbs = [
        "init", "validate", "plan", "show", "apply", "destroy", "status", "output", "state list", "state show", "state migrate", "unlock", "schema",
        "providers", "provider check", "serve", "tenant create", "tenant approve", "tenant reject", "tenant delete", "tenant show",
        "tenant list", "rollout status", "rollout resume", "rollout abort", "rollout release", "graph", "adopt",
    ]

    @Test(arguments: verbs) func theCommandTableListsEveryFlagOfTheHelp(_ verb: String) async throws {
        let readme = try String(contentsOf: repoRoot.appendingPathComponent("README.md"), encoding: .utf8)
        // Rows of the command table whose first cell names the verb.
        let rows = readme.split(separator: "\n").filter { line in
            guard line.hasPrefix("| `") else { return false }
            let first = line.split(separator: "|").first ?? ""
            return first.contains("`\(verb) ") || first.contains("`\(verb)`")
        }.joined(separator: "\n")
        #expect(!rows.isEmpty, "README's command table has no row for `\(verb)`")
        let help = try await CLI.run(verb.split(separator: " ").map(String.init) + ["--help"])
        #expect(help.code == 0)
        let options = help.stdout.components(separatedBy: "OPTIONS:").last ?? ""
        let flags = Set(options.matches(of: /(?:^|\s|,)(--[a-z][a-z-]*)/.anchorsMatchLineEndings()).map { String($0.output.1) })
            .subtracting(["--help", "--version"])
        for flag in flags.sorted() {
            #expect(rows.contains(flag), "`landlord \(verb) --help` shows \(flag) but README's command table does not")
        }
    }
}
