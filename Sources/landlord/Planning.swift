import AWSProvider
import ArgumentParser
import Foundation
import LandlordCore
import ProviderAPI
import Synchronization

/// Options shared by the verbs that plan: plan, apply, destroy.
struct PlanningOptions: ParsableArguments {
    @Option(name: .customLong("tenant"), help: "Only this tenant (repeat for several).")
    var tenants: [String] = []

    @Option(
        name: .customLong("refresh"),
        help:
            """
            Read recorded resources from the providers first to detect drift: true (list and batch reads, a few \
            calls per API), full (every resource on its own, seeing what lists do not show), false.
            """
    )
    var refreshMode: RefreshMode = .true

    @Flag(
        help: ArgumentHelp(
            "Show every tenant of a large plan in full (a text plan of more than \(Planning.briefAbove) tenants shows the first "
                + "\(Planning.inFull) in full and the others one line each)."))
    var full = false

    /// How the text plan is rendered: every tenant in full with --full or for a small plan,
    /// else in brief with a hint naming --full (and `show` of a saved plan).
    func brief(_ global: GlobalOptions) -> TextRenderer.Brief? {
        full ? nil : Planning.brief(hint: "--full shows every change, as does `\(global.command) show FILE` of a plan saved with `plan --out FILE`")
    }

    /// Whether the plan reads the providers at all.
    var refresh: Bool { refreshMode != .false }

    @Flag(help: "Use the simulated cloud (mock provider) whatever platform.yaml says.")
    var mock = false

    @Flag(
        name: .customLong("allow-protected-deletes"),
        help: "Allow deleting or replacing resources marked `protect: true`, and replacing data-bearing ones.")
    var allowProtectedDeletes = false

    @Option(
        name: .customLong("shard"),
        help: ArgumentHelp(
            """
            Only part K of N of the fleet, for N jobs applying it together through shared (S3) state: a tenant \
            is in part (SHA-256 of its id mod N) + 1.
            """,
            valueName: "K/N"),
        transform: { text in
            do throws(InvalidShard) { return try Shard.parse(text) } catch { throw ValidationError(error.description) }
        })
    var shard: Shard?
}

/// `--refresh`: `true` reads by listing, `full` reads every resource on its own, `false` not at all.
enum RefreshMode: String, ExpressibleByArgument, CaseIterable {
    case `true`, `false`, full
}

/// Builds a plan from the specs and state, printing diagnostics.
enum Planning {
    /// Text plans of more tenants than this are shown in brief (``TextRenderer/Brief``) unless --full.
    static let briefAbove = 10
    /// The tenants a plan in brief shows in full, from the first.
    static let inFull = 5

    /// A large text plan in brief, with `hint` saying how to see every change.
    static func brief(hint: String) -> TextRenderer.Brief { TextRenderer.Brief(above: briefAbove, inFull: inFull, hint: hint) }

    /// `cache`: use the local plan cache (`landlord plan`; see `planCache(_:)`).
    static func makePlan(_ ctx: Context, _ opts: PlanningOptions, destroy: Set<String> = [], cache: Bool = false) async throws -> Plan {
        try await makePlan(
            ctx, tenants: opts.tenants, refresh: opts.refresh, listing: opts.refreshMode != .full, allowProtectedDeletes: opts.allowProtectedDeletes,
            destroy: destroy, shard: opts.shard, cache: cache)
    }

