import Foundation
import LandlordTestSupport
import Testing

/// examples/migrate/e2e.sh: three tenants made by the sign-up Lambda (boto3, untagged) are
/// adopted (27 resources, tags to add, no replacement; each listener rule found by its host
/// on the pool's listener and keeping its priority), the next plan has no changes, and
/// destroying one removes exactly its resources; two pools of one name, a target group tagged
/// for another address, a missing record and a rule at a priority another tenant holds are
/// each refused with state untouched. The script runs its own moto_server (with Cognito's
/// TagResource, which moto 5.2.1 lacks) on a free port, so this suite is not one of `MotoTests`:
/// it runs beside them instead of holding the shared moto's queue for a minute.
@Suite(
    .enabled(if: Moto.available, Moto.disabledReason),
    .enabled(if: LandlordBinary.available, "needs the landlord binary: run `swift build` before the tests"))
struct AdoptionEndToEndTests {
    @Test func aLambdaMadeFleetIsAdoptedFromMoto() async throws {
        let script = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples/migrate/e2e.sh")
        let run = try await Spawned.run(URL(fileURLWithPath: "/bin/bash"), [script.path, LandlordBinary.url!.path], base: Moto.environment)
        #expect(run.code == 0, "examples/migrate/e2e.sh failed:\n\(run.all)")
        #expect(run.all.contains("wayne refused: is tagged for acme/web_tg"))
        #expect(run.all.contains("globex 20 globex/web_rule"), "the Lambda's priority, kept and tagged")
        #expect(run.all.contains("stark refused: stark/web_rule (aws.lb_listener_rule): its priority 30 clashes"))
        #expect(run.all.contains("migrate e2e passed"))
    }
}
