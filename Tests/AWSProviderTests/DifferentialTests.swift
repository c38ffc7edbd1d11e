import Foundation
import LandlordTestSupport
import Testing

extension MotoTests {
    /// scripts/differential.sh: the examples/aws fleet applied on the mock and against moto from
    /// the same specs; both refreshing plans empty, recorded inputs equal, outputs of the same
    /// shape; five attributes changed out of band on both sides planned as the same drift and put
    /// back by one apply. Known moto gaps are reported by the script and not counted. The same
    /// for the Stripe and PostgreSQL types when localstripe and PostgreSQL are there too.
    @Suite(.enabled(if: LandlordBinary.available, "needs the landlord binary: run `swift build` before the tests"))
    struct DifferentialTests {
        @Test func theAWSExampleAgreesOnTheMockAndOnMoto() async throws {
            let script = URL(fileURLWithPath: #filePath)
                .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("scripts/differential.sh")
            let run = try await Spawned.run(URL(fileURLWithPath: "/bin/bash"), [script.path, LandlordBinary.url!.path], base: Moto.environment)
            let summary = run.stdout.split(separator: "\n").last { $0.hasPrefix("differential: ") }.map(String.init) ?? ""
            #expect(run.code == 0, "scripts/differential.sh failed:\n\(run.all)")
            #expect(summary.hasSuffix(", 0 disagreements found"), "\(run.all)")
            #expect(summary.contains("13 types compared") && summary.contains("5 drifts injected"), "\(summary)")
            // The line CI logs.
            print(summary)
        }

        /// scripts/differential-services.sh: examples/onboarding and examples/tiers on the mock
        /// and against moto, localstripe and PostgreSQL; ten Stripe and PostgreSQL attributes
        /// changed out of band. Runs when all three servers are there (scripts/test.sh starts them).
        @Test(
            .enabled(
                if: ProcessInfo.processInfo.environment["LANDLORD_STRIPE_URL"] != nil
                    && ProcessInfo.processInfo.environment["LANDLORD_PG_PORT"] != nil,
                "needs localstripe and PostgreSQL too (LANDLORD_STRIPE_URL, LANDLORD_PG_PORT)"))
        func theStripeAndPostgresExamplesAgreeOnTheMockAndOnTheServers() async throws {
            let script = URL(fileURLWithPath: #filePath)
                .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("scripts/differential-services.sh")
            let run = try await Spawned.run(URL(fileURLWithPath: "/bin/bash"), [script.path, LandlordBinary.url!.path], base: Moto.environment)
            let summary = run.stdout.split(separator: "\n").last { $0.hasPrefix("differential (services): ") }.map(String.init) ?? ""
            #expect(run.code == 0, "scripts/differential-services.sh failed:\n\(run.all)")
            #expect(!summary.contains("skipped"), "\(run.all)")
            #expect(summary.hasSuffix(", 0 disagreements found"), "\(run.all)")
            #expect(summary.contains("(4 stripe/postgres)") && summary.contains("10 drifts injected"), "\(summary)")
            print(summary)
        }
    }
}