    static func makePlan(
        _ ctx: Context, tenants: [String], refresh: Bool, listing: Bool = true, allowProtectedDeletes: Bool, destroy: Set<String> = [],
        shard: Shard? = nil, cache: Bool = false
    ) async throws -> Plan {
        let scope: Set<String>? = tenants.isEmpty ? (destroy.isEmpty ? nil : destroy) : Set(tenants)
        let options = PlanOptions(tenants: scope, destroy: destroy, allowProtectedDeletes: allowProtectedDeletes, shard: shard)
        let heard = RefreshHeard()
        var workspace = ctx.workspace
        // Like the cache, the keys apply records are read by `landlord plan` only: apply,
        // destroy and a rollout's re-plan read every document (their applies record the keys).
        if cache { workspace.planCache = planCache(ctx) } else { workspace.planKeys = nil }
        let outcome = await workspace.plan(options, refresh: refresh, listing: listing, observer: heard)
        let plan = outcome.plan
        let diags = outcome.diagnostics
        if let report = heard.report {
            let rates = rateLimits(ctx.fleet)
            ctx.output.printErr(refreshSummary(report, table: ctx.global.verbose || refreshMatters(report, rates: rates), rates: rates))
        }
        ctx.output.diagnostics(diags)
        guard let plan else {
            ctx.output.error("no plan: fix the \(diags.errors.count) error\(diags.errors.count == 1 ? "" : "s") above; nothing was changed")
            throw ExitCode(1)
        }
        try await checkAlarms(ctx)
        return plan
    }

    /// The alarms platform.yaml's `rollout:` watches must exist: a rollout that could not read
    /// them would halt at its first wave, so a plan names the missing one at once.
    static func checkAlarms(_ ctx: Context) async throws {
        let alarms = ctx.fleet.platform.rollout.alarms
        guard !alarms.isEmpty else { return }
        do {
            let source = try CloudWatchAlarms(
                region: ctx.fleet.platform.providerSettings("aws")["region"]?.stringValue, environment: ProcessInfo.processInfo.environment)
            _ = try await source.firing(alarms)
        } catch {
            ctx.output.error("\(ctx.fleet.platform.file): rollout alarms: \(error); nothing was changed")
            throw ExitCode(1)
        }
    }
}

extension Planning {
    /// The local plan cache, `.landlord/cache/plan-cache` beside platform.yaml (whatever the
    /// state backend: it is this machine's, never shared); nil with `LANDLORD_PLAN_CACHE=0`.
    /// Its context names what else decides plans: this program (the SHA-256 of its bytes,
    /// `ProgramDigest`, so a rebuilt landlord plans everything again while the same binary
    /// installed on another CI runner finds the cache it left), the simulated cloud in place of
    /// the platform's providers, and the state key.
    static func planCache(_ ctx: Context) -> PlanCacheSettings? {
        let env = ProcessInfo.processInfo.environment
        if env["LANDLORD_PLAN_CACHE"] == "0" { return nil }
        let cache = ctx.root.appendingPathComponent(".landlord/cache")
        return PlanCacheSettings(path: cache.appendingPathComponent("plan-cache").path, context: planContext(PlanContextParts(ctx)), environment: env)
    }

    /// The keys apply records in tenant documents and plans read back (`AppliedKey`), with the
    /// plan cache's context; nil with `LANDLORD_PLAN_STATE_KEYS=0` (nothing recorded or read).
    static func planKeys(_ ctx: Context) -> PlanKeySettings? {
        let env = ProcessInfo.processInfo.environment
        if env["LANDLORD_PLAN_STATE_KEYS"] == "0" { return nil }
        let parts = PlanContextParts(ctx)
        return PlanKeySettings(contextOf: { planContext(parts) }, environment: env)
    }

    /// What of a `Context` decides the plan context (`planContext`), taken out so that it can be
    /// worked out later, when a plan or an apply first needs it.
    struct PlanContextParts: Sendable {
        var root: URL
        var mock: Bool
        var keyFingerprint: String?
        init(_ ctx: Context) {
            root = ctx.root
            mock = ctx.mock != nil
            keyFingerprint = ctx.cipher?.fingerprint
        }
    }

