import Foundation
import LandlordCore
import LandlordEvents
import ProviderAPI
import Synchronization

/// Renders apply events on stderr. Small plans: one line per resource. Large ones: one line per
/// tenant started and finished; on a terminal a live progress line instead; in CI a summary
/// line every 10 seconds.
// @unchecked: the counters and timestamps (`var`) are read and written only under `lock`.
final class ProgressPrinter: ApplyObserver, @unchecked Sendable {
    let output: Output
    let perResource: Bool
    let live: Bool
    let totalTenants: Int
    let totalChanges: Int
    private let lock = NSLock()
    private var doneTenants = 0
    private var doneChanges = 0
    private var failures = 0
    private let start = Date()
    private var lastSummary = Date()
    private var lastLive = Date(timeIntervalSince1970: 0)

    convenience init(output: Output, plan: Plan) {
        self.init(output: output, pending: Applicable.plan(plan).pending)
    }

    /// `pending`: the tenants the run will apply.
    init(output: Output, pending: [PendingTenant]) {
        self.output = output
        totalTenants = pending.count
        totalChanges = pending.reduce(0) { $0 + $1.changes }
        perResource = totalChanges <= 200
        live = !perResource && output.stderrIsTerminal
    }

    func handle(_ event: ApplyEvent) {
        lock.lock()
        defer { lock.unlock() }
        switch event {
        case .replanning, .waveFinished, .rollout:
            // Rollout lines only: the counters and the live line do not move.
            if let text = Self.rolloutLine(event) { line(text) }
            return
        default:
            break
        }
        let p = output.errPalette
        switch event {
        case .tenantStarted(let t, let n):
            if !perResource && !live { line("\(t): started (\(n) change\(n == 1 ? "" : "s"))") }
        case .resourceStarted(let a, let action):
            if perResource { line("\(a): \(verb(action, done: false))...") }
        case .resourceFinished(let a, let action, let secs, let error):
            doneChanges += 1
            if let error {
                failures += 1
                line("\(a): " + p.red("failed") + " after \(fmt(secs)): \(error)")
            } else if perResource {
                line("\(a): \(verb(action, done: true)) (\(fmt(secs)))")
            }
        case .tenantFinished(let o):
            doneTenants += 1
            if (!perResource && !live) || o.failed > 0 || o.skipped > 0 {
                let status = o.status == .failed ? p.red(o.status.rawValue) : p.green(o.status.rawValue)
                line("\(o.tenant): \(status) in \(fmt(o.seconds)) (\(o.applied) applied, \(o.failed) failed, \(o.skipped) not attempted)")
            }
        case .diagnostic(let d):
            if live { output.printErrRaw("\r\u{1B}[K") }
            output.diagnostic(d)
        case .replanning, .waveFinished, .rollout:
            break  // handled above
        }
        let now = Date()
        if live, now.timeIntervalSince(lastLive) >= 0.1 || doneTenants == totalTenants {
            lastLive = now
            output.printErrRaw("\r\u{1B}[K" + summary())
            if doneTenants == totalTenants { output.printErrRaw("\n") }
        } else if !live, !perResource, now.timeIntervalSince(lastSummary) >= 10 {
            lastSummary = now
            line("progress: " + summary())
        }
    }

    /// The line a rollout event prints (stderr, in text and JSON modes alike); nil for other
    /// events, and for the end of the only wave.
    static func rolloutLine(_ event: ApplyEvent) -> String? {
        switch event {
        case .replanning(let tenants, let displaced):
            let n = tenants.count
            let moved = n - displaced.count
            var why: [String] = []
            if moved > 0 { why.append("\(moved) tenant\(moved == 1 ? "" : "s") changed while waiting for the lock") }
            if !displaced.isEmpty {
                why.append(
                    """
                    \(displaced.count) tenant\(displaced.count == 1 ? "'s" : "s'") listener filled up meanwhile \
                    (concurrent applies placed tenants there)
                    """
                )
            }
            return why.joined(separator: "; ") + ": planning \(n == 1 ? "it" : "them") again"
        case .waveFinished(let wave, let waves, let tenants, let failed) where waves > 1:
            return "wave \(wave)/\(waves): \(tenants) tenant\(tenants == 1 ? "" : "s") applied, \(failed) failed"
        case .rollout(let n):
            switch n.kind {
            case .unhealthy: return "\(n.tenant ?? ""): unhealthy: \(n.message)"
            default: return n.message
            }
        default:
            return nil
        }
    }

