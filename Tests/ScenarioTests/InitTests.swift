import Foundation
import QuickstartFleet
import Testing

/// `landlord init DIR`: the quickstart fleet written where a newcomer can edit it, never the
/// repository's examples/quickstart.
@Suite struct InitTests {
    static func scratch() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("landlord-init-\(UUID().uuidString)")
    }

    /// The copy compiled into the binary is the example, file for file: edit
    /// examples/quickstart, then run scripts/embed-quickstart.sh.
    @Test func theEmbeddedFleetEqualsExamplesQuickstart() throws {
        let src = repoRoot.appendingPathComponent("examples/quickstart")
        var onDisk = ["platform.yaml"]
        for sub in ["blueprints", "tenants"] {
            onDisk += try FileManager.default.contentsOfDirectory(atPath: src.appendingPathComponent(sub).path)
                .filter { $0.hasSuffix(".yaml") }.map { "\(sub)/\($0)" }
        }
        let hint =
            """
            examples/quickstart and Sources/QuickstartFleet differ: if the example changed on purpose, run \
            scripts/embed-quickstart.sh; if a walk-through edited it, `git checkout examples/quickstart`
            """
        #expect(QuickstartFleet.files.map(\.path) == onDisk.sorted(), "\(hint)")
        for f in QuickstartFleet.files {
            let text = try String(contentsOf: src.appendingPathComponent(f.path), encoding: .utf8)
            #expect(f.text == text, "\(f.path): \(hint)")
        }
    }

    @Test func initWritesAFleetThatPlansAndAppliesWithoutTouchingTheExample() async throws {
        let dir = Self.scratch()
        let run = try await CLI.run(["init", dir.path])
        #expect(run.code == 0, "\(run.stderr)")
        #expect(run.stdout.contains("landlord -C \(dir.path) plan"), "init should say what to run next")
        for f in QuickstartFleet.files {
            #expect(try String(contentsOf: dir.appendingPathComponent(f.path), encoding: .utf8) == f.text)
        }
        let apply = try await CLI.run(["-C", dir.path, "apply", "--auto-approve"])
        #expect(apply.code == 0, "\(apply.stderr)")
        #expect(apply.stdout.contains("28 changes applied to 2 tenants"))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(".landlord/mock-cloud.json").path))
    }

    @Test func initRefusesANonEmptyDirectoryUnlessForced() async throws {
        let dir = Self.scratch()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let mine = dir.appendingPathComponent("notes.txt")
        try "mine".write(to: mine, atomically: true, encoding: .utf8)
        let refused = try await CLI.run(["init", dir.path])
        #expect(refused.code == 1)
        #expect(refused.stderr.contains("not empty") && refused.stderr.contains("--force"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("platform.yaml").path), "a refused init must write nothing")
        let forced = try await CLI.run(["init", dir.path, "--force"])
        #expect(forced.code == 0, "\(forced.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("tenants/acme.yaml").path))
        #expect(try String(contentsOf: mine, encoding: .utf8) == "mine", "--force replaces the quickstart's files only")
    }
}
