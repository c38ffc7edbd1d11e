import Foundation
import LandlordTestSupport
import MockProvider
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Kill -9 at random instants: scripts/crash-test.sh at a small N, against the built binary.
/// The documented run is `scripts/crash-test.sh 100` (see docs/state.md, "Crash test").
@Suite struct CrashSafetyTests {
    /// The counts the script prints (`orphans: 0`, `kills: 7`, ...), by label.
    static func counts(_ output: String) -> [String: Int] {
        var out: [String: Int] = [:]
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, let n = Int(parts[1]) { out[parts[0]] = n }
        }
        return out
    }

    @Test func killedAppliesOfATwentyTenantFleetConvergeWithNoOrphansOrDuplicates() async throws {
        let script = repoRoot.appendingPathComponent("scripts/crash-test.sh").path
        let run = try await Spawned(
            URL(fileURLWithPath: "/bin/bash"), [script, "4"],
            // A fixed seed (printed by the script) so CI runs the same kills every time;
            // CRASH_SEED in the environment picks another.
            env: [
                "LANDLORD_BIN": CLI.binary.path, "CRASH_TENANTS": "20", "CRASH_SEED": ProcessInfo.processInfo.environment["CRASH_SEED"] ?? "20261201",
            ]
        ).finish()
        let why =
            """
            scripts/crash-test.sh 4 failed; rerun it with the seed it printed and CRASH_KEEP=1 to inspect the \
            fleet.\nstdout:\n\(run.stdout)\nstderr:\n\(run.stderr)
            """
        #expect(run.code == 0, "\(why)")
        let c = Self.counts(run.stdout)
        #expect(c["rounds"] == 4, "\(why)")
        #expect(c["orphans"] == 0, "\(why)")
        #expect(c["missing"] == 0, "\(why)")
        #expect(c["duplicates"] == 0, "\(why)")
        #expect(c["plan exit"] == 0, "\(why)")
        #expect((c["kills"] ?? 0) >= 1, "no apply was killed mid-run, so nothing was tested: \(why)")
        #expect(run.stdout.contains("CRASH TEST PASSED"), "\(why)")
    }

    /// The journal is what makes a killed apply recoverable: tenant documents are written when
    /// a tenant finishes, so until then every change lives only in the journal.
    @Test func aKilledApplysJournalIsReplayedByTheNextReaderAndAccountsForEveryCloudResource() async throws {
        let h = try Harness()
        let journalDir = h.dir.appendingPathComponent(".landlord/state/journal").path
        func journals() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: journalDir)) ?? []).filter { $0.hasSuffix(".wal") } }
        // Once 4 resources exist, the polling thread creates the hold file: the apply's next
        // call waits there (mid-run, its journal open) until it is killed.
        let holdPath = h.dir.appendingPathComponent("hold").path
        let run = try Spawned.landlord(
            ["-C", h.dir.path, "apply", "--auto-approve", "--parallelism", "4"],
            env: ["LANDLORD_MOCK_LATENCY_MS": "20", "LANDLORD_MOCK_HOLD_FILE": holdPath])
        let created = await eventually {
            guard ((try? h.cloud().count) ?? 0) >= 4 else { return !run.isRunning }
            return FileManager.default.createFile(atPath: holdPath, contents: Data())
        }
        #expect(created, "the apply never created anything")
        if !run.isRunning {
            Issue.record("the apply finished before it could be held: \(await run.finish().all)")
            return
        }
        kill(run.pid, SIGKILL)
        _ = await run.finish()
        #expect(journals().count == 1, "a killed apply must leave its journal behind")

        // Any read of the state replays it first.
        let recorded = try await h.recorded()
        #expect(journals().isEmpty, "the journal of a dead run must be removed once replayed")
        var pending = Set<String>()
        for id in try await h.store.listTenants() {
            for name in try await h.store.loadTenant(id)?.pending.keys ?? [:].keys { pending.insert(id + "/" + name) }
        }
        let recordedIDs = Set(recorded.values.map(\.id))
        let cloud = try h.cloud()
        // Results ride along with the next durable write, so the last few creates may come
        // back as pending intents (adopted by the next apply) rather than as resources.
        #expect(!recorded.isEmpty || !pending.isEmpty, "the replay restored nothing, though \(cloud.count) resources were made")
        for r in cloud {
            let address = r.tags["landlord:address"] ?? "?"
            #expect(
                recordedIDs.contains(r.id) || pending.contains(address),
                "cloud resource \(r.type) \(r.id) (\(address)) is neither recorded nor pending after the replay: it would leak")
        }
        // And the next apply finishes the job from there.
        let rerun = try await CLI.run(["-C", h.dir.path, "apply", "--auto-approve"])
        #expect(rerun.code == 0, "\(rerun.stdout)\(rerun.stderr)")
        #expect(try h.cloud().count == 28, "two tenants of 14 resources each, no duplicates")
    }
}
