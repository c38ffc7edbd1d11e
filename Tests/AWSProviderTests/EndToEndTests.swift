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
        @Test func awsExampleFleetPlanApplyDestroy() throws {
            let script = URL(fileURLWithPath: #filePath)
                .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("examples/aws/e2e.sh")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = [script.path, LandlordBinary.url!.path]
            var env = Moto.environment
            env["NO_COLOR"] = "1"
            process.environment = env
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "examples/aws/e2e.sh failed:\n\(output)")
            #expect(output.contains("acme: 0 resources left"))
            #expect(output.contains("e2e passed"))
        }
    }
}
