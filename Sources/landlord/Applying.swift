import ArgumentParser
import Foundation
import LandlordCore
import LandlordEvents
import LandlordLifecycle

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
            """
            Roll out in waves, e.g. 1,10%,100%: one tenant, then 10% of the plan's tenants, then the rest; \
            stops after the first wave with a failed tenant.
            """
    )
    var waves: String?

    @Flag(
        help:
            """
            Before each create, look the resource up by its landlord tags and adopt it if it exists (after \
            state was lost or restored from an old backup).
            """
    )
    var adopt = false

    @Option(
        name: .customLong("batch-window"),
        help:
            """
            Seconds a Route53 record change waits for its zone's batch to fill before it goes with what has \
            gathered: longer means fewer Route53 calls, shorter means tenants finish sooner.
            """
    )
    var batchWindow: Double = 1

    @Option(
        name: .customLong("event-wait"),
        help:
            """
            Seconds the run waits at its end for lifecycle events (platform.yaml `events:`) to be delivered; \
            what is left goes out with the next run or from `landlord serve`.
            """
    )
    var eventWait: Double = 10

    @Flag(name: .customLong("no-events"), help: "Record and deliver no lifecycle events in this run (platform.yaml `events:` is ignored).")
    var noEvents = false

    @Option(
        help:
            """
            Tenants applied together, segment after segment, each with its own locks and journal: the plan is \
            read back one segment at a time, so memory follows this, not the fleet (default: 10 times \
            --parallelism, at least 500; a saved plan is applied whole).
            """
    )
    var segment: Int?

    @Option(
        name: .customLong("failure-budget"),
        help: ArgumentHelp(
            "Failed tenants a wave tolerates before the rollout halts: a count or a percentage of the wave, e.g. 2 or 5% "
                + "(default: platform.yaml `rollout: {failureBudget}`, else 0).")
    )
    var failureBudget: String?

    @Option(help: "Time each wave is watched after it is applied and healthy, before the next starts, e.g. 30s or 5m (default: `rollout: {bake}`).")
    var bake: String?

    @Option(
        name: .customLong("on-failure"),
        help: "What a wave over its failure budget does: halt, or rollback (its failed tenants go back to what they were before the rollout).")
    var onFailure: String?

    @Option(
        name: .customLong("alarm"),
        help: ArgumentHelp(
            "A CloudWatch alarm name or ARN watched during each wave and bake; one in ALARM halts the rollout "
                + "(repeatable; adds to `rollout: {alarms}`).")
    )
    var alarms: [String] = []

    @Option(
        name: .customLong("auto-approve-if"),
        help: ArgumentHelp(
            "Apply without asking when the plan meets this rule over its counters (create, update, replace, delete, tenants, protected), "
                + "e.g. 'delete == 0 && replace <= 10'; otherwise apply nothing and exit 3 (needs review).")
    )
    var autoApproveIf: String?

    @Flag(help: "Write progress as JSON lines on stdout (tenant_started, resource_changed, tenant_finished, wave_finished, summary) instead of text.")
    var json = false

    func validate() throws {
        guard parallelism >= 1 else { throw ValidationError("--parallelism must be at least 1") }
        guard lockTimeout >= 0 else { throw ValidationError("--lock-timeout cannot be negative") }
        guard batchWindow >= 0 else { throw ValidationError("--batch-window cannot be negative") }
        guard eventWait >= 0 else { throw ValidationError("--event-wait cannot be negative") }
        if let maxTenants, maxTenants < 1 { throw ValidationError("--max-tenants must be at least 1") }
        if let segment, segment < 1 { throw ValidationError("--segment must be at least 1") }
        _ = try waveSizes()
        if let failureBudget, FailureBudget.parse(failureBudget) == nil {
            throw ValidationError("--failure-budget takes a count or a percentage from 0% to 100%, such as 2 or 5%; '\(failureBudget)' is neither")
        }
        if let bake, SpecDuration.parse(bake) == nil {
            throw ValidationError("--bake takes a duration such as 30s, 5m or 1h; '\(bake)' is not one")
        }
        if let onFailure, FailureAction(rawValue: onFailure) == nil {
            throw ValidationError("--on-failure takes halt or rollback, not '\(onFailure)'")
        }
        if let autoApproveIf, case .failure(let d) = AutoApproveRule.parse(autoApproveIf) {
            throw ValidationError("--auto-approve-if: \(d.summary); \(d.detail)")
        }
    }

    /// platform.yaml `rollout:` with this run's flags over it.
    func policy(_ fleet: Fleet) throws -> RolloutPolicy {
        var p = fleet.platform.rollout
        if waves != nil { p.waves = try waveSizes() }
        if let b = failureBudget.flatMap(FailureBudget.parse) { p.failureBudget = b }
        if let b = bake.flatMap(SpecDuration.parse) { p.bake = b }
        if let f = onFailure.flatMap(FailureAction.init(rawValue:)) { p.onFailure = f }
        p.alarms += alarms.filter { !p.alarms.contains($0) }
        if let autoApproveIf, case .success(let rule) = AutoApproveRule.parse(autoApproveIf) { p.autoApprove = rule }
        return p
    }

    /// The gate of a rollout: when some blueprint has health checks or the policy asks for
    /// more than a plain apply; nil otherwise (a wave with a failed tenant stops the run).
    func gate(_ ctx: Context, operation: RunOperation) throws -> RolloutGate? {
        var p = try policy(ctx.fleet)
        p.autoApprove = nil
        let checks = ctx.fleet.blueprints.values.contains { !$0.health.isEmpty }
        let judged = p.failureBudget != .count(0) || p.bake > 0 || !p.alarms.isEmpty || p.onFailure != .halt
        guard checks || judged else { return nil }
        var alarmSource: (any AlarmSource)?
        if !p.alarms.isEmpty {
            alarmSource = try CloudWatchAlarms(
                region: ctx.fleet.platform.providerSettings("aws")["region"]?.stringValue, environment: ProcessInfo.processInfo.environment)
        }
        var gate = RolloutGate(policy: p, probe: HTTPHealthProbe(), alarms: alarmSource, operation: operation)
        // Seconds between alarm reads during a bake (default 5; tests shorten it).
        if let s = ProcessInfo.processInfo.environment["LANDLORD_ROLLOUT_ALARM_INTERVAL"].flatMap(Double.init), s > 0 { gate.alarmInterval = s }
        return gate
    }

    /// `--waves`, read (empty: one wave).
    func waveSizes() throws -> [WaveSize] {
        guard let waves else { return [] }
        do throws(InvalidWaveSize) { return try WaveSize.parseList(waves) } catch {
            throw ValidationError("--waves takes counts and percentages such as 1,10%,100%; '\(error.part)' is neither")
        }
    }

    /// The engine's options for these flags; `planFile`: the saved plan being applied.
    func rollout(_ ctx: Context, operation: RunOperation, planFile: String? = nil) -> RolloutOptions {
        var options = ApplyOptions(
            parallelism: parallelism, lockTimeout: lockTimeout, holder: LockHolder(operation: operation), platform: ctx.fleet.platform.name)
        options.adopt = adopt
        options.batchWindow = batchWindow
        options.lease = ctx.fleet.platform.state.lockLeaseSeconds
        let policy = (try? self.policy(ctx.fleet)) ?? ctx.fleet.platform.rollout
        var rollout = RolloutOptions(apply: options, maxTenants: maxTenants, waves: policy.waves, planFile: planFile)
        rollout.segment = segment
        return rollout
    }
}