    /// What decides plans besides the specs, schemas and state: this program, the simulated
    /// cloud in place of the platform's providers, and the state key.
    static func planContext(_ ctx: PlanContextParts) -> String {
        let cache = ctx.root.appendingPathComponent(".landlord/cache")
        var program = "unknown"
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            // Unreadable: the program's identity here, so a rebuilt one still plans everything.
            program = ProgramDigest.of(path, memo: cache.appendingPathComponent("program-digest").path) ?? ProgramDigest.identity(path)?.text ?? path
        }
        return """
            landlord \(LandlordVersion.current) commit \(BuildInfo.commit) program \(program) mock \
            \(ctx.mock) key \(ctx.keyFingerprint ?? "none")
            """
    }

    /// One line: `Refreshed N resources in S s with C API calls: L by listing (G list or batch
    /// reads), O one by one; D drifted.` (L + O = N). With `table`, one line per API operation
    /// after it, summing to C, and a line for each API whose rate limit paced the refresh.
    static func refreshSummary(_ r: RefreshReport, table: Bool, rates: [String: Double] = [:]) -> String {
        let total = r.totalCalls
        var s = "Refreshed \(plural(r.resources, "resource")) in \(String(format: "%.1f", r.seconds)) s with \(plural(total, "API call"))"
        let uncounted = r.uncounted.values.reduce(0, +)
        if uncounted > 0 {
            let names = r.uncounted.keys.sorted().joined(separator: ", ")
            s +=
                " (plus the uncounted calls of \(names) for \(plural(uncounted, "resource")))"
        }
        s += ": \(r.resources - r.single) by listing (\(plural(r.groups, "list or batch read"))), \(r.single) one by one; \(r.drifted) drifted."
        guard table, !r.calls.isEmpty else { return s }
        let width = r.calls.keys.map { $0.api.count + $0.operation.count + 1 }.max() ?? 0
        for (op, n) in r.calls.sorted(by: { $0.key < $1.key }) {
            let name = op.api + " " + op.operation
            s += "\n  " + name + String(repeating: " ", count: max(1, width - name.count + 2)) + String(n)
        }
        for (api, calls, rate) in overRate(r, rates: rates) {
            s += "\n  \(api): \(calls) calls, over its rate limit of \(rate.formatted()) a second, which paced the refresh"
        }
        return s
    }

    /// Whether the per-operation table is worth printing without `--verbose`: the refresh was
    /// slow (10 s or more) or some API's rate limit paced it.
    static func refreshMatters(_ r: RefreshReport, rates: [String: Double]) -> Bool {
        r.seconds >= 10 || !overRate(r, rates: rates).isEmpty
    }

    /// The APIs whose rate limit (requests a second, by API name as calls are counted) set the
    /// refresh's pace: called more often than the limit allows in a second, and the refresh took
    /// about as long as the limit makes those calls take (the simulated cloud, unpaced, does
    /// not). Calls by API, then the rate.
    static func overRate(_ r: RefreshReport, rates: [String: Double]) -> [(String, Int, Double)] {
        var byAPI: [String: Int] = [:]
        for (op, n) in r.calls { byAPI[op.api, default: 0] += n }
        return byAPI.sorted { $0.key < $1.key }.compactMap { api, n in
            guard let rate = rates[api], rate > 0, Double(n) > rate, r.seconds >= 0.9 * Double(n - 1) / rate else { return nil }
            return (api, n, rate)
        }
    }

    /// The AWS rate limits platform.yaml sets (`provider.aws.rateLimits`, else the defaults) by
    /// the API names calls are counted under; the defaults when the setting cannot be read
    /// (the provider reports that itself).
    static func rateLimits(_ fleet: Fleet) -> [String: Double] {
        let rates = (try? AWSRateLimits.rates(from: fleet.platform.providerSettings("aws")["rateLimits"])) ?? AWSRateLimits.defaults
        var out: [String: Double] = [:]
        for (name, rate) in rates { out[AWSRateLimits.signingNames[name] ?? name] = rate }
        return out
    }

    /// `1 resource`, `3 resources`.
    static func plural(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
}

/// Keeps the refresh report until the plan is done, to print it with the plan's diagnostics.
final class RefreshHeard: RefreshObserver {
    private let heard = Mutex<RefreshReport?>(nil)
    var report: RefreshReport? { heard.withLock { $0 } }
    func refreshed(_ report: RefreshReport) {
        guard report.resources > 0 else { return }
        heard.withLock { $0 = report }
    }
}
