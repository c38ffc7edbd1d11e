import ArgumentParser
import Foundation
import LandlordCore

/// `landlord apply`: plan and carry out the changes.
struct Apply: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Carry out the changes a plan shows.",
        discussion:
            "Plans, shows the plan and asks for approval (or takes --auto-approve), then applies in dependency order. Every create is recorded as an intent before it is sent and every result as it lands, so a run killed at any moment is finished by the next one."
    )

    @ParentCommand var root: Landlord
    @OptionGroup var planning: PlanningOptions
    @OptionGroup var applying: ApplyingOptions

    @Argument(help: "A plan saved with `landlord plan --out FILE`: applied exactly, without asking, never re-planned.")
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
        let ctx = try Context.load(root.global, mock: planning.mock, unchanged: "nothing was applied", writes: true)
        let plan = try await Planning.makePlan(ctx, planning)
        try await Applying.confirmAndApply(ctx, plan, applying, operation: "apply") { tenants in
            try await Planning.makePlan(
                ctx, tenants: tenants.sorted(), refresh: planning.refresh, allowProtectedDeletes: planning.allowProtectedDeletes)
        }
    }

    /// Applies a saved plan exactly, after checking it still describes the world.
    func applySaved(_ path: String) async throws {
        let output = Output(root.global)
        var plan = try SavedPlan.read(path, output)
        let ctx = try Context.load(root.global, mock: planning.mock, unchanged: "nothing was applied", writes: true)
        let (states, platform) = try await ctx.loadStates()
        if !plan.appliedTenants.isEmpty {
            output.printErr(
                "\(plan.appliedTenants.count) tenant\(plan.appliedTenants.count == 1 ? " was" : "s were") applied from this plan by an earlier run; applying the rest."
            )
        }
        let problems = PlanFreshness.problems(plan, fleet: ctx.fleet, states: states)
        if !problems.isEmpty {
            for p in problems { output.error(p) }
            output.error(
                "the saved plan \(path) is stale, so nothing was applied: plan again with `landlord plan --out \(path)`, review it, and apply that")
            throw ExitCode(1)
        }
        // Sensitive values are stored only as hashes: take them again from the specs.
        let fresh = Planner.plan(
            PlanInput(fleet: ctx.fleet, states: states, platformState: platform, schemas: ctx.registry.schemas),
            options: PlanOptions(tenants: Set(plan.tenants.map(\.tenant)).subtracting(plan.appliedTenants), allowProtectedDeletes: true)
        ).0
        do { try PlanFile.restoreSecrets(&plan, from: fresh) } catch {
            output.error("\(error.description); nothing was applied")
            throw ExitCode(1)
        }
        if applying.json { output.printErr(TextRenderer().render(plan)) } else { output.print(TextRenderer(palette: output.palette).render(plan)) }
        if plan.isEmpty { return }
        // Tenants done are written back into the file, so `--max-tenants` / `--waves` runs of the
        // same file pick up where the last one stopped.
        var progress = plan
        try await Applying.run(
            ctx, plan, applying, operation: "apply",
            recordDone: { done in
                progress.appliedTenants.formUnion(done)
                try AtomicFile.write(PlanFile.encode(progress), to: path, durable: true)
            })
    }
}