/// Shows a plan, asks for approval, hands it to the engine's rollout and reports.
enum Applying {
    /// Renders `plan`, then applies it once approved (`--auto-approve`, or `yes` on the terminal).
    /// Once approved the plan is spooled (``PlanSpool``) and let go: the rollout reads its
    /// tenants back a segment at a time, so the run never holds every tenant's changes at once.
    static func confirmAndApply(
        _ ctx: Context, _ plan: consuming Plan, _ opts: ApplyingOptions, operation: RunOperation, replan: Rollout.Replanner? = nil,
        brief: TextRenderer.Brief? = nil
    )
        async throws
    {
        show(ctx, plan, opts, brief: brief)
        if plan.isEmpty {
            ctx.finish()
            // Events left by an earlier run still go out.
            await LifecycleEvents.deliverLeftovers(ctx, opts)
            return
        }
        if let rule = try opts.policy(ctx.fleet).autoApprove, !opts.autoApprove {
            try autoApprove(ctx, plan, rule)
        } else if !opts.autoApprove {
            try confirm(ctx, operation: operation)
        }
        let spool: PlanSpool
        do { spool = try PlanSpool(consume plan) } catch {
            ctx.output.error("\(error.description); nothing was changed")
            throw ExitCode(1)
        }
        returnFreedMemory()
        try await run(ctx, .spooled(spool), opts, operation: operation, replan: replan)
    }

