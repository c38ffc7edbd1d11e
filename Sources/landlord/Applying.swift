import ArgumentParser
import Foundation
import LandlordCore
#if canImport(Glibc)
import Glibc
#endif

/// Options of the verbs that apply: apply and destroy.
struct ApplyingOptions: ParsableArguments {
    @Flag(name: .customLong("auto-approve"), help: "Apply without asking (needed when there is no terminal).")
    var autoApprove = false

    @Option(help: "Provider operations in flight at once.")
    var parallelism: Int = 10

    @Option(name: .customLong("lock-timeout"), help: "Seconds to wait for a tenant lock held by another run (default 0: fail at once).")
    var lockTimeout: Double = 0

    func validate() throws {
        guard parallelism >= 1 else { throw ValidationError("--parallelism must be at least 1") }
        guard lockTimeout >= 0 else { throw ValidationError("--lock-timeout cannot be negative") }
    }
}

/// Shows a plan, asks for approval, applies it and reports.
enum Applying {
    static func confirmAndApply(_ ctx: Context, _ plan: Plan, _ opts: ApplyingOptions, operation: String,
                                replan: ((Set<String>) async throws -> Plan)? = nil) async throws {
        ctx.output.print(TextRenderer(palette: ctx.output.palette).render(plan))
        if plan.isEmpty {
            ctx.finish()
            return
        }
        if !opts.autoApprove {
            guard isatty(0) == 1 else {
                ctx.output.error("no terminal to ask for approval, so nothing was changed: pass --auto-approve, or save the plan with `landlord plan --out FILE` and apply that file")
                throw ExitCode(1)
            }
            ctx.output.print("\nDo you want to perform these actions? Only 'yes' will be accepted.\n  Enter a value: ")
            guard readLine()?.trimmingCharacters(in: .whitespaces) == "yes" else {
                ctx.output.print("\n\(operation.capitalized) cancelled; nothing was changed.\n")
                throw ExitCode(1)
            }
        }
        try await run(ctx, plan, opts, operation: operation, replan: replan)
    }

    /// Applies `plan`. `replan` (not for saved plans) plans the named tenants again: a run that
    /// waited for a lock finds their state moved and applies what is left to do.
    static func run(_ ctx: Context, _ plan: Plan, _ opts: ApplyingOptions, operation: String,
                    replan: ((Set<String>) async throws -> Plan)? = nil) async throws {
        let options = ApplyOptions(parallelism: opts.parallelism, lockTimeout: opts.lockTimeout, holder: LockHolder(operation: operation), platform: ctx.fleet.platform.name)
        let observer = ProgressPrinter(output: ctx.output, plan: plan)
        let started = Date()
        var result = await ctx.workspace.apply(plan, options: options, observer: observer)
        let stale = Set(result.tenants.filter(\.stale).map(\.tenant))
        if let replan, opts.lockTimeout > 0, !stale.isEmpty {
            ctx.output.printErr("\(stale.count) tenant\(stale.count == 1 ? "" : "s") changed while waiting for the lock: planning \(stale.count == 1 ? "it" : "them") again")
            let again = try await replan(stale)
            ctx.output.print(TextRenderer(palette: ctx.output.palette).render(again))
            let second = await ctx.workspace.apply(again, options: options, observer: observer)
            var merged = result.tenants.filter { !stale.contains($0.tenant) }
            merged += stale.map { t in second.tenants.first { $0.tenant == t } ?? TenantOutcome(tenant: t, status: .active, applied: 0, failed: 0, skipped: 0, errors: [], seconds: 0) }
            var diags = Diagnostics(result.diagnostics.items.filter { d in !stale.contains { d.address == $0 } })
            diags.append(contentsOf: second.diagnostics)
            result = ApplyResult(tenants: merged.sorted { $0.tenant < $1.tenant }, diagnostics: diags)
        }
        ctx.finish()
        let p = ctx.output.palette
        var applied = 0, failed = 0, skipped = 0
        for o in result.tenants { applied += o.applied; failed += o.failed; skipped += o.skipped }
        let secs = Date().timeIntervalSince(started)
        if result.failed {
            ctx.output.printErr("")
            for d in result.diagnostics.items where d.severity == .error { ctx.output.diagnostic(d) }
            let bad = result.tenants.filter { $0.status == .failed }.map(\.tenant)
            ctx.output.print("\n" + p.red("\(operation.capitalized) failed") + " for \(bad.count) tenant\(bad.count == 1 ? "" : "s") (\(bad.prefix(10).joined(separator: ", "))\(bad.count > 10 ? ", ..." : "")): \(applied) change\(applied == 1 ? "" : "s") applied, \(failed) failed, \(skipped) not attempted, in \(String(format: "%.1f", secs))s.\nWhat was applied is recorded; fix the errors above and run apply again to finish.\n")
            throw ExitCode(1)
        }
        ctx.output.print("\n" + p.green("\(operation.capitalized) complete!") + " \(applied) change\(applied == 1 ? "" : "s") applied to \(result.tenants.count) tenant\(result.tenants.count == 1 ? "" : "s") in \(String(format: "%.1f", secs))s.\n")
    }
}

