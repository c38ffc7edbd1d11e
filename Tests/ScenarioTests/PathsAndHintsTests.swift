import Foundation
import LandlordTestSupport
import Testing

/// Smaller points of issue 29 (point 9): plan files are taken from -C as `init DIR` is (as
/// after `cd DIR`, like git -C and terraform -chdir), the hints that name them carry the -C,
/// and `init` prints a `Next:` command that runs from where the user is.
@Suite struct PathsAndHintsTests {
    @Test func planFilesAreTakenFromTheFleetDirectoryAndHintsCarryC() async throws {
        let h = try Harness()
        let plan = try await CLI.run(["-C", h.dir.path, "plan", "--out", "tenants.plan"])
        #expect(plan.code == 0, "\(plan.all)")
        #expect(FileManager.default.fileExists(atPath: h.dir.appendingPathComponent("tenants.plan").path), "written under -C")
        #expect(plan.stderr.contains("Saved the plan to \(h.dir.path)/tenants.plan."), "\(plan.stderr)")
        #expect(plan.stderr.contains(" -C \(h.dir.path) show tenants.plan`"), "\(plan.stderr)")
        #expect(plan.stderr.contains(" -C \(h.dir.path) apply tenants.plan`"), "\(plan.stderr)")
        let shown = try await CLI.run(["-C", h.dir.path, "show", "tenants.plan"])
        #expect(shown.code == 0 && shown.stdout.contains("Plan: 28 to create"), "\(shown.all)")

        // The world moves on: the saved plan is stale, and the hint plans again with the same -C.
        #expect(try await CLI.run(["-C", h.dir.path, "apply", "--auto-approve", "--tenant", "acme"]).code == 0)
        let stale = try await CLI.run(["-C", h.dir.path, "apply", "tenants.plan"])
        #expect(stale.code == 1, "\(stale.all)")
        #expect(stale.stderr.contains(" -C \(h.dir.path) plan --out tenants.plan`"), "\(stale.stderr)")
        let missing = try await CLI.run(["-C", h.dir.path, "show", "nothing.plan"])
        #expect(missing.code == 1 && missing.stderr.contains("cannot read plan file \(h.dir.path)/nothing.plan"), "\(missing.stderr)")
    }

    @Test func validateReportsTheParametersBehindAnUnknownBlueprint() async throws {
        let h = try Harness()
        try h.edit("tenants/acme.yaml") {
            $0.replacingOccurrences(of: "blueprint: web", with: "blueprint: wbe").replacingOccurrences(of: "tier: premium", with: "tier: gold")
        }
        let run = try await CLI.run(["-C", h.dir.path, "validate"])
        #expect(run.code == 1)
        #expect(run.stderr.contains("unknown blueprint 'wbe' (did you mean 'web'?)"), "\(run.stderr)")
        #expect(run.stderr.contains("parameter 'tier': 'gold' is not one of basic, premium"), "\(run.stderr)")
        #expect(run.stderr.contains("fix the 2 errors above"), "\(run.stderr)")
    }

    @Test func initsNextCommandRunsFromHere() async throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("landlord-init-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: base) }
        // Not on PATH: the command names the binary as it was run.
        let alone = try await CLI.run(["-C", base.path, "init", "qs"], env: ["PATH": "/usr/bin:/bin"])
        #expect(alone.code == 0, "\(alone.all)")
        #expect(alone.stdout.contains("Next: \(CLI.binary.path) -C \(base.path)/qs plan\n"), "\(alone.stdout)")
        // On PATH (a link to this binary): plain `landlord`.
        let bin = base.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: bin.appendingPathComponent("landlord"), withDestinationURL: CLI.binary)
        let onPath = try await CLI.run(["-C", base.path, "init", "qs2"], env: ["PATH": "\(bin.path):/usr/bin:/bin"])
        #expect(onPath.stdout.contains("Next: landlord -C \(base.path)/qs2 plan\n"), "\(onPath.stdout)")
    }
}
