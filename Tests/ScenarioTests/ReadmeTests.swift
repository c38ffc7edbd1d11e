import Foundation
import Testing

/// The hand-written command table (docs/commands.md) lists every option each verb's `--help`
/// shows, and no table row of the README or of that page names an option a verb does not have.
/// (docs/cli.md, every verb's whole `--help`, is generated and checked by DocsTests.)
@Suite struct ReadmeTests {
    static let verbs = [
        "init", "validate", "plan", "show", "apply", "destroy", "status", "output", "state list", "state show", "state migrate", "state rekey",
        "unlock", "schema",
        "providers", "provider check", "serve", "tenant create", "tenant approve", "tenant reject", "tenant delete", "tenant update",
        "tenant suspend", "tenant resume", "tenant show",
        "tenant list", "rollout status", "rollout resume", "rollout abort", "rollout release", "graph", "adopt",
    ]
    /// The pages whose tables are checked against the help.
    static let tablePages = ["README.md", "docs/commands.md"]

    /// Rows of `page`'s tables whose first cell names `verb` (`| \`verb ...\` |`).
    static func rows(of verb: String, in page: String) throws -> [String] {
        let text = try String(contentsOf: repoRoot.appendingPathComponent(page), encoding: .utf8)
        return text.split(separator: "\n").map(String.init).filter { line in
            guard line.hasPrefix("| `") else { return false }
            let first = firstCell(line)
            return first.contains("`\(verb) ") || first.contains("`\(verb)`")
        }
    }

    /// The first cell of a table row (a `\|` inside it is text, not a cell boundary).
    static func firstCell(_ row: String) -> String {
        String(row.replacing("\\|", with: "\u{A6}").split(separator: "|").first ?? "")
    }

    /// The options `landlord VERB --help` lists (without --help and --version).
    static func helpFlags(_ verb: String) async throws -> Set<String> {
        let help = try await CLI.run(verb.split(separator: " ").map(String.init) + ["--help"])
        #expect(help.code == 0)
        let options = help.stdout.components(separatedBy: "OPTIONS:").last ?? ""
        return Set(options.matches(of: /(?:^|\s|,)(--[a-z][a-z-]*)/.anchorsMatchLineEndings()).map { String($0.output.1) })
            .subtracting(["--help", "--version"])
    }

    @Test(arguments: verbs) func theCommandTableListsEveryFlagOfTheHelp(_ verb: String) async throws {
        let rows = try Self.rows(of: verb, in: "docs/commands.md").joined(separator: "\n")
        #expect(!rows.isEmpty, "docs/commands.md's command table has no row for `\(verb)`")
        for flag in try await Self.helpFlags(verb).sorted() {
            #expect(rows.contains(flag), "`landlord \(verb) --help` shows \(flag) but docs/commands.md's command table does not")
        }
    }

    @Test(arguments: verbs) func everyFlagATableRowNamesExists(_ verb: String) async throws {
        let known = try await Self.helpFlags(verb).union(["--chdir", "--no-color", "--verbose", "--help", "--version"])
        for page in Self.tablePages {
            for row in try Self.rows(of: verb, in: page) {
                // The code spans of the first cell that are this verb's synopsis (`state list ...`,
                // not the `state show ...` beside it).
                let first = Self.firstCell(row)
                let spans = first.matches(of: /`([^`]*)`/).map { String($0.output.1) }.filter { $0 == verb || $0.hasPrefix(verb + " ") }
                for span in spans {
                    for match in span.matches(of: /(--[a-z][a-z-]*)/) where !known.contains(String(match.output.1)) {
                        Issue.record("\(page): the row for `\(verb)` names \(match.output.1), which `landlord \(verb) --help` does not show")
                    }
                }
            }
        }
    }
}
