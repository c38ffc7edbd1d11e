import Foundation
import Testing

/// Kill -9 at random instants: scripts/crash-test.sh at a small N, against the built binary.
/// The documented run is `scripts/crash-test.sh 100` (see README.md, "Crash test").
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

    @Test func killedAppliesOfATwentyTenantFleetConvergeWithNoOrphansOrDuplicates() throws {
        let script = repoRoot.appendingPathComponent("scripts/crash-test.sh").path
        let run = try Spawned(URL(fileURLWithPath: "/bin/bash"), [script, "4"],
                              env: ["LANDLORD_BIN": CLI.binary.path, "CRASH_TENANTS": "20"]).finish()
        let why = "scripts/crash-test.sh 4 failed; rerun it with the seed it printed and CRASH_KEEP=1 to inspect the fleet.\nstdout:\n\(run.stdout)\nstderr:\n\(run.stderr)"
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
}