    /// The plan's memory is free once it is spooled: hands its pages back to the system
    /// (glibc's `malloc_trim`, which `Glibc` does not export) rather than leave them in the
    /// arenas of the threads that planned, which the apply's threads may not reuse.
    static func returnFreedMemory() {
        #if canImport(Glibc)
            guard let sym = dlsym(nil, "malloc_trim") else { return }
            typealias Trim = @convention(c) (Int) -> Int32
            _ = unsafeBitCast(sym, to: Trim.self)(0)
        #endif
    }

    /// The plan as text: on stdout, or on stderr when stdout carries JSON events. Written a
    /// tenant at a time, never held whole (a 20,000-tenant plan is over 100 MB of text); a
    /// large one in `brief` (nil: in full).
    static func show(_ ctx: Context, _ plan: Plan, _ opts: ApplyingOptions, brief: TextRenderer.Brief? = nil) {
        if plan.tenants.contains(where: { !$0.adoptions.isEmpty }) {
            // An adoption plan (`landlord adopt --out`): shown as adopt showed it.
            let text = AdoptionRenderer(palette: opts.json ? Palette(enabled: false) : ctx.output.palette).text(plan)
            if opts.json { ctx.output.printErrRaw(text) } else { ctx.output.print(text) }
            return
        }
        if opts.json {
            TextRenderer(brief: brief).render(plan) { ctx.output.printErrRaw($0) }
        } else {
            TextRenderer(palette: ctx.output.palette, brief: brief).render(plan) { ctx.output.print($0) }
        }
    }

    /// Applies without asking when `plan` meets `rule`; otherwise says which counter failed and
    /// exits 3 ("needs review"), having changed nothing.
    static func autoApprove(_ ctx: Context, _ plan: borrowing Plan, _ rule: AutoApproveRule) throws {
        let counts = AutoApproveRule.counts(plan)
        let (ok, failing) = rule.check(counts)
        let summary = AutoApproveRule.counters.map { "\($0) \(counts[$0] ?? 0)" }.joined(separator: ", ")
        if ok {
            ctx.output.printErr("Auto-approved: the plan (\(summary)) meets '\(rule.text)'.")
            return
        }
        ctx.output.error(
            "the plan needs review, so nothing was applied: it does not meet the auto-approve rule '\(rule.text)': "
                + "\(failing.joined(separator: "; ")) (\(summary)); "
                + "review it and apply with --auto-approve, or save it with `landlord plan --out FILE`"
        )
        throw ExitCode(3)
    }

    /// Asks on the terminal; throws exit code 1 unless the answer is `yes`.
    static func confirm(_ ctx: Context, operation: RunOperation) throws {
        guard isatty(0) == 1 else {
            ctx.output.error(
                operation == .destroy
                    ? "no terminal to ask for approval, so nothing was destroyed: pass --auto-approve to destroy without asking"
                    : """
                    no terminal to ask for approval, so nothing was changed: pass --auto-approve, or save the plan with \
                    `landlord plan --out FILE` and apply that file
                    """
            )
            throw ExitCode(1)
        }
        ctx.output.print("\nDo you want to perform these actions? Only 'yes' will be accepted.\n  Enter a value: ")
        guard readLine()?.trimmingCharacters(in: .whitespaces) == "yes" else {
            ctx.output.print("\n\(operation.rawValue.capitalized) cancelled; nothing was changed.\n")
            throw ExitCode(1)
        }
    }

