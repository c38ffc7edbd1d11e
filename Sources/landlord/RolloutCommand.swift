import ArgumentParser
import Foundation
import LandlordCore
import LandlordLifecycle
import ProviderAPI

/// `landlord rollout status|resume|abort|release`: the last rollout, and its held tenants.
struct RolloutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollout",
        abstract: "Show, resume or abort the last rollout; release held tenants.",
        discussion:
            "A rollout is an apply or destroy under platform.yaml `rollout:` or blueprint `health:` checks: "
            + "waves judged by health checks, a failure budget, alarms and a bake. "
            + "A wave over budget halts it; with `onFailure: rollback` its failed tenants go back to what they were. "
            + "Failed and rolled-back tenants are held: plans skip them until their tenant file or blueprint changes, or they are released.",
        subcommands: [Status.self, Resume.self, Abort.self, Release.self])

    /// What resume and abort take of apply's options.
    struct RunOptions: ParsableArguments {
        @Option(help: "Provider operations in flight at once.")
        var parallelism: Int = 10

        @Option(name: .customLong("lock-timeout"), help: "Seconds to wait for a tenant lock held by another run (default 0: fail at once).")
        var lockTimeout: Double = 0

        /// Apply's options with these set (the rest at their defaults), and the rollout's gate.
        func applying() throws -> ApplyingOptions {
            try ApplyingOptions.parse(["--auto-approve", "--parallelism", "\(parallelism)", "--lock-timeout", "\(lockTimeout)"])
        }
    }

    static func store(_ ctx: Context) throws -> RolloutStore {
        guard let s = RolloutStore(ctx.store) else {
            ctx.output.error("this state backend keeps no rollout records")
            throw ExitCode(1)
        }
        return s
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The last rollout: each wave with its tenants done, failed, rolled back and pending, and why it halted.")
        @ParentCommand var root: Landlord
        @Flag(help: "Print the rollout record and the held tenants as JSON.")
        var json = false

        func run() async throws {
            let ctx = try await Context.load(root.global)
            let store = try RolloutCommand.store(ctx)
            let record: RolloutRecord?
            let held: [String: HeldTenant]
            do {
                record = try await store.current()
                held = try await store.held()
            } catch {
                ctx.output.error("\(error)")
                throw ExitCode(1)
            }
            if json {
                var m: [String: Value] = ["rollout": record?.json ?? .null]
                m["held"] = .map(held.mapValues { .map(["rollout": .string($0.rollout), "wave": .int($0.wave), "reason": .string($0.reason)]) })
                ctx.output.print(JSON.string(.map(m), pretty: true))
                return
            }
            ctx.output.print(RolloutCommand.text(record, held))
        }
    }

    /// `rollout status` as text.
    static func text(_ record: RolloutRecord?, _ held: [String: HeldTenant]) -> String {
        guard let r = record else { return "No rollout has run in this fleet.\n" }
        var out = "Rollout \(r.id) (\(r.operation)): \(r.phase.rawValue)\n"
        out += "  started \(StateDates.string(r.startedAt)), last step \(StateDates.string(r.updatedAt))\n"
        out += "  \(r.policy)" + (r.alarms.isEmpty ? "" : ", alarms \(r.alarms.joined(separator: ", "))") + "\n"
        if let h = r.haltReason { out += "  halted: \(h)\n" }
        if let b = r.baking, r.phase == .running { out += "  baking wave \(b.wave) until \(StateDates.string(b.until))\n" }
        for (i, wave) in r.waves.enumerated() {
            var counts: [String] = []
            for o in RolloutRecord.Outcome.allCases {
                let n = r.tenants(inWave: i + 1, o).count
                if n > 0 { counts.append("\(n) \(o.rawValue.replacingOccurrences(of: "_", with: " "))") }
            }
            out += "  wave \(i + 1)/\(r.waves.count): \(wave.count) tenant\(wave.count == 1 ? "" : "s"): \(counts.joined(separator: ", "))\n"
            for o in [RolloutRecord.Outcome.failed, .rolledBack, .notRolledBack] {
                for t in r.tenants(inWave: i + 1, o).sorted().prefix(10) {
                    out += "    \(t): \(o.rawValue.replacingOccurrences(of: "_", with: " "))" + (r.tenants[t]?.reason.map { ": \($0)" } ?? "") + "\n"
                }
            }
        }
        if !r.rollbackPending.isEmpty { out += "  rollback unfinished for \(r.rollbackPending.count) tenant(s): run `landlord rollout resume`\n" }
        if !held.isEmpty {
            out += "Held (\(held.count)): " + held.keys.sorted().prefix(20).joined(separator: ", ") + (held.count > 20 ? ", ..." : "") + "\n"
            out += "  Release with `landlord rollout release TENANT` (or --all), or change the tenant's file or blueprint.\n"
        }
        if r.resumable { out += "Next: `landlord rollout resume` goes on from the next wave; `landlord rollout abort` rolls back what it applied.\n" }
        return out
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Go on with the last rollout from the wave after the one it halted at (finishing an interrupted rollback first).",
            discussion:
                "The remaining tenants are planned again; the rollout is refused if any tenant's plan is no longer the one it started with "
                + "(its tenant file, blueprint or platform changed), as a saved plan is refused when stale."
        )
        @ParentCommand var root: Landlord
        @OptionGroup var runOptions: RunOptions

        func run() async throws {
            let applying = try runOptions.applying()
            let ctx = try await Context.load(root.global, writes: true)
            let store = try RolloutCommand.store(ctx)
            guard let record = try await store.current() else {
                ctx.output.error("there is no rollout to resume; `landlord apply` starts one")
                throw ExitCode(1)
            }
            var options = applying.rollout(ctx, operation: .apply)
            options.gate = try applying.gate(ctx, operation: .apply) ?? RolloutGate(policy: ctx.fleet.platform.rollout, probe: HTTPHealthProbe())
            options.gate?.policy.failureBudget = record.failureBudget
            options.gate?.policy.onFailure = record.onFailure
            options.gate?.policy.bake = record.bake
            let remaining = RolloutControl.remaining(record)
            let plan =
                remaining.isEmpty
                ? Plan(toolVersion: LandlordVersion.current, platform: ctx.fleet.platform.name, tenants: [], unchangedTenants: 0)
                : try await Planning.makePlan(ctx, tenants: remaining, refresh: true, allowProtectedDeletes: false)
            let printer = ProgressPrinter(output: ctx.output, plan: plan)
            let result: RolloutResult
            do {
                result = try await RolloutControl.resume(plan: plan, workspace: ctx.workspace, options: options, observer: printer, replan: nil)
            } catch {
                ctx.output.error("\(error); nothing was applied")
                throw ExitCode(1)
            }
            ctx.finish()
            try Report.text(ctx, result, operation: .apply)
        }
    }

    struct Abort: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Roll back every tenant the last rollout changed (newest wave first), then end it.")
        @ParentCommand var root: Landlord
        @OptionGroup var runOptions: RunOptions

        func run() async throws {
            let applying = try runOptions.applying()
            let ctx = try await Context.load(root.global, writes: true)
            var options = applying.rollout(ctx, operation: .apply)
            options.gate = try applying.gate(ctx, operation: .apply) ?? RolloutGate(policy: ctx.fleet.platform.rollout, probe: HTTPHealthProbe())
            let printer = ProgressPrinter(output: ctx.output, pending: [])
            let result: RolloutResult
            do { result = try await RolloutControl.abort(workspace: ctx.workspace, options: options, observer: printer) } catch {
                ctx.output.error("\(error); nothing was changed")
                throw ExitCode(1)
            }
            ctx.finish()
            var msg = "Rollout \(result.rollout ?? "") aborted: \(result.rolledBack.count) tenant(s) rolled back.\n"
            msg += Report.rolloutLines(result, ctx.output.palette)
            ctx.output.print(msg)
            if !result.notRolledBack.isEmpty { throw ExitCode(1) }
        }
    }

    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Release held tenants, so the next apply applies them again.")
        @ParentCommand var root: Landlord
        @Argument(help: "Tenants to release.")
        var tenants: [String] = []
        @Flag(help: "Release every held tenant.")
        var all = false

        func validate() throws {
            if all == !tenants.isEmpty { throw ValidationError("name the tenants to release, or pass --all") }
        }

        func run() async throws {
            let ctx = try await Context.load(root.global, writes: true)
            let store = try RolloutCommand.store(ctx)
            let released = try await RolloutControl.release(all ? nil : tenants, store: store)
            let missing = tenants.filter { !released.contains($0) }
            for t in missing { ctx.output.warning("tenant '\(t)' is not held; `landlord rollout status` lists those that are") }
            ctx.output.print(
                "Released \(released.count) tenant\(released.count == 1 ? "" : "s")"
                    + "\(released.isEmpty ? "" : ": " + released.joined(separator: ", ")).\n"
            )
        }
    }
}