    private func line(_ s: String) {
        if live { output.printErrRaw("\r\u{1B}[K") }
        output.printErr(s)
    }

    func summary() -> String {
        let elapsed = Date().timeIntervalSince(start)
        return
            """
            \(doneTenants)/\(totalTenants) tenants, \(doneChanges)/\(totalChanges) changes, \(failures) failed, \
            \(fmt(elapsed)) elapsed, \(String(format: "%.0f", Double(doneChanges) / max(elapsed, 0.001))) \
            changes/s
            """
    }

    func verb(_ a: Action, done: Bool) -> String {
        switch a {
        case .create: return done ? "created" : "creating"
        case .update: return done ? "updated" : "updating"
        case .replace: return done ? "replaced" : "replacing"
        case .delete: return done ? "destroyed" : "destroying"
        default: return a.rawValue
        }
    }

    func fmt(_ s: Double) -> String { s < 10 ? String(format: "%.2fs", s) : String(format: "%.0fs", s) }
}

/// `--json`: one JSON object per line on stdout, for tooling: `tenant_started`,
/// `resource_changed`, `tenant_finished`, `wave_finished`, `diagnostic`, `summary`; each with a
/// `time` (seconds since the Unix epoch).
final class JSONEventPrinter: ApplyObserver, Sendable {
    let output: Output
    /// One line is printed at a time, so lines of concurrent events never interleave.
    private let lock = Mutex(())

    init(output: Output) { self.output = output }

    func emit(_ fields: [String: Value]) {
        var m = fields
        m["time"] = .double((Date().timeIntervalSince1970 * 1000).rounded() / 1000)
        let text = JSON.string(.map(m), sortedKeys: true, pretty: false) + "\n"
        lock.withLock { _ in output.print(text) }
    }

    /// A diagnostic's fields in JSON events: severity, summary, detail, and the address, the
    /// provider's attribute and code when it has them.
    static func fields(_ d: Diagnostic) -> [String: Value] {
        var m: [String: Value] = ["severity": .string(d.severity.rawValue), "summary": .string(d.summary), "detail": .string(d.detail)]
        if let a = d.address { m["address"] = .string(a) }
        if let a = d.attribute { m["attribute"] = .string(a) }
        if let c = d.code { m["code"] = .string(c) }
        return m
    }

    func handle(_ event: ApplyEvent) {
        switch event {
        case .tenantStarted(let t, let n):
            emit(["event": "tenant_started", "tenant": .string(t), "changes": .int(n)])
        case .resourceStarted:
            break
        case .resourceFinished(let a, let action, let secs, let error):
            var m: [String: Value] = [
                "event": "resource_changed", "address": .string(a), "action": .string(action.rawValue), "seconds": .double(secs),
                "ok": .bool(error == nil),
            ]
            if let error { m["error"] = .string(error) }
            emit(m)
        case .tenantFinished(let o):
            emit([
                "event": "tenant_finished", "tenant": .string(o.tenant), "status": .string(o.status.rawValue), "applied": .int(o.applied),
                "failed": .int(o.failed), "not_attempted": .int(o.skipped), "seconds": .double(o.seconds),
                "errors": .list(o.errors.map { .string($0.summary) }),
                "diagnostics": .list(o.errors.map { .map(Self.fields($0)) }),
            ])
        case .diagnostic(let d):
            emit(Self.fields(d).merging(["event": "diagnostic"]) { _, b in b })
        case .replanning:
            // Told on stderr as in text mode: the JSON stream has no event for it.
            if let text = ProgressPrinter.rolloutLine(event) { output.printErr(text) }
        case .rollout(let n):
            var m: [String: Value] = ["event": .string("rollout_" + n.kind.rawValue), "rollout": .string(n.rollout), "message": .string(n.message)]
            if let w = n.wave { m["wave"] = .int(w) }
            if let t = n.tenant { m["tenant"] = .string(t) }
            emit(m)
        case .waveFinished(let wave, let waves, let tenants, let failed):
            if waves > 1 {
                emit(["event": "wave_finished", "wave": .int(wave), "waves": .int(waves), "tenants": .int(tenants), "failed": .int(failed)])
            }
        }
    }
}
