import AWSClient
import AWSProvider
import AWSSchema
import Foundation
import LandlordTestSupport
import ProviderAPI
import Testing

extension MotoTests {
    @Suite struct ECSTests {
        func taskInputs(_ family: String, image: String = "registry.example.com/backend:1.0") -> [String: Value] {
            ["family": .string(family), "image": .string(image), "cpu": 256, "memory": 512, "containerPort": 8080, "environment": ["TIER": "basic"]]
        }

        @Test func taskDefinitionLifecycleAndImport() async throws {
            try await Moto.reset()
            let provider = Moto.provider()
            let t = Tenant()
            let family = "t-\(t.id)-be"
            let created = try await provider.applyOK(t.create(AWSResourceTypes.taskDefinition, "task", taskInputs(family)))
            #expect(created.id.hasSuffix("task-definition/\(family):1"))
            #expect(created.attributes["revision"] == 1)
            let read = try #require(await provider.readOne(created))
            #expect(read.attributes["image"] == "registry.example.com/backend:1.0")
            #expect(read.attributes["cpu"] == 256)
            #expect(read.attributes["environment"] == ["TIER": "basic"])

            let found = await provider.importResources(
                ImportRequest(type: AWSResourceTypes.taskDefinition, identity: t.identity("task"), inputs: taskInputs(family)))
            #expect(found.resources.map(\.id) == [created.id])

            // A changed image registers a new revision; the old one is deregistered.
            let next = try await provider.applyOK(t.update(created, "task", taskInputs(family, image: "registry.example.com/backend:2.0")))
            #expect(next.id.hasSuffix("\(family):2"))
            #expect(next.attributes["revision"] == 2)
            #expect(await provider.readOne(created) == nil)
            #expect(await provider.readOne(next)?.attributes["image"] == "registry.example.com/backend:2.0")

            _ = try await provider.applyOK(t.delete(next, "task"))
            #expect(await provider.readOne(next) == nil)
            _ = try await provider.applyOK(t.delete(next, "task"))
        }

        @Test func serviceLifecycleWaitAndImport() async throws {
            try await Moto.reset()
            let provider = Moto.provider()
            let fixtures = Fixtures(client: try Moto.client())
            let cluster = try await fixtures.cluster(Moto.unique("cluster"))
            let t = Tenant()
            let task1 = try await provider.applyOK(t.create(AWSResourceTypes.taskDefinition, "task", taskInputs("t-\(t.id)")))
            let task2 = try await provider.applyOK(t.create(AWSResourceTypes.taskDefinition, "task2", taskInputs("t-\(t.id)-2")))
            let inputs: [String: Value] = [
                "cluster": .string(cluster), "taskDefinition": .string(task1.id), "desiredCount": 1, "launchType": "FARGATE",
            ]

            let created = try await provider.applyOK(t.create(AWSResourceTypes.ecsService, "backend", inputs))
            #expect(created.attributes["name"] == .string("\(t.id)-backend"), "named TENANT-NAME by default")
            #expect(created.id.contains(":service/"))

            // moto runs MOTO_ECS_SERVICE_RUNNING tasks (scripts/moto.sh: 1): desiredCount 1 is stable.
            let waited = await provider.wait(WaitRequest(resource: created, condition: "stable", timeout: 20))
            #expect(waited.diagnostics.isEmpty, "\(waited.diagnostics)")

            let found = await provider.importResources(
                ImportRequest(type: AWSResourceTypes.ecsService, identity: t.identity("backend"), inputs: inputs))
            #expect(found.resources.map(\.id) == [created.id])
            let other = await provider.importResources(
                ImportRequest(type: AWSResourceTypes.ecsService, identity: t.identity("frontend"), inputs: inputs))
            #expect(other.resources.isEmpty)

            var changed = inputs
            changed["taskDefinition"] = .string(task2.id)
            changed["desiredCount"] = 3
            let updated = try await provider.applyOK(t.update(created, "backend", changed))
            #expect(updated.id == created.id)
            let read = try #require(await provider.readOne(updated))
            #expect(read.attributes["desiredCount"] == 3)
            #expect(read.attributes["taskDefinition"] == .string(task2.id))

            let stableAgain = await provider.wait(WaitRequest(resource: updated, condition: "stable", timeout: 20))
            #expect(stableAgain.diagnostics.isEmpty, "\(stableAgain.diagnostics)")

            // A service created with three desired and one running never settles: the wait times
            // out with a diagnostic saying what to check.
            var busy = inputs
            busy["desiredCount"] = 3
            let worker = try await provider.applyOK(t.create(AWSResourceTypes.ecsService, "worker", busy))
            let timedOut = await provider.wait(WaitRequest(resource: worker, condition: "stable", timeout: 2))
            let d = try #require(timedOut.diagnostics.first)
            #expect(d.code == "WaitTimeout")
            #expect(d.summary.contains("did not become stable within 2s"))
            #expect(d.detail.contains("runningCount 1 of desiredCount 3"))
            _ = try await provider.applyOK(t.delete(worker, "worker"))

            // Replace (a new name forces it): delete (scaled to zero first), then create.
            _ = try await provider.applyOK(t.delete(updated, "backend"))
            #expect(await provider.readOne(updated) == nil)
            var renamed = changed
            renamed["name"] = .string("\(t.id)-backend-v2")
            renamed["desiredCount"] = 1
            let second = try await provider.applyOK(t.create(AWSResourceTypes.ecsService, "backend", renamed))
            #expect(second.attributes["name"] == renamed["name"])
            _ = try await provider.applyOK(t.delete(second, "backend"))
            _ = try await provider.applyOK(t.delete(second, "backend"))
            #expect(await provider.readOne(second) == nil)
        }
    }
}
