import AWSProvider
import ArgumentParser
import Foundation
import LandlordCore
import MockProvider
import PluginProvider
import PostgresProvider
import ProviderAPI
import StripeProvider

/// `landlord providers`: every provider this run can use, built-in and plugin.
struct ProvidersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "providers",
        abstract: "List every provider (built-in and the plugins platform.yaml names): version, protocol version and resource types.",
        discussion: """
            Plugins are the entries of `provider:` in platform.yaml that have a `command`; each is started, \
            greeted and asked for its schema, then shut down. Without a platform.yaml (or -C DIR) only the \
            built-in providers are listed.
            """
    )

    @ParentCommand var root: Landlord

    func run() async throws {
        let output = Output(root.global)
        let dir = URL(fileURLWithPath: root.global.chdir).standardizedFileURL
        var rows: [[String]] = [["PROVIDER", "KIND", "VERSION", "PROTOCOL", "RESOURCE TYPES"]]
        let builtIn: [(String, String, ProviderSchema)] = [
            ("aws", "built-in (AWS)", AWSProvider.resourceSchema), ("stripe", "built-in (Stripe)", StripeProvider.resourceSchema),
            ("postgres", "built-in (PostgreSQL, libpq)", PostgresProvider.resourceSchema),
            ("mock", "built-in (simulated cloud, in mock mode)", MockProvider.resourceSchema),
        ]
        for (name, kind, schema) in builtIn {
            rows.append([name, kind, LandlordVersion.current, "-", schema.resources.keys.sorted().joined(separator: ", ")])
        }
        let (platform, platformDiags) = SpecLoader(schemas: Context.schemas).readPlatform(directory: dir)
        output.diagnostics(platformDiags)
        if let platform, !platform.plugins.isEmpty {
            let outcome = await PluginHost.start(platform.plugins, root: dir, global: root.global)
            let started = outcome.plugins
            let diags = outcome.diagnostics
            output.diagnostics(diags)
            for p in started.sorted(by: { $0.name < $1.name }) {
                rows.append([
                    p.name, "plugin (\(p.info.providerName))", p.info.providerVersion, p.info.protocolVersion,
                    p.schema.resources.keys.sorted().joined(separator: ", "),
                ])
            }
            if diags.hasErrors {
                output.print(Self.table(rows))
                output.error("a plugin above could not be started; fix it and run again")
                throw ExitCode(1)
            }
        }
        output.print(Self.table(rows))
        if platformDiags.hasErrors { throw ExitCode(1) }
    }

    /// Left-aligned columns, two spaces apart.
    static func table(_ rows: [[String]]) -> String {
        var widths: [Int] = []
        for row in rows {
            for (i, cell) in row.enumerated() {
                if i >= widths.count { widths.append(0) }
                widths[i] = max(widths[i], cell.count)
            }
        }
        return rows.map { row in
            row.enumerated().map { i, c in i == row.count - 1 ? c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