    /// Rolls `plan` out (``Rollout``) with progress rendered as it happens, then reports.
    /// `planFile`: a saved plan's file, where the engine records the tenants done; `replan`
    /// (not for saved plans) plans again the tenants a lock wait found moved.
    static func run(
        _ ctx: Context, _ plan: Applicable, _ opts: ApplyingOptions, operation: RunOperation, replan: Rollout.Replanner? = nil,
        planFile: String? = nil
    )
        async throws
    {
        let pending = plan.pending
        let printer: any ApplyObserver =
            opts.json ? JSONEventPrinter(output: ctx.output) : ProgressPrinter(output: ctx.output, pending: pending)
        let unchanged = operation == .destroy ? "nothing was destroyed" : "nothing was applied"
        let outbox = try LifecycleEvents.outbox(ctx, opts, unchanged: unchanged)
        var observer: any ApplyObserver = printer
        if let outbox {
            let intents = try await LifecycleEvents.begin(ctx, outbox, plan.intended, unchanged: unchanged)
            observer = EventRecorder(inner: printer, intents: intents, pending: pending, fleet: ctx.fleet, output: ctx.output)
        }
        var options = opts.rollout(ctx, operation: operation, planFile: planFile)
        do { options.gate = try opts.gate(ctx, operation: operation) } catch {
            ctx.output.error("\(error); \(unchanged)")
            throw ExitCode(1)
        }
        let result: RolloutResult
        switch plan {
        case .plan(let p):
            result = await Rollout.run(plan: p, workspace: ctx.workspace, options: options, observer: observer, replan: replan)
        case .spooled(let spool):
            result = await Rollout.run(spool: spool, workspace: ctx.workspace, options: options, observer: observer, replan: replan)
        }
        await LifecycleEvents.deliver(ctx, outbox, opts)
        if result.replanFailed { throw ExitCode(1) }
        ctx.finish()
        if opts.json {
            try Report.json(ctx, result)
        } else {
            try Report.text(ctx, result, operation: operation)
        }
    }
}

/// What `Applying.run` applies: a plan in memory (a saved plan, applied exactly) or one
/// spooled after approval.
enum Applicable: Sendable {
    case plan(Plan)
    case spooled(PlanSpool)

    /// The tenants the run will apply (not yet applied, with changes), in plan order.
    var pending: [PendingTenant] {
        switch self {
        case .plan(let p):
            return p.tenants.filter { $0.hasChanges && !p.appliedTenants.contains($0.tenant) }.map {
                PendingTenant(tenant: $0.tenant, blueprint: $0.blueprint, changes: $0.changes.count, serial: $0.serial)
            }
        case .spooled(let s):
            return s.pending.map { PendingTenant(tenant: $0.tenant, blueprint: $0.blueprint, changes: $0.changes, serial: $0.serial) }
        }
    }

    /// Every tenant of the plan with changes, applied or not (lifecycle event intents are
    /// recorded for them).
    var intended: [PendingTenant] {
        switch self {
        case .plan(let p):
            return p.tenants.filter(\.hasChanges).map {
                PendingTenant(tenant: $0.tenant, blueprint: $0.blueprint, changes: $0.changes.count, serial: $0.serial)
            }
        case .spooled(let s):
            return s.tenants.map { PendingTenant(tenant: $0.tenant, blueprint: $0.blueprint, changes: $0.changes, serial: $0.serial) }
        }
    }
}

/// The closing summary of an apply or destroy; throws exit code 1 when it failed.
enum Report {
    /// `summary`, the last JSON event line.
    static func json(_ ctx: Context, _ r: RolloutResult) throws {
        JSONEventPrinter(output: ctx.output).emit([
            "event": "summary", "ok": .bool(!r.failed), "applied": .int(r.applied), "failed": .int(r.failedChanges),
            "not_attempted": .int(r.skipped), "failed_tenants": .list(r.failedTenants.map { .string($0) }),
            "untouched_tenants": .list(r.untouched.map { .string($0) }), "left_for_next_run": .list(r.later.map { .string($0) }),
            "seconds": .double(r.seconds), "rollout": r.rollout.map { .string($0) } ?? .null, "halt": r.halt.map { .string($0) } ?? .null,
            "unhealthy_tenants": .map(r.unhealthy.mapValues { .string($0) }), "rolled_back_tenants": .list(r.rolledBack.sorted().map { .string($0) }),
            "not_rolled_back_tenants": .map(r.notRolledBack.mapValues { .string($0) }),
        ])
        if r.failed { throw ExitCode(1) }
    }

