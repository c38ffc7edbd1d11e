import ArgumentParser
import Foundation
import LandlordCore

/// `landlord apply`: plan and carry out the changes.
struct Apply: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Carry out the changes a plan shows.",
        discussion:
            """
            Plans, shows the plan and asks for approval (or takes --auto-approve), then applies in dependency \
            order. Every create is recorded as an intent before it is sent and every result as it lands, so a \
            run killed at any moment is finished by the next one.
            """
    )

    @ParentCommand var root: Landlord
    @OptionGroup var planning: PlanningOptions
    @OptionGroup var applying: ApplyingOptions

    @Argument(
        help: "A plan saved with `landlord plan --out FILE` (a relative path is taken from -C): applied exactly, without asking, never re-planned.")
    var planFile: String?

    func validate() throws {
        if planFile != nil && !planning.tenants.isEmpty {
            throw ValidationError("a saved plan already names its tenants; plan with --tenant, then apply the file")
        }
    }

    func run() async throws {
        if let planFile {
            try await applySaved(planFile)
            return
        }
        let ctx = try await Context.load(root.global, mock: planning.mock, unchanged: "nothing was applied", writes: true)
        let plan = try await Planning.makePlan(ctx, planning)
        let planning = planning
        let replan: Rollout.Replanner = { tenants in
            try? await Planning.makePlan(
                ctx, tenants: tenants.sorted(), refresh: planning.refresh, listing: planning.refreshMode != .full,
                allowProtectedDeletes: planning.allowProtectedDeletes, shard: planning.shard)
        }
        try await Applying.confirmAndApply(ctx, consume plan, applying, operation: .apply, replan: replan, brief: planning.brief(root.global))
    }

    /// Applies a saved plan exactly, after the engine checked it still describes the world and
    /// took its sensitive values again from the specs.
    func applySaved(_ path: String) async throws {
        let output = Output(root.global)
        let saved = try SavedPlan.read(path, root.global, output)
        let ctx = try await Context.load(root.global, mock: planning.mock, unchanged: "nothing was applied", writes: true)
        if !saved.appliedTenants.isEmpty {
            let n = saved.appliedTenants.count
            output.printErr("\(n) tenant\(n == 1 ? " was" : "s were") applied from this plan by an earlier run; applying the rest.")
        }
        let plan = try await prepared(saved, path, ctx)
        let file = root.global.resolve(path)
        let brief = Planning.brief(hint: "`\(root.global.command) show \(Invocation.shellQuoted(path))` shows every change")
        Applying.show(ctx, plan, applying, brief: planning.full ? nil : brief)
        if plan.isEmpty { return }
        // The engine writes the tenants done back into the file, so `--max-tenants` / `--waves`
        // runs of the same file pick up where the last one stopped.
        try await Applying.run(ctx, .plan(plan), applying, operation: .apply, planFile: file)
    }

    /// The saved plan with its sensitive values, or the reasons it is refused and exit code 1.
    func prepared(_ saved: Plan, _ path: String, _ ctx: Context) async throws -> Plan {
        switch await Rollout.prepare(saved: saved, workspace: ctx.workspace, shard: planning.shard) {
        case .success(let plan):
            return plan
        case .failure(.unreadableState(let message)):
            ctx.output.error(message)
        case .failure(.stale(let problems)):
            for p in problems { ctx.output.error(p) }
            ctx.output.error(
                "the saved plan \(root.global.resolve(path)) is stale, so nothing was applied: "
                    + "plan again with `\(SavedPlan.planAgain(path, root.global))`, "
                    + "review it, and apply that")
        case .failure(.secretChanged(let message)):
            ctx.output.error("\(message); nothing was applied")
        case .failure(.otherShard(let message)):
            ctx.output.error("\(message); nothing was applied")
        }
        throw ExitCode(1)
    }
}