/// `landlord apply`: plan and carry out the changes.
struct Apply: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Carry out the changes a plan shows.",
        discussion: "Plans, shows the plan and asks for approval (or takes --auto-approve), then applies in dependency order, recording state after every resource.")

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
        let ctx = try Context.load(root.global, mock: planning.mock)
        let plan = try await Planning.makePlan(ctx, planning)
        try await Applying.confirmAndApply(ctx, plan, applying, operation: "apply") { tenants in
            try await Planning.makePlan(ctx, tenants: tenants.sorted(), refresh: planning.refresh, allowProtectedDeletes: planning.allowProtectedDeletes)
        }
    }

    /// Applies a saved plan exactly, after checking it still describes the world.
    func applySaved(_ path: String) async throws {
        let output = Output(root.global)
        var plan = try SavedPlan.read(path, output)
        let ctx = try Context.load(root.global, mock: planning.mock)
        let (states, platform) = try await ctx.loadStates()
        let problems = PlanFreshness.problems(plan, fleet: ctx.fleet, states: states)
        if !problems.isEmpty {
            for p in problems { output.error(p) }
            output.error("the saved plan \(path) is stale, so nothing was applied: plan again with `landlord plan --out \(path)`, review it, and apply that")
            throw ExitCode(1)
        }
        // Sensitive values are stored only as hashes: take them again from the specs.
        let fresh = Planner.plan(PlanInput(fleet: ctx.fleet, states: states, platformState: platform, schemas: ctx.registry.schemas),
                                 options: PlanOptions(tenants: Set(plan.tenants.map(\.tenant)), allowProtectedDeletes: true)).0
        do { try PlanFile.restoreSecrets(&plan, from: fresh) } catch {
            output.error("\(error.description); nothing was applied")
            throw ExitCode(1)
        }
        ctx.output.print(TextRenderer(palette: ctx.output.palette).render(plan))
        if plan.isEmpty { return }
        try await Applying.run(ctx, plan, applying, operation: "apply")
    }
}

/// `landlord destroy --tenant ID`: delete every resource of tenants, leaving their files.
struct Destroy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Delete every resource of the named tenants, in reverse dependency order.",
        discussion: "The tenant files stay; the tenants are recorded as destroyed and left alone by later plans until named with --tenant again.")

    @ParentCommand var root: Landlord

    @Option(name: .customLong("tenant"), help: "The tenant to destroy (repeat for several).")
    var tenants: [String] = []

    @Option(name: .customLong("refresh"), help: "Read the resources from the providers first (true/false).")
    var refresh: Bool = true

    @Flag(help: "Use the simulated cloud (mock provider) whatever platform.yaml says.")
    var mock = false

    @Flag(name: .customLong("allow-protected-deletes"), help: "Allow deleting resources marked `protect: true`.")
    var allowProtectedDeletes = false

    @OptionGroup var applying: ApplyingOptions

    func validate() throws {
        if tenants.isEmpty { throw ValidationError("name the tenant to destroy with --tenant ID") }
    }

    func run() async throws {
        let ctx = try Context.load(root.global, mock: mock)
        let plan = try await Planning.makePlan(ctx, tenants: [], refresh: refresh, allowProtectedDeletes: allowProtectedDeletes, destroy: Set(tenants))
        try await Applying.confirmAndApply(ctx, plan, applying, operation: "destroy")
    }
}
