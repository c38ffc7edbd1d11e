import Foundation
import LandlordTestSupport
import Testing

extension MotoTests {
    /// examples/migrate/e2e.sh: three tenants made by the sign-up Lambda (boto3, untagged) are
    /// adopted (24 resources, tags to add, no replacement), the next plan has no changes, and
    /// destroying one removes exactly its resources; two pools of one name, a target group tagged
    /// for another address and a missing record are each refused with state untouched. The
    /// script runs its own moto_server (with Cognito's TagResource, which moto 5.2.1 lacks).
    @Suite(.enabled(if: LandlordBinary.available, "needs the landlord binary: run `swift build` before the tests"))
    struct AdoptionEndToEndTests {
        @Test func aLambdaMadeFleetIsAdoptedFromMoto() async throws {
            let script = URL(fileURLWithPath: #filePath)
                .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("examples/migrate/e2e.sh")
            let run = try await Spawned.run(URL(fileURLWithPath: "/bin/bash"), [script.path, LandlordBinary.url!.path], base: Moto.environment)
            #expect(run.code == 0, "examples/migrate/e2e.sh failed:\n\(run.all)")
            #expect(run.all.contains("wayne refused: is tagged for acme/web_tg"))
            #expect(run.all.contains("migrate e2e passed"))
        }
    }
}
