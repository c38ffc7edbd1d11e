import ArgumentParser
import Foundation
import LandlordCore

/// `landlord status`: each tenant with its status and resource count.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List tenants with their status and resource count.")

    @ParentCommand var root: Landlord

    @Flag(help: "Show each listener of the pool with the rules and target groups it holds.")
    var capacity = false

    func run() async throws {
        let ctx = try Context.load(root.global)
        let (states, platform) = try await ctx.loadStates()
        if capacity {
            var rules: [String: Int] = [:], tgs: [String: Int] = [:], tenants: [String: Int] = [:]
            for (_, a) in platform.allocations { rules[a.listener, default: 0] += a.rules; tgs[a.listener, default: 0] += a.targetGroups; tenants[a.listener, default: 0] += 1 }
            var out = pad(["LISTENER", "TENANTS", "RULES", "TARGET GROUPS"], [60, 8, 12, 14]) + "\n"
            for l in ctx.fleet.platform.listeners {
                out += pad([l.arn, "\(tenants[l.arn] ?? 0)", "\(rules[l.arn] ?? 0)/\(l.maxRules)", "\(tgs[l.arn] ?? 0)/\(l.maxTargetGroups)"], [60, 8, 12, 14]) + "\n"
            }
            ctx.output.print(out)
            return
        }
        var out = pad(["TENANT", "STATUS", "RESOURCES", "BLUEPRINT"], [24, 14, 10, 16]) + "\n"
        let ids = Set(states.keys).union(ctx.fleet.tenants.map(\.id)).sorted()
        for id in ids {
            let st = states[id]
            let status = st?.status.rawValue ?? "planned"
            let bp = ctx.fleet.tenant(id)?.blueprint ?? st?.blueprint ?? ""
            out += pad([id, status + (ctx.fleet.tenant(id) == nil && st?.status != .destroyed ? " (file removed)" : ""), "\(st?.resources.count ?? 0)", bp], [24, 14, 10, 16]) + "\n"
        }
        ctx.output.print(out)
    }
}

func pad(_ cols: [String], _ widths: [Int]) -> String {
    zip(cols, widths).map { c, w in c.count >= w ? c + " " : c.padding(toLength: w, withPad: " ", startingAt: 0) }.joined().trimmingCharacters(in: .whitespaces)
}
