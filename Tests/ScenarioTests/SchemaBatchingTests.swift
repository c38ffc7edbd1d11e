import Foundation
import LandlordCore
import LandlordLocalState
import ProviderAPI
import Synchronization
import Testing

/// Which changes share a provider call is declared in the schema (`BatchRule`), not by the
/// provider at run time: a made-up provider whose `acme.badge` batches by `site`, two a call,
/// gets its creates and deletes in `applyBatch` calls of one site each, never more than two.
@Suite struct SchemaBatchingTests {
    /// Badges kept in memory; every `applyBatch` call is recorded (the sites of its requests).
    final class BadgeProvider: BatchingProvider {
        let name = "acme"
        let badges = Mutex<[String: ResourceObject]>([:])
        let batches = Mutex<[[String]]>([])
        let singles = Atomic<Int>(0)
        let counter = Atomic<Int>(0)

        var schema: ProviderSchema {
            ProviderSchema(resources: [
                ResourceSchema(
                    type: "acme.badge",
                    attributes: ["site": .init(.string, required: true, forceNew: true), "id": AttributeSchema(.string, computed: true)],
                    batching: BatchRule(keyAttributes: ["site"], maxSize: 2))
            ])
        }

        func read(_ request: ReadRequest) async -> ReadResponse {
            ReadResponse(resources: badges.withLock { b in request.resources.map { b[$0.id] } })
        }

        func apply(_ request: ApplyRequest) async -> ApplyResponse {
            singles.add(1, ordering: .relaxed)
            return applyOne(request)
        }

        func applyBatch(_ requests: [ApplyRequest]) async -> [ApplyResponse] {
            batches.withLock { $0.append(requests.map { ($0.operation == .delete ? $0.prior?.attributes : $0.inputs)?["site"]?.stringValue ?? "?" }) }
            return requests.map(applyOne)
        }

        func applyOne(_ request: ApplyRequest) -> ApplyResponse {
            switch request.operation {
            case .create, .update:
                let id = request.prior?.id ?? "badge-\(counter.add(1, ordering: .relaxed).newValue)"
                var attributes = request.inputs
                attributes["id"] = .string(id)
                let badge = ResourceObject(type: request.type, id: id, attributes: attributes)
                badges.withLock { $0[id] = badge }
                return ApplyResponse(resource: badge)
            case .delete:
                _ = badges.withLock { $0.removeValue(forKey: request.prior?.id ?? "") }
                return ApplyResponse(resource: nil)
            }
        }

        func importResources(_ request: ImportRequest) async -> ImportResponse { ImportResponse(resources: []) }
    }

    @Test func changesBatchByTheSchemasKeyAndSize() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("landlord-badges-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = [
            "platform.yaml": "apiVersion: landlord/v1\nkind: Platform\nname: office\nstate: {backend: local}\n",
            "blueprints/badge.yaml": """
            apiVersion: landlord/v1
            kind: Blueprint
            name: badge
            resources:
              north: {type: acme.badge, properties: {site: north}}
              south: {type: acme.badge, properties: {site: south}}
            """,
        ]
        var all = files
        for t in ["alpha", "bravo", "charlie"] { all["tenants/\(t).yaml"] = "apiVersion: landlord/v1\nkind: Tenant\nid: \(t)\nblueprint: badge\n" }
        for (path, text) in all {
            let url = dir.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        let provider = BadgeProvider()
        func run(_ options: PlanOptions) async throws -> ApplyResult {
            let registry = ProviderRegistry([provider])
            let (fleet, diags) = SpecLoader(schemas: registry.schemas).load(directory: dir)
            let ws = Workspace(
                fleet: try #require(fleet, "\(diags.errors)"), store: LocalStateStore(directory: dir.appendingPathComponent(".landlord").path),
                providers: registry)
            let planAndPlanDiags = await ws.plan(options)
            let plan = planAndPlanDiags.plan
            let planDiags = planAndPlanDiags.diagnostics
            return await ws.apply(
                try #require(plan, "\(planDiags.errors)"), options: ApplyOptions(holder: LockHolder(operation: "test"), platform: "office"))
        }

        let created = try await run(PlanOptions())
        #expect(!created.failed, "\(created.diagnostics.errors.map(\.description))")
        #expect(provider.badges.withLock { $0.count } == 6)
        let destroyed = try await run(PlanOptions(destroy: ["alpha", "bravo", "charlie"]))
        #expect(!destroyed.failed, "\(destroyed.diagnostics.errors.map(\.description))")
        #expect(provider.badges.withLock { $0.isEmpty })

        let batches = provider.batches.withLock { $0 }
        #expect(provider.singles.load(ordering: .relaxed) == 0, "every badge change went in a batch")
        #expect(batches.allSatisfy { Set($0).count == 1 && $0.count <= 2 }, "one site a call, two at most: \(batches)")
        #expect(batches.reduce(0) { $0 + $1.count } == 12)
        #expect(batches.contains { $0.count == 2 }, "changes of one site shared calls: \(batches)")
    }
}