    /// `Apply complete! ...` or the errors and `Apply failed for ...` on stdout.
    static func text(_ ctx: Context, _ r: RolloutResult, operation: RunOperation) throws {
        let p = ctx.output.palette
        let secs = String(format: "%.1f", r.seconds)
        if r.failed {
            ctx.output.printErr("")
            for d in r.diagnostics.items where d.severity == .error { ctx.output.diagnostic(d) }
            let bad = Array(Set(r.failedTenants).union(r.unhealthy.keys)).sorted()
            var msg =
                "\n" + p.red("\(operation.rawValue.capitalized) failed")
                + " for \(plural(bad.count, "tenant")) (\(list(bad))): \(plural(r.applied, "change")) applied, "
                + "\(r.failedChanges) failed, \(r.skipped) not attempted, in \(secs)s.\n"
            if !r.untouched.isEmpty {
                msg += "Stopped after the failed wave: \(plural(r.untouched.count, "tenant")) not touched (\(list(r.untouched))).\n"
            }
            msg += rolloutLines(r, p)
            if let id = r.rollout, let halt = r.halt {
                msg += p.red("Rollout \(id) halted") + ": \(halt).\n"
                msg +=
                    "Failed and rolled-back tenants are held: plans skip them until their tenant file or blueprint changes. "
                        + """
                        See `landlord rollout status`; fix the change and apply again, or `landlord rollout resume` to go \
                        on, or `landlord rollout abort` to roll back the rest.\n
                        """
            } else {
                msg += "What was applied is recorded; fix the errors above and run apply again to finish.\n"
            }
            ctx.output.print(msg)
            throw ExitCode(1)
        }
        var msg =
            "\n" + p.green("\(operation.rawValue.capitalized) complete!")
            + " \(plural(r.applied, "change")) applied to \(plural(r.tenants.count, "tenant")) in \(secs)s.\n"
        if !r.later.isEmpty {
            msg += "\(plural(r.later.count, "tenant")) left for the next run (--max-tenants): run apply again to continue.\n"
        }
        msg += rolloutLines(r, p)
        if let id = r.rollout { msg += "Rollout \(id) completed" + (r.tolerated.isEmpty ? ".\n" : ", with its failures within budget (held).\n") }
        ctx.output.print(msg)
    }

    /// A gated rollout's tenants that were unhealthy, tolerated, rolled back or not.
    static func rolloutLines(_ r: RolloutResult, _ p: Palette) -> String {
        var msg = ""
        for (t, why) in r.unhealthy.sorted(by: { $0.key < $1.key }).prefix(10) { msg += p.red("unhealthy") + " \(t): \(why)\n" }
        if r.unhealthy.count > 10 { msg += "... and \(r.unhealthy.count - 10) more unhealthy tenants\n" }
        if !r.tolerated.isEmpty {
            msg += "Within the failure budget: \(plural(r.tolerated.count, "tenant")) failed (\(list(r.tolerated.keys.sorted()))).\n"
        }
        if !r.rolledBack.isEmpty { msg += "Rolled back: \(list(r.rolledBack.sorted())).\n" }
        for (t, why) in r.notRolledBack.sorted(by: { $0.key < $1.key }) { msg += p.red("Not rolled back") + " \(t): \(why)\n" }
        return msg
    }

    /// `1 tenant`, `3 tenants`.
    static func plural(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

    /// At most ten names, then `...`.
    static func list(_ xs: [String]) -> String { xs.prefix(10).joined(separator: ", ") + (xs.count > 10 ? ", ..." : "") }
}
