import ArgumentParser
import Foundation
import LandlordCore
import ProviderAPI

/// `landlord output --tenant ID [NAME] [--json] [--show-sensitive]`: the outputs a tenant's
/// blueprint declares, as its last apply computed them.
struct OutputCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "output",
        abstract: "Print a tenant's outputs (as its last apply recorded them).",
        discussion: """
            Outputs are declared in the blueprint (`outputs: {userPoolId: "${users.id}"}`) and computed at \
            apply. Text: one `name = value` a line; with NAME, that output's bare value (for scripts). \
            Sensitive outputs show as (sensitive) unless --show-sensitive.
            """)

    @ParentCommand var root: Landlord

    @Option(name: .customLong("tenant"), help: "The tenant whose outputs to print.")
    var tenant: String

    @Argument(help: "Print only this output, bare (no quotes).")
    var name: String?

    @Flag(help: "Print a JSON object of name to value.")
    var json = false

    @Flag(name: .customLong("show-sensitive"), help: "Print sensitive outputs in clear.")
    var showSensitive = false

    func run() async throws {
        let ctx = try await Context.load(root.global)
        let outputs: [String: Value]?
        do { outputs = try await TenantOutputs.load(tenant, from: ctx.store) } catch {
            ctx.output.error("could not read the state of tenant '\(tenant)': \(error)")
            throw ExitCode(1)
        }
        guard let outputs else {
            if ctx.fleet.tenant(tenant) != nil {
                ctx.output.error("tenant '\(tenant)' has no state yet, so no outputs: apply it first (`landlord apply --tenant \(tenant)`)")
            } else {
                let known = Set(ctx.fleet.tenants.map(\.id)).union((try? await ctx.store.listTenants()) ?? [])
                ctx.output.error("unknown tenant '\(tenant)'\(Suggest.didYouMean(tenant, in: known))")
                ctx.output.printErr("  no tenants/\(tenant).yaml and no state for it; check the id with `landlord status`")
            }
            throw ExitCode(1)
        }
        let shown = TenantOutputs.displayed(outputs, showSensitive: showSensitive)
        if let name {
            guard let v = shown[name] else {
                ctx.output.error("tenant '\(tenant)' has no output '\(name)'\(Suggest.didYouMean(name, in: outputs.keys))")
                ctx.output.printErr(
                    outputs.isEmpty
                        ? "  it has no outputs: declare `outputs:` in its blueprint and apply"
                        : "  its outputs: \(outputs.keys.sorted().joined(separator: ", "))")
                throw ExitCode(1)
            }
            let text = json ? JSON.string(v, sortedKeys: true, pretty: false) : bare(showSensitive ? v : outputs[name]!)
            ctx.output.print(text + "\n")
            return
        }
        if json {
            ctx.output.print(JSON.string(.map(shown), sortedKeys: true, pretty: true) + "\n")
            return
        }
        if outputs.isEmpty {
            ctx.output.printErr("Tenant '\(tenant)' has no outputs (its blueprint declares none, or it is not applied yet).")
            return
        }
        let width = outputs.keys.map(\.count).max() ?? 0
        var out = ""
        for k in outputs.keys.sorted() {
            let v = outputs[k]!
            out += k + String(repeating: " ", count: width - k.count) + " = " + DisplayValue.text(showSensitive ? v.revealed : v) + "\n"
        }
        ctx.output.print(out)
    }

    /// A string as is, anything else as its one-line text (a sensitive one as `(sensitive)`).
    func bare(_ v: Value) -> String {
        if case .string(let s) = v { return s }
        return DisplayValue.text(v)
    }
}
