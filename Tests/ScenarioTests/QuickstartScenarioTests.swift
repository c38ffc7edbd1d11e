import AWSSchema
import Foundation
import LandlordCore
import ProviderAPI
import Testing

/// The five things a user does with the quickstart fleet (issue: end to end on the mock).
@Suite struct QuickstartScenarioTests {
    @Test func firstPlanCreatesBothTenantsWithAtLeastEightResourcesEach() async throws {
        let h = try Harness()
        let plan = try await h.plan()
        #expect(plan.tenants.map(\.tenant) == ["acme", "globex"])
        for t in plan.tenants {
            #expect(t.changes.count >= 8)
            #expect(t.changes.allSatisfy { $0.action == .create })
        }
        // Dependency order: a rule comes after its target group, a service after its task definition.
        let first = try #require(plan.tenants.first)
        let names = first.changes.map(\.name)
        #expect(comesBefore("backend_tg", "backend_rule", in: names))
        #expect(comesBefore("backend_task", "backend", in: names))
        #expect(comesBefore("backend", "frontend", in: names))
        // Computed attributes are known after apply.
        let rule = try #require(first.changes.first { $0.name == "backend_rule" })
        if case .deferred = rule.after?["targetGroupArn"] {} else { Issue.record("targetGroupArn should be known after apply") }
        #expect(rule.after?["priority"] != nil)
        #expect(TextRenderer().render(plan).contains("Plan: 28 to create, 0 to update, 0 to replace, 0 to delete."))
    }

    @Test func applyCreatesInTheCloudAndASecondPlanIsEmpty() async throws {
        let h = try Harness()
        let result = try await h.apply()
        #expect(!result.failed)
        #expect(result.tenants.map(\.status) == [.active, .active])
        let cloud = try h.cloud()
        #expect(cloud.count == 28)
        #expect(cloud.allSatisfy { $0.tags["landlord:address"] != nil })
        let recorded = try await h.recorded()
        #expect(Set(recorded.values.map(\.id)) == Set(cloud.map(\.id)))
        // Rule priorities are distinct per listener and stable.
        let priorities = cloud.filter { $0.type == AWSResourceTypes.listenerRule }.compactMap { $0.attributes["priority"]?.intValue }
        #expect(Set(priorities).count == 4)
        let again = try await h.plan()
        #expect(again.isEmpty)
        #expect(again.unchangedTenants == 2)
    }

    @Test func changingTheBackendImageReplacesOnlyItsTaskDefinitionAndUpdatesItsService() async throws {
        let h = try Harness()
        try await h.apply()
        try h.edit("tenants/acme.yaml") { $0.replacingOccurrences(of: "backend:1.4.2", with: "backend:1.5.0") }
        let plan = try await h.plan()
        #expect(plan.tenants.map(\.tenant) == ["acme"])
        let acme = try #require(plan.tenants.first, "the image change should plan changes for acme")
        let changes = Dictionary(uniqueKeysWithValues: acme.changes.map { ($0.name, $0) })
        #expect(Set(changes.keys) == ["backend_task", "backend"])
        #expect(changes["backend_task"]?.action == .replace)
        #expect(changes["backend_task"]?.forcedBy == ["image"])
        #expect(changes["backend"]?.action == .update)
        #expect(changes["backend"]?.changed == ["taskDefinition"])
        let text = TextRenderer().render(plan)
        #expect(text.contains("# forces replacement"))
        #expect(text.contains("(known after apply)"))
        let result = try await h.apply()
        #expect(!result.failed)
        let task = try await h.recorded()["acme/backend_task"]
        #expect(task?.inputs["image"] == .string("registry.example.com/backend:1.5.0"))
        #expect(try await h.recorded()["acme/backend"]?.inputs["taskDefinition"] == task?.outputs["arn"])
        // The old revision is gone from the cloud, the new one is there, nothing deposed is left.
        let taskDefs = try h.cloud().filter { $0.type == AWSResourceTypes.taskDefinition && $0.tags["landlord:tenant"] == "acme" }
        #expect(taskDefs.count == 2)
        #expect(try await h.recorded().keys.contains { $0.contains("#deposed") } == false)
        #expect(try await h.plan().isEmpty)
    }

