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

    @Option(
        name: .customLong("max-tenants"),
        help: "Apply at most this many tenants of the plan; the rest are left for the next run (a saved plan records which were done).")
    var maxTenants: Int?

    @Option(
        help:
            "Roll out in waves, e.g. 1,10%,100%: one tenant, then 10% of the plan's tenants, then the rest; stops after the first wave with a failed tenant."
    )
    var waves: String?

    @Flag(
        help:
            "Before each create, look the resource up by its landlord tags and adopt it if it exists (after state was lost or restored from an old backup)."
    )
    var adopt = false

    @Option(
        name: .customLong("batch-window"),
        help:
            "Seconds a Route53 record change waits for its zone's batch to fill before it goes with what has gathered: longer means fewer Route53 calls, shorter means tenants finish sooner."
    )
    var batchWindow: Double = 1

    @Flag(help: "Write progress as JSON lines on stdout (tenant_started, resource_changed, tenant_finished, wave_finished, summary) instead of text.")
    var json = false

    func validate() throws {
        guard parallelism >= 1 else { throw ValidationError("--parallelism must be at least 1") }
        guard lockTimeout >= 0 else { throw ValidationError("--lock-timeout cannot be negative") }
        guard batchWindow >= 0 else { throw ValidationError("--batch-window cannot be negative") }
        if let maxTenants, maxTenants < 1 { throw ValidationError("--max-tenants must be at least 1") }
        if let waves { _ = try Rollout.parseWaves(waves) }
    }

    var rollout: Rollout { Rollout(maxTenants: maxTenants, waves: try? waves.map(Rollout.parseWaves)) }
}

/// Shows a plan, asks for approval, applies it in waves and reports.
enum Applying {
    /// Plans the named tenants again (after a lock wait found their state moved).
    typealias Replanner = (Set<String>) async throws -> Plan

