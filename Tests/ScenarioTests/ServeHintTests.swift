import Foundation
import LandlordTestSupport
import Testing

/// `landlord serve` without landlord-server beside it says how to build the server so that it
/// lands there: the build configuration of the running landlord (issue 29, point 3).
@Suite struct ServeHintTests {
    /// The binary under test placed at `relative` in a fresh directory (hard-linked: no copy of
    /// a debug binary), run as `landlord -C FLEET serve`.
    func serve(placedAt relative: String) async throws -> CLI.Run {
        let h = try Harness()
        let placed = h.dir.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: placed.deletingLastPathComponent(), withIntermediateDirectories: true)
        do { try FileManager.default.linkItem(at: CLI.binary, to: placed) } catch {
            try FileManager.default.copyItem(at: CLI.binary, to: placed)
        }
        return try await Spawned.run(placed, ["-C", h.dir.path, "serve"])
    }

    @Test func aReleaseLandlordIsToldTheReleaseBuild() async throws {
        let run = try await serve(placedAt: "pkg/.build/release/landlord")
        #expect(run.code == 1)
        #expect(run.stderr.contains("pkg/.build/release/landlord-server does not exist"), "\(run.stderr)")
        #expect(run.stderr.contains("`swift build -c release --product landlord-server`"), "\(run.stderr)")
    }

    @Test func aDebugLandlordIsToldTheDebugBuild() async throws {
        let run = try await serve(placedAt: "pkg/.build/x86_64-unknown-linux-gnu/debug/landlord")
        #expect(run.code == 1)
        #expect(run.stderr.contains("`swift build --product landlord-server`"), "\(run.stderr)")
        #expect(!run.stderr.contains("-c release"), "\(run.stderr)")
    }

    @Test func anInstalledLandlordIsToldTheInstallScript() async throws {
        let run = try await serve(placedAt: "prefix/bin/landlord")
        #expect(run.code == 1)
        #expect(run.stderr.contains("LANDLORD_INSTALL_SERVER=1"), "\(run.stderr)")
        // Copying a server means the one of this build's configuration (CI also runs these tests -O).
        #if DEBUG
            let configuration = "debug"
        #else
            let configuration = "release"
        #endif
        #expect(run.stderr.contains("copy .build/\(configuration)/landlord-server to"), "\(run.stderr)")
    }
}
