import Foundation
import LandlordCore

/// Renders apply events on stderr: one line per resource for small plans, one per tenant for
/// large ones, and a summary line every 10 seconds.
final class ProgressPrinter: ApplyObserver, @unchecked Sendable {
    let output: Output
    let perResource: Bool
    let totalTenants: Int
    let totalChanges: Int
    private let lock = NSLock()
    private var doneTenants = 0
    private var doneChanges = 0
    private var failures = 0
    private let start = Date()
    private var lastSummary = Date()

    init(output: Output, plan: Plan) {
        self.output = output
        totalTenants = plan.tenants.count
        totalChanges = plan.tenants.reduce(0) { $0 + $1.changes.count }
        perResource = totalChanges <= 200
    }

    func handle(_ event: ApplyEvent) {
        lock.lock()
        defer { lock.unlock() }
        let p = output.errPalette
        switch event {
        case .tenantStarted(let t, let n):
            if !perResource { output.printErr("\(t): started (\(n) change\(n == 1 ? "" : "s"))") }
        case .resourceStarted(let a, let action):
            if perResource { output.printErr("\(a): \(verb(action, done: false))...") }
        case .resourceFinished(let a, let action, let secs, let error):
            doneChanges += 1
            if let error {
                failures += 1
                output.printErr("\(a): " + p.red("failed") + " after \(fmt(secs)): \(error)")
            } else if perResource {
                output.printErr("\(a): \(verb(action, done: true)) (\(fmt(secs)))")
            }
        case .tenantFinished(let o):
            doneTenants += 1
            if !perResource || o.failed > 0 || o.skipped > 0 {
                let status = o.status == .failed ? p.red(o.status.rawValue) : p.green(o.status.rawValue)
                output.printErr("\(o.tenant): \(status) in \(fmt(o.seconds)) (\(o.applied) applied, \(o.failed) failed, \(o.skipped) not attempted)")
            }
        case .diagnostic(let d):
            output.diagnostic(d)
        }
        if Date().timeIntervalSince(lastSummary) >= 10 {
            lastSummary = Date()
            let elapsed = Date().timeIntervalSince(start)
            output.printErr("progress: \(doneTenants)/\(totalTenants) tenants, \(doneChanges)/\(totalChanges) changes, \(failures) failed, \(fmt(elapsed)) elapsed, \(String(format: "%.1f", Double(doneChanges) / max(elapsed, 0.001))) changes/s")
        }
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
