import Foundation
import LandlordTestSupport
import Testing

/// The `landlord` binary built beside this test bundle, if there is one.
enum LandlordBinary {
    static var url: URL? {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir, dir.deletingLastPathComponent()] {
            let url = candidate.appendingPathComponent("landlord")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }
    static var available: Bool { url != nil }
}

extension MotoTests {
    /// examples/aws/e2e.sh: plan, apply, plan again (no changes), drift shown, destroy one tenant,
    /// and nothing of that tenant left in moto as listed through the AWS APIs.
    @Suite(.enabled(if: LandlordBinary.available, "needs the landlord binary: run `swift build` before the tests"))
    struct EndToEndTests {
        @Test func awsExampleFleetPlanApplyDestroy() async throws {
            let script = URL(fileURLWithPath: #filePath)
                .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("examples/aws/e2e.sh")
            var env = Moto.environment
            env["NO_COLOR"] = "1"
            let run = try await Spawned.run(URL(fileURLWithPath: "/bin/bash"), [script.path, LandlordBinary.url!.path], base: env)
            let output = run.all
            #expect(run.code == 0, "examples/aws/e2e.sh failed:\n\(output)")
            #expect(output.contains("acme: 0 resources left"))
            #expect(output.contains("e2e passed"))
        }
    }
}
