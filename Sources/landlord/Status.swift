import ArgumentParser
import Foundation
import LandlordCore
import ProviderAPI

/// `landlord status`: each tenant with its status and resource count.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List tenants with their status and resource count.")

    @ParentCommand var root: Landlord

    @Flag(help: "Show each listener of the pool with the rules and target groups it holds.")
    var capacity = false

    @Flag(help: "Print JSON: every tenant with its status, resource count, blueprint and outputs (sensitive ones as (sensitive)).")
    var json = false

    func run() async throws {
        let ctx = try await Context.load(root.global)
        let loaded = try await ctx.loadStates()
        let states = loaded.tenants
        let platform = loaded.platform
        if capacity {
            var rules: [String: Int] = [:]
            var tgs: [String: Int] = [:]
            var tenants: [String: Int] = [:]
            for (_, a) in platform.allocations {
                rules[a.member, default: 0] += a.usage["rules"] ?? 0
                tgs[a.member, default: 0] += a.usage["targetGroups"] ?? 0
                tenants[a.member, default: 0] += 1
            }
            var rows = [["LISTENER", "TENANTS", "RULES", "TARGET GROUPS"]]
            for l in ctx.fleet.platform.pools["listeners"] ?? [] {
                let limit = { (capacity: String) in l.limits[capacity].map(String.init) ?? "-" }
                rows.append([l.id, "\(tenants[l.id] ?? 0)", "\(rules[l.id] ?? 0)/\(limit("rules"))", "\(tgs[l.id] ?? 0)/\(limit("targetGroups"))"])
            }
            ctx.output.print(table(rows))
            return
        }
        var rows = [["TENANT", "STATUS", "RESOURCES", "BLUEPRINT"]]
        let ids = Set(states.keys).union(ctx.fleet.tenants.map(\.id)).sorted()
        // Without state: `pending_approval` when its file says `approval: pending`, else `planned`.
        let unapplied: (String) -> String = { id in ctx.fleet.tenant(id)?.approvalPending == true ? "pending_approval" : "planned" }
        if json {
            let tenants: [Value] = ids.map { id in
                let st = states[id]
                return .map([
                    "tenant": .string(id), "status": .string(st?.status.rawValue ?? unapplied(id)),
                    "file_removed": .bool(ctx.fleet.tenant(id) == nil), "resources": .int(st?.resources.count ?? 0),
                    "blueprint": .string(ctx.fleet.tenant(id)?.blueprint ?? st?.blueprint ?? ""),
                    "outputs": .map(TenantOutputs.displayed(st?.outputs ?? [:])),
                ])
            }
            ctx.output.print(JSON.string(.map(["tenants": .list(tenants)]), sortedKeys: true, pretty: true) + "\n")
            return
        }
        for id in ids {
            let st = states[id]
            let status = st?.status.rawValue ?? unapplied(id)
            let bp = ctx.fleet.tenant(id)?.blueprint ?? st?.blueprint ?? ""
            rows.append([
                id, status + (ctx.fleet.tenant(id) == nil && st?.status != .destroyed ? " (file removed)" : ""), "\(st?.resources.count ?? 0)", bp,
            ])
        }
        ctx.output.print(table(rows))
    }
}

/// Rows as aligned columns: each column as wide as its longest cell (a listener ARN runs past
/// 100 characters), two spaces between columns, one line per row.
func table(_ rows: [[String]]) -> String {
    var widths: [Int] = []
    for row in rows {
        for (i, cell) in row.enumerated() {
            if i < widths.count { widths[i] = max(widths[i], cell.count) } else { widths.append(cell.count) }
        }
    }
    return rows.map { row in
        row.enumerated().map { i, cell in
            i == row.count - 1 ? cell : cell.padding(toLength: widths[i] + 2, withPad: " ", startingAt: 0)
        }.joined()
    }.joined(separator: "\n") + "\n"
}
