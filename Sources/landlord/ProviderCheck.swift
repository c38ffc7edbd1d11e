import ArgumentParser
import Foundation
import LandlordCore
import PluginProvider
import ProviderAPI

/// `landlord provider`: commands about one provider plugin.
struct ProviderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provider",
        abstract: "Commands about a provider plugin: `landlord provider check -- CMD ARGS`.",
        subcommands: [Check.self]
    )

    /// `landlord provider check -- CMD ARGS`: the conformance suite.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Run the provider protocol's conformance suite against a plugin: landlord provider check -- python3 plugin.py",
            discussion: """
                Starts the plugin (in the current directory, or -C DIR, with PATH, HOME and the variables given \
                with --env), then checks: the handshake (protocol version), the schema, for each resource type a \
                create, read, import, update and delete of the scratch resource its schema marks safe for tests \
                (`test: {create: {...}, update: {...}}`), that malformed requests get JSON-RPC errors without \
                stopping the plugin, and that it exits on shutdown. Prints each check; exits 1 when any fails.
                """
        )

        @ParentCommand var root: Landlord

        @Option(name: .customLong("env"), help: "A variable passed on to the plugin (repeat for several).")
        var env: [String] = []

        @Option(help: "The plugin's `config`, as JSON (default {}).")
        var config: String = "{}"

        @Option(help: "Seconds one call may take.")
        var timeout: Double = 30

        @Argument(parsing: .postTerminator, help: "The plugin's command and arguments, after --.")
        var command: [String] = []

        func run() async throws {
            let output = Output(root.global)
            guard !command.isEmpty else {
                output.error("name the plugin's command after --: landlord provider check -- python3 plugins/acme.py")
                throw ExitCode(64)
            }
            guard let config = (try? JSON.parse(config))?.mapValue else {
                output.error("--config must be a JSON object, e.g. --config '{\"root\": \"out\"}'")
                throw ExitCode(64)
            }
            let settings = PluginSettings(
                name: "", command: command, directory: URL(fileURLWithPath: root.global.chdir).standardizedFileURL, passedEnvironment: env,
                config: config, timeout: timeout, stderrEcho: root.global.verbose ? PluginHost.stderrEcho("plugin") : nil)
            let results = await PluginConformance.run(settings, hostVersion: LandlordVersion.current) { c in
                output.print("\(c.passed ? "ok  " : "FAIL") \(c.name): \(c.detail)\n")
            }
            let failed = results.filter { !$0.passed }
            if failed.isEmpty {
                output.print("\nall \(results.count) checks passed\n")
            } else {
                output.error(
                    """
                    \(failed.count) of \(results.count) checks failed: \(failed.map(\.name).joined(separator: ", ")); \
                    fix the plugin (see Providers/PROTOCOL.md) and run the check again
                    """
                )
                throw ExitCode(1)
            }
        }
    }
}
