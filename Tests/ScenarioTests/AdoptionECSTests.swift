import AWSSchema
import Foundation
import LandlordCore
import MockProvider
import ProviderAPI
import Testing

/// ECS in `landlord adopt`'s cloud lookup: a task definition found by family (its latest
/// revision, not an ambiguity with its history), a service by cluster and name; a service
/// whose spec leaves its name to the provider cannot be looked up, and says what to set.
@Suite struct AdoptionECSTests {
    static func fleet(serviceName: String? = "${tenant.id}-app") throws -> Harness {
        let h = try Harness(example: "migrate")
        for f in ["acme", "globex", "initech"] { try h.remove("tenants/\(f).yaml") }
        let name = serviceName.map { "name: \"\($0)\", " } ?? ""
        try h.write(
            "blueprints/app.yaml",
            """
            apiVersion: landlord/v1
            kind: Blueprint
            name: app
            resources:
              task:
                type: aws.ecs_task_definition
                properties: {family: "t-${tenant.id}-app", image: "registry.example.com/app:2", cpu: 256, memory: 512}
              app:
                type: aws.ecs_service
                properties: {cluster: signup-cluster, \(name)taskDefinition: "${task.arn}", desiredCount: 1}

            """)
        try h.write("tenants/acme.yaml", "apiVersion: landlord/v1\nkind: Tenant\nid: acme\nblueprint: app\n")
        return h
    }

    /// What a deploy script made before Landlord: two revisions of the family (the second is
    /// the spec's image) and a service running the second, none tagged.
    static func deployByHand(_ h: Harness) async throws {
        let p = h.provider
        let identity = ResourceIdentity(address: "script/acme", tenant: "script", platform: "script")
        func make(_ type: String, _ inputs: [String: Value]) async throws -> ResourceObject {
            let r = await p.apply(
                ApplyRequest(operation: .create, type: type, identity: identity, prior: nil, inputs: inputs, clientToken: UUID().uuidString))
            return try #require(r.resource, "\(r.diagnostics)")
        }
        for image in ["registry.example.com/app:1", "registry.example.com/app:2"] {
            _ = try await make(AWSResourceTypes.taskDefinition, ["family": "t-acme-app", "image": .string(image), "cpu": 256, "memory": 512])
        }
        _ = try await make(
            AWSResourceTypes.ecsService,
            [
                "cluster": "signup-cluster", "name": "acme-app", "desiredCount": 1,
                "taskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/t-acme-app:2",
            ])
        try p.cloud.transact { tx in
            for type in [AWSResourceTypes.taskDefinition, AWSResourceTypes.ecsService] {
                for var r in tx.all(ofType: type) {
                    r.tags = [:]
                    tx.put(r)
                }
            }
        }
    }

    @Test func aTaskDefinitionByFamilyAndAServiceByClusterAndNameAreAdopted() async throws {
        let h = try Self.fleet()
        try await Self.deployByHand(h)
        let file = h.dir.appendingPathComponent("adopt.plan").path
        let run = try await CLI.run(["-C", h.dir.path, "adopt", "--out", file])
        #expect(run.code == 2, "\(run.stderr)")
        let task = "arn:aws:ecs:us-east-1:123456789012:task-definition/t-acme-app:2"
        let service = "arn:aws:ecs:us-east-1:123456789012:service/signup-cluster/acme-app"
        #expect(run.stdout.contains(#"= adopt aws.ecs_task_definition "acme/task" (\#(task), found by family "t-acme-app")"#), "\(run.stdout)")
        #expect(run.stdout.contains(#"= adopt aws.ecs_service "acme/app" (\#(service), found by cluster "signup-cluster", name "acme-app")"#))
        #expect(
            run.stdout.contains("Adoption: 2 resources of 1 tenant to adopt, 2 to tag, 0 to update after adoption, 0 to replace."), "\(run.stdout)")
        #expect(try await CLI.run(["-C", h.dir.path, "apply", file]).code == 0)
        #expect(try await h.plan().isEmpty)
        let tagged = try h.cloud().filter { $0.tags[LandlordTag.tenant] == "acme" }.map(\.id).sorted()
        #expect(tagged == [service, task])
    }

    @Test func aServiceWhoseNameTheSpecLeavesToTheProviderSaysWhatToSet() async throws {
        let h = try Self.fleet(serviceName: nil)
        try await Self.deployByHand(h)
        let run = try await CLI.run(["-C", h.dir.path, "adopt"])
        #expect(run.code == 1)
        #expect(run.stderr.contains("acme/app (aws.ecs_service): its natural key is not known before apply"), "\(run.stderr)")
        #expect(run.stderr.contains("the spec does not set name, which the provider would choose"))
        #expect(try await h.store.loadTenant("acme") == nil)
    }
}
