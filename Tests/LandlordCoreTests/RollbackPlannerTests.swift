import AWSSchema
import ProviderAPI
import Testing

@testable import LandlordCore

/// The rollback planner on its own: from the resources recorded after a rollout back to those
/// recorded before it.
@Suite struct RollbackPlannerTests {
    let schemas = AWSResourceTypes.schema.resources

    func fleet() throws -> Fleet {
        let (fleet, diags) = try SpecFixture(tenants: ["acme": SpecFixture.tenant("acme")]).load()
        return try #require(fleet, "\(diags.errors)")
    }

    func state(_ resources: [String: ResourceState]) -> TenantState {
        var s = TenantState(tenant: "acme", blueprint: "web")
        s.resources = resources
        s.serial = 7
        return s
    }

    func taskDef(_ arn: String, _ image: String) -> ResourceState {
        ResourceState(
            type: "aws.ecs_task_definition", id: arn, inputs: ["family": "t-acme", "image": .string(image), "cpu": 256, "memory": 512],
            outputs: ["arn": .string(arn), "revision": 1], dependencies: [])
    }

    func service(_ taskDefinition: String) -> ResourceState {
        ResourceState(
            type: "aws.ecs_service", id: "svc-acme",
            inputs: ["cluster": "c", "taskDefinition": .string(taskDefinition), "desiredCount": 1], outputs: ["arn": "svc-acme"],
            dependencies: ["task"])
    }

    @Test func replacedResourcesGoBackAndTheirDependentsFollowTheNewValues() throws {
        let before = state(["task": taskDef("td:1", "img:1"), "svc": service("td:1")])
        var extra = taskDef("td:x", "sidecar:1")
        extra.inputs["family"] = "t-acme-extra"
        let after = state(["task": taskDef("td:2", "img:2-bad"), "svc": service("td:2"), "extra": extra])
        let plan = try RollbackPlanner.plan(tenant: "acme", current: after, before: before, fleet: fleet(), schemas: schemas, rollout: "r-1").get()
        #expect(plan.rollback && plan.serial == 7)
        let byName = Dictionary(uniqueKeysWithValues: plan.changes.map { ($0.name, $0) })
        #expect(byName["task"]?.action == .replace)
        #expect(byName["task"]?.after?["image"] == "img:1")
        // The service points at the task definition the rollback makes, not the old revision.
        #expect(byName["svc"]?.action == .update)
        #expect(byName["svc"]?.after?["taskDefinition"] == .deferred([.reference(resource: "task", path: ["arn"])]))
        #expect(byName["extra"]?.action == .delete)
        #expect(byName["extra"]?.reasons.first?.contains("created by the rollout") == true)
    }

    @Test func aNewTenantIsTornDownAndAnUnchangedOneHasNothingToDo() throws {
        let after = state(["task": taskDef("td:2", "img:2"), "svc": service("td:2")])
        let torn = try RollbackPlanner.plan(tenant: "acme", current: after, before: nil, fleet: fleet(), schemas: schemas, rollout: "r-1").get()
        #expect(torn.changes.map(\.action) == [.delete, .delete])
        #expect(torn.changes.map(\.name) == ["svc", "task"])  // dependents first
        let same = try RollbackPlanner.plan(tenant: "acme", current: after, before: after, fleet: fleet(), schemas: schemas, rollout: "r-1").get()
        #expect(!same.hasChanges)
    }

    @Test func protectedAndDataBearingResourcesAreNotRolledBack() throws {
        var pool = ResourceState(
            type: "aws.cognito_user_pool", id: "pool-1", inputs: ["name": "acme-users"], outputs: ["id": "pool-1"], dependencies: [])
        let before = state(["users": pool])
        pool.inputs["name"] = "acme-users-2"
        pool.id = "pool-2"
        let replaced = RollbackPlanner.plan(
            tenant: "acme", current: state(["users": pool]), before: before, fleet: try fleet(), schemas: schemas, rollout: "r-1")
        guard case .failure(let why) = replaced else {
            Issue.record("replacing a user pool back must be refused")
            return
        }
        #expect(why.reason.contains("data-bearing resource acme/users"))
        var kept = taskDef("td:2", "img:2")
        kept.protect = true
        let created = RollbackPlanner.plan(
            tenant: "acme", current: state(["task": kept]), before: state([:]), fleet: try fleet(), schemas: schemas, rollout: "r-1")
        guard case .failure(let protected) = created else {
            Issue.record("deleting a protected resource must be refused")
            return
        }
        #expect(protected.reason.contains("protected resource acme/task"))
    }
}
