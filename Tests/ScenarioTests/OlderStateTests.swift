import Foundation
import LandlordCore
import LandlordLocalState
import ProviderAPI
import Testing

/// State written before pools were declared alike (`Fixtures/state-before-declared-pools`: the
/// quickstart applied by that version, its platform document at version 2 with allocations
/// saying `listener` and `priorities`) still loads, plans no changes, and is carried forward.
@Suite struct OlderStateTests {
    /// A copy of the fixture fleet, its state and simulated cloud in `.landlord`.
    static func fleet() throws -> URL {
        let source = repoRoot.appendingPathComponent("Tests/ScenarioTests/Fixtures/state-before-declared-pools")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("landlord-older-state-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: source, to: dir)
        try FileManager.default.moveItem(at: dir.appendingPathComponent("landlord"), to: dir.appendingPathComponent(".landlord"))
        return dir
    }

    @Test func theOlderPlatformDocumentLoadsWithItsPlacementsAndNumbers() async throws {
        let dir = try Self.fleet()
        defer { try? FileManager.default.removeItem(at: dir) }
        let platform = try await LocalStateStore(directory: dir.appendingPathComponent(".landlord").path).loadPlatform()
        let listener = "arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/alb-1/50dc6c495c0c9188/f2f7dc8efc522ab2"
        #expect(
            platform.allocations["acme"]
                == TenantAllocation(member: listener, numbers: ["backend_rule": 1, "frontend_rule": 2], usage: ["rules": 2, "targetGroups": 2]))
        #expect(platform.allocations["globex"]?.numbers == ["backend_rule": 3, "frontend_rule": 4])
        #expect(platform.numbers["globex"] == ["tenantNumber": 1001])
    }

    @Test func itPlansNoChangesAndAnApplyRewritesItInTheCurrentForm() async throws {
        let dir = try Self.fleet()
        defer { try? FileManager.default.removeItem(at: dir) }
        let plan = try await CLI.run(["-C", dir.path, "plan", "--detailed-exitcode"])
        #expect(plan.code == 0, "state of the older form must plan no changes: \(plan.all)")
        #expect(plan.stdout.contains("No changes."), "\(plan.all)")

        // A new tenant: placed beside the others, on the next free priorities.
        try """
        apiVersion: landlord/v1\nkind: Tenant\nid: initech\nblueprint: web\nparameters: {subdomain: initech, \
        backendImage: \"registry.example.com/backend:1.4.2\"}\n
        """.write(to: dir.appendingPathComponent("tenants/initech.yaml"), atomically: true, encoding: .utf8)
        let apply = try await CLI.run(["-C", dir.path, "apply", "--auto-approve"])
        #expect(apply.code == 0, "\(apply.all)")
        let text = try String(contentsOf: dir.appendingPathComponent(".landlord/state/platform.json"), encoding: .utf8)
        guard case .map(let doc) = try JSON.parse(Array(text.utf8)), let allocations = doc["allocations"]?.mapValue else {
            Issue.record("platform.json is not a JSON object: \(text)")
            return
        }
        #expect(doc["format_version"]?.intValue == PlatformState.formatVersion)
        for tenant in ["acme", "globex", "initech"] {
            let a = allocations[tenant]?.mapValue ?? [:]
            #expect(a["member"] != nil && a["numbers"] != nil && a["listener"] == nil && a["priorities"] == nil, "\(tenant): \(a)")
        }
        func number(_ tenant: String, _ resource: String) -> Int? {
            allocations[tenant]?.mapValue?["numbers"]?.mapValue?[resource]?.intValue
        }
        #expect(number("acme", "frontend_rule") == 2)
        #expect(number("initech", "backend_rule") == 5)
        let again = try await CLI.run(["-C", dir.path, "plan", "--detailed-exitcode"])
        #expect(again.code == 0, "\(again.all)")
    }
}