    @Test func updatingAnInPlaceAttributeIsAnUpdate() async throws {
        let h = try Harness()
        try await h.apply()
        try h.edit("blueprints/web.yaml") { $0.replacingOccurrences(of: "healthCheckPath: /health}", with: "healthCheckPath: /healthz}") }
        let plan = try await h.plan()
        #expect(plan.summary.update == 2)
        #expect(plan.summary.total == 2)
        #expect(plan.tenants.allSatisfy { $0.changes.map(\.name) == ["backend_tg"] && $0.changes.first?.changed == ["healthCheckPath"] })
        #expect(try await !h.apply().failed)
        #expect(try await h.plan().isEmpty)
    }

    @Test func deletingATenantFileDeletesExactlyItsResourcesInReverseOrder() async throws {
        let h = try Harness()
        try await h.apply()
        try h.remove("tenants/globex.yaml")
        let plan = try await h.plan()
        #expect(plan.tenants.map(\.tenant) == ["globex"])
        let changes = try #require(plan.tenants.first).changes
        #expect(changes.count == 14)
        #expect(changes.allSatisfy { $0.action == .delete })
        let order = changes.map(\.name)
        // Dependents go first.
        #expect(comesBefore("backend_rule", "backend_tg", in: order))
        #expect(comesBefore("backend", "backend_task", in: order))
        #expect(comesBefore("users_client", "users", in: order))
        #expect(comesBefore("frontend", "backend", in: order))
        let result = try await h.apply()
        #expect(!result.failed)
        #expect(try h.cloud().filter { $0.tags["landlord:tenant"] == "globex" }.isEmpty)
        #expect(try h.cloud().count == 14)
        #expect(try await h.recorded().keys.allSatisfy { $0.hasPrefix("acme/") })
        #expect(try await h.plan().isEmpty)
    }

    @Test func destroyRemovesOneTenantAndKeepsItsFile() async throws {
        let h = try Harness()
        try await h.apply()
        let result = try await h.apply(PlanOptions(destroy: ["acme"]))
        #expect(!result.failed)
        #expect(try h.cloud().allSatisfy { $0.tags["landlord:tenant"] == "globex" })
        #expect(try h.cloud().count == 14)
        #expect(FileManager.default.fileExists(atPath: h.dir.appendingPathComponent("tenants/acme.yaml").path))
        #expect(try await h.store.loadTenant("acme")?.status == .destroyed)
        // A later plan leaves the destroyed tenant alone, and says so.
        let planAndDiags = try await h.workspace().plan(PlanOptions())
        let plan = planAndDiags.plan
        let diags = planAndDiags.diagnostics
        #expect(plan?.isEmpty == true)
        #expect(diags.warnings.contains { $0.summary.contains("'acme' was destroyed") })
        // Naming it provisions it again.
        let back = try await h.plan(PlanOptions(tenants: ["acme"]))
        #expect(back.summary.create == 14)
    }

    @Test func rulePrioritiesAreReleasedOnDestroyAndReused() async throws {
        let h = try Harness()
        try await h.apply()
        let before = try await h.store.loadPlatform()
        let acme = try #require(before.allocations["acme"])
        #expect(acme.numbers.count == 2)
        try await h.apply(PlanOptions(destroy: ["acme"]))
        #expect(try await h.store.loadPlatform().allocations["acme"] == nil)
        try h.write(
            "tenants/initech.yaml",
            """
            apiVersion: landlord/v1
            kind: Tenant
            id: initech
            blueprint: web
            parameters: {subdomain: initech, backendImage: "registry.example.com/backend:1.4.2"}
            """)
        try await h.apply(PlanOptions(tenants: ["initech"]))
        let initech = try #require(try await h.store.loadPlatform().allocations["initech"])
        #expect(Set(initech.numbers.values) == Set(acme.numbers.values))
    }
}

/// True when both names are in `names` and `a` comes first (a missing name fails the check
/// instead of crashing the test process).
func comesBefore(_ a: String, _ b: String, in names: [String]) -> Bool {
    guard let i = names.firstIndex(of: a), let j = names.firstIndex(of: b) else { return false }
    return i < j
}
