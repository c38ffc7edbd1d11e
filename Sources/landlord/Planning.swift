import ArgumentParser
import Foundation
import LandlordCore
import ProviderAPI

/// Options shared by the verbs that plan: plan, apply, destroy.
struct PlanningOptions: ParsableArguments {
    @Option(name: .customLong("tenant"), help: "Only this tenant (repeat for several).")
    var tenants: [String] = []

    @Option(name: .customLong("refresh"), help: "Read recorded resources from the providers first to detect drift (true/false).")
    var refresh: Bool = true

    @Flag(help: "Use the simulated cloud (mock provider) whatever platform.yaml says.")
    var mock = false

    @Flag(name: .customLong("allow-protected-deletes"), help: "Allow deleting or replacing resources marked `protect: true`.")
    var allowProtectedDeletes = false

    @Option(
        name: .customLong("shard"),
        help: ArgumentHelp(
            "Only part K of N of the fleet, for N jobs applying it together through shared (S3) state: a tenant is in part (SHA-256 of its id mod N) + 1.",
            valueName: "K/N"),
        transform: { text in
            do throws(InvalidShard) { return try Shard.parse(text) } catch { throw ValidationError(error.description) }
        })
    var shard: Shard?
}

/// Builds a plan from the specs and state, printing diagnostics.
enum Planning {
    static func makePlan(_ ctx: Context, _ opts: PlanningOptions, destroy: Set<String> = []) async throws -> Plan {
        try await makePlan(
            ctx, tenants: opts.tenants, refresh: opts.refresh, allowProtectedDeletes: opts.allowProtectedDeletes, destroy: destroy, shard: opts.shard)
    }

    static func makePlan(
        _ ctx: Context, tenants: [String], refresh: Bool, allowProtectedDeletes: Bool, destroy: Set<String> = [], shard: Shard? = nil
    ) async throws -> Plan {
        let scope: Set<String>? = tenants.isEmpty ? (destroy.isEmpty ? nil : destroy) : Set(tenants)
        let options = PlanOptions(tenants: scope, destroy: destroy, allowProtectedDeletes: allowProtectedDeletes, shard: shard)
        let (plan, diags) = await ctx.workspace.plan(options, refresh: refresh)
        ctx.output.diagnostics(diags)
        guard let plan else {
            ctx.output.error("no plan: fix the \(diags.errors.count) error\(diags.errors.count == 1 ? "" : "s") above; nothing was changed")
            throw ExitCode(1)
        }
        return plan
    }
}
