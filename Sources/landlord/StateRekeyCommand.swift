import ArgumentParser
import FleetWiring
import Foundation
import LandlordCore
import ProviderAPI
import Synchronization

extension StateCommand {
    /// `landlord state rekey [PLANFILE...]`: re-seal every sensitive value with the current key.
    struct Rekey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-seal every sensitive value in state with the current state key (the first of state.keys).",
            discussion: """
                Reads every tenant document with all the keys of `state: {keys: [current, previous...]}` and \
                writes each one holding a value sealed with a previous key, or stored in clear, sealed with \
                the current key; then the last rollout's rollback points. Each document is written \
                atomically and keeps its serial, so a run killed midway leaves every value readable with \
                one of the keys (run it again to finish) and saved plans still apply. Plan files given are \
                checked: they keep hashes of sensitive values, never sealed values. See docs/state-encryption.md.
                """)

        @ParentCommand var root: Landlord

        @Argument(help: "Saved plan files to check (`landlord plan --out FILE`).")
        var planFiles: [String] = []

        @Option(help: "Documents re-sealed at once (default 16; 1 writes them one by one, in tenant order).")
        var parallelism = 16

        @Option(name: .customLong("lock-timeout"), help: "Seconds to wait for a tenant lock held by another run (default 0: fail at once).")
        var lockTimeout: Double = 0

        func validate() throws {
            guard parallelism >= 1 else { throw ValidationError("--parallelism must be at least 1") }
            guard lockTimeout >= 0 else { throw ValidationError("--lock-timeout cannot be negative") }
        }

        func run() async throws {
            let ctx = try await Context.load(root.global, unchanged: "nothing was re-sealed")
            guard let cipher = ctx.cipher else {
                ctx.output.error(
                    "no state key is set, so there is nothing to re-seal with: list the keys in platform.yaml, the new one first "
                        + "(`state: {keys: [{kms: KEY}, {env: OLD_STATE_KEY}]}`), and run again; nothing was changed")
                throw ExitCode(1)
            }
            let plans = try checkPlans(ctx)
            let env = ProcessInfo.processInfo.environment
            let rekey: StateRekey
            do {
                rekey = StateRekey(
                    store: ctx.store, currentOnly: try FleetWiring.store(ctx.fleet, root: ctx.root, environment: env, cipher: cipher.currentOnly),
                    keyless: try FleetWiring.store(ctx.fleet, root: ctx.root, environment: env, cipher: nil), cipher: cipher)
            } catch {
                ctx.output.error("\(ctx.fleet.platform.file): \(error)")
                throw ExitCode(1)
            }
            // `LANDLORD_CRASH_AFTER_RESEAL=N` (tests only): the process kills itself once N
            // documents are written, to show a rekey killed midway leaves every value readable.
            let crashAfter = env["LANDLORD_CRASH_AFTER_RESEAL"].flatMap(Int.init)
            let written = RekeyCounter()
            let report: RekeyReport
            do {
                report = try await rekey.run(
                    holder: LockHolder(operation: "rekey"), lease: ctx.fleet.platform.state.lockLeaseSeconds, lockTimeout: lockTimeout,
                    parallelism: parallelism
                ) { _, _ in
                    if let crashAfter, written.increment() >= crashAfter { kill(getpid(), SIGKILL) }
                }
            } catch {
                ctx.output.error("\(error)")
                ctx.output.printErr("Every document not yet re-sealed is as it was; fix the cause and run `landlord state rekey` again to finish.")
                throw ExitCode(1)
            }
            ctx.output.print(summary(report, cipher: cipher, plans: plans))
        }

        /// Reads each plan file given: a plan that does not decode is an error before anything
        /// is written. Returns how many there were (none holds a sealed value).
        func checkPlans(_ ctx: Context) throws -> Int {
            for path in planFiles {
                guard let bytes = FileManager.default.contents(atPath: path) else {
                    ctx.output.error("cannot read the plan file \(path); nothing was changed")
                    throw ExitCode(1)
                }
                do { _ = try PlanFile.decode(Array(bytes)) } catch {
                    ctx.output.error("\(path): \(error); nothing was changed")
                    throw ExitCode(1)
                }
                let sealed = (try? JSON.parse(Array(bytes)))?.mapValue?["marks"]?.mapValue?["sealed"]?.listValue?.count ?? 0
                guard sealed == 0 else {
                    ctx.output.error("\(path) holds \(sealed) sealed values, which plans never do: make the plan again; nothing was changed")
                    throw ExitCode(1)
                }
            }
            return planFiles.count
        }

        func summary(_ r: RekeyReport, cipher: StateCipher, plans: Int) -> String {
            func n(_ k: Int, _ what: String) -> String { "\(k) \(what)\(k == 1 ? "" : "s")" }
            var out = "Re-sealed with the current key (\(cipher.sources[0])):\n"
            out += "  tenant documents: \(n(r.documents, "document")) re-sealed (\(n(r.values, "sensitive value"))), "
            out += "\(r.alreadyCurrent) already current, \(r.withoutSecrets) without sensitive values\n"
            out += "  rollback points: \(r.rollbackPoints) re-sealed\n"
            if plans > 0 {
                out += "  plan files: \(plans) checked, 0 sealed values (a saved plan keeps hashes of sensitive values, never the values); "
                out += "each still applies, as rekey keeps every tenant's serial\n"
            }
            out += "Every sensitive value now opens with the current key alone. "
            out += cipher.keyCount > 1 ? "Once every machine runs with it first, remove the previous keys from state.keys.\n" : "\n"
            return out
        }
    }
}

/// A count shared with the rekey's callback.
final class RekeyCounter: Sendable {
    private let value = Mutex(0)
    /// Adds one and returns the new count.
    func increment() -> Int {
        value.withLock { v in
            v += 1
            return v
        }
    }
}