    static func confirmAndApply(_ ctx: Context, _ plan: Plan, _ opts: ApplyingOptions, operation: String, replan: Replanner? = nil) async throws {
        if opts.json {
            ctx.output.printErr(TextRenderer().render(plan))
        } else {
            ctx.output.print(TextRenderer(palette: ctx.output.palette).render(plan))
        }
        if plan.isEmpty {
            ctx.finish()
            return
        }
        if !opts.autoApprove {
            guard isatty(0) == 1 else {
                ctx.output.error(
                    operation == "destroy"
                        ? "no terminal to ask for approval, so nothing was destroyed: pass --auto-approve to destroy without asking"
                        : "no terminal to ask for approval, so nothing was changed: pass --auto-approve, or save the plan with `landlord plan --out FILE` and apply that file"
                )
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

    /// Applies `plan` wave by wave. `recordDone` hears which tenants each wave finished (a saved
    /// plan writes them into the file); `replan` (not for saved plans) plans again the tenants a
    /// lock wait found moved.
    static func run(
        _ ctx: Context, _ plan: Plan, _ opts: ApplyingOptions, operation: String,
        replan: Replanner? = nil, recordDone: ((Set<String>) throws -> Void)? = nil
    ) async throws {
        var options = ApplyOptions(
            parallelism: opts.parallelism, lockTimeout: opts.lockTimeout, holder: LockHolder(operation: operation), platform: ctx.fleet.platform.name)
        options.adopt = opts.adopt
        options.batchWindow = opts.batchWindow
        options.lease = ctx.fleet.platform.state.lockLeaseSeconds
        let pending = plan.tenants.filter { !plan.appliedTenants.contains($0.tenant) && !$0.changes.isEmpty }
        let (waves, later) = opts.rollout.split(pending.map(\.tenant))
        let observer: any ApplyObserver =
            opts.json ? JSONEventPrinter(output: ctx.output) : ProgressPrinter(output: ctx.output, plan: plan, waves: waves.count)
        let started = Date()
        var outcomes: [TenantOutcome] = []
        var diags = Diagnostics()
        var untouched: [String] = []
        for (i, wave) in waves.enumerated() {
            let names = Set(wave)
            var sub = plan
            sub.tenants = plan.tenants.filter { names.contains($0.tenant) }
            var result = await ctx.workspace.apply(sub, options: options, observer: observer)
            let stale = Set(result.tenants.filter(\.stale).map(\.tenant))
            if let replan, opts.lockTimeout > 0, !stale.isEmpty {
                ctx.output.printErr(
                    "\(stale.count) tenant\(stale.count == 1 ? "" : "s") changed while waiting for the lock: planning \(stale.count == 1 ? "it" : "them") again"
                )
                let second = await ctx.workspace.apply(try await replan(stale), options: options, observer: observer)
                var merged = result.tenants.filter { !stale.contains($0.tenant) }
                merged += stale.map { t in
                    second.tenants.first { $0.tenant == t }
                        ?? TenantOutcome(tenant: t, status: .active, applied: 0, failed: 0, skipped: 0, errors: [], seconds: 0)
                }
                var d = Diagnostics(result.diagnostics.items.filter { item in !stale.contains { item.address == $0 } })
                d.append(contentsOf: second.diagnostics)
                result = ApplyResult(tenants: merged, diagnostics: d)
            }
            outcomes += result.tenants
            diags.append(contentsOf: result.diagnostics)
            let done = Set(result.tenants.filter { $0.status != .failed }.map(\.tenant))
            do { try recordDone?(done) } catch { ctx.output.warning("could not record the tenants done in the plan file: \(error)") }
            if waves.count > 1 {
                let failedHere = result.tenants.filter { $0.status == .failed }.count
                if let json = observer as? JSONEventPrinter {
                    json.emit([
                        "event": "wave_finished", "wave": .int(i + 1), "waves": .int(waves.count), "tenants": .int(wave.count),
                        "failed": .int(failedHere),
                    ])
                } else {
                    ctx.output.printErr("wave \(i + 1)/\(waves.count): \(wave.count) tenant\(wave.count == 1 ? "" : "s"), \(failedHere) failed")
                }
            }
            if result.failed {
                untouched = waves[(i + 1)...].flatMap { $0 } + later
                break
            }
        }
        ctx.finish()
        try report(
            ctx, opts, operation: operation, outcomes: outcomes, diags: diags, untouched: untouched, later: untouched.isEmpty ? later : [],
            started: started)
    }

    static func report(
        _ ctx: Context, _ opts: ApplyingOptions, operation: String, outcomes: [TenantOutcome], diags: Diagnostics,
        untouched: [String], later: [String], started: Date
    ) throws {
        var applied = 0
        var failed = 0
        var skipped = 0
        for o in outcomes {
            applied += o.applied
            failed += o.failed
            skipped += o.skipped
        }
        let secs = Date().timeIntervalSince(started)
        let bad = outcomes.filter { $0.status == .failed }.map(\.tenant).sorted()
        let isFailure = diags.hasErrors || !bad.isEmpty
        if opts.json {
            JSONEventPrinter(output: ctx.output).emit([
                "event": "summary", "ok": .bool(!isFailure), "applied": .int(applied), "failed": .int(failed), "not_attempted": .int(skipped),
                "failed_tenants": .list(bad.map { .string($0) }), "untouched_tenants": .list(untouched.map { .string($0) }),
                "left_for_next_run": .list(later.map { .string($0) }), "seconds": .double(secs),
            ])
            if isFailure { throw ExitCode(1) }
            return
        }
        let p = ctx.output.palette
        func list(_ xs: [String]) -> String { xs.prefix(10).joined(separator: ", ") + (xs.count > 10 ? ", ..." : "") }
        if isFailure {
            ctx.output.printErr("")
            for d in diags.items where d.severity == .error { ctx.output.diagnostic(d) }
            var msg =
                "\n" + p.red("\(operation.capitalized) failed")
                + " for \(bad.count) tenant\(bad.count == 1 ? "" : "s") (\(list(bad))): \(applied) change\(applied == 1 ? "" : "s") applied, \(failed) failed, \(skipped) not attempted, in \(String(format: "%.1f", secs))s.\n"
            if !untouched.isEmpty {
                msg +=
                    "Stopped after the failed wave: \(untouched.count) tenant\(untouched.count == 1 ? "" : "s") not touched (\(list(untouched))).\n"
            }
            msg += "What was applied is recorded; fix the errors above and run apply again to finish.\n"
            ctx.output.print(msg)
            throw ExitCode(1)
        }
        var msg =
            "\n" + p.green("\(operation.capitalized) complete!")
            + " \(applied) change\(applied == 1 ? "" : "s") applied to \(outcomes.count) tenant\(outcomes.count == 1 ? "" : "s") in \(String(format: "%.1f", secs))s.\n"
        if !later.isEmpty {
            msg += "\(later.count) tenant\(later.count == 1 ? "" : "s") left for the next run (--max-tenants): run apply again to continue.\n"
        }
        ctx.output.print(msg)
    }
}
