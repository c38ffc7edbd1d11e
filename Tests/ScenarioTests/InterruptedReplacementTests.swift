import AWSSchema
import Foundation
import LandlordCore
import MockProvider
import ProviderAPI
import Testing

/// A create-before-destroy replacement killed half-way: the old object is recorded as
/// `NAME#deposed`, and the next run must finish the job without adopting, doubling or
/// deleting the wrong object. Found by scripts/crash-test.sh.
@Suite struct InterruptedReplacementTests {
    static let address = "acme/backend_task"

    /// Applies the quickstart, bumps acme's backend image, and creates the replacement task
    /// definition in the cloud as the killed run did. Returns the old record and the new object.
    func crashMidReplacement(_ h: Harness) async throws -> (old: ResourceState, new: ResourceObject, inputs: [String: Value]) {
        try await h.apply()
        try h.edit("tenants/acme.yaml") { $0.replacingOccurrences(of: "backend:1.4.2", with: "backend:1.5.0") }
        let state = try #require(try await h.store.loadTenant("acme"))
        let old = try #require(state.resources["backend_task"])
        var inputs = old.inputs
        inputs["image"] = "registry.example.com/backend:1.5.0"
        let made = await h.provider.apply(
            ApplyRequest(
                operation: .create, type: old.type, identity: ResourceIdentity(address: Self.address, tenant: "acme", platform: "moamalat"),
                prior: nil, inputs: inputs.mapValues(\.revealed), clientToken: "crash"))  // as the engine sends them
        return (old, try #require(made.resource, "the mock refused the replacement: \(made.diagnostics)"), inputs)
    }

    /// As `crashMidReplacement`, then the state a run killed after recording the new object
    /// (before the service was pointed at it) leaves: the new one recorded, the old deposed.
    func killedAfterTheReplacementWasRecorded(_ h: Harness) async throws -> (old: ResourceState, new: ResourceObject, inputs: [String: Value]) {
        let (old, new, inputs) = try await crashMidReplacement(h)
        var state = try #require(try await h.store.loadTenant("acme"))
        var outputs = new.attributes
        for k in inputs.keys { outputs[k] = nil }
        state.resources["backend_task"] = ResourceState(type: old.type, id: new.id, inputs: inputs, outputs: outputs, dependencies: old.dependencies)
        state.resources["backend_task#deposed"] = old
        state.serial += 1
        try await h.store.saveTenant(state)
        return (old, new, inputs)
    }

    func taskDefinitions(_ h: Harness) throws -> [MockResource] {
        try h.cloud().filter { $0.tags["landlord:address"] == Self.address }
    }

    @Test func aKillAfterTheReplacementWasCreatedAdoptsTheNewObjectNotTheDeposedOne() async throws {
        let h = try Harness()
        let (old, new, inputs) = try await crashMidReplacement(h)
        // Killed between the provider's create and the state write: the old object is deposed,
        // the new one only an intent. Both carry the address tag.
        var state = try #require(try await h.store.loadTenant("acme"))
        state.resources["backend_task"] = nil
        state.resources["backend_task#deposed"] = old
        state.pending["backend_task"] = PendingIntent(type: old.type, clientToken: "crash", startedAt: Date(), inputs: inputs)
        state.serial += 1
        try await h.store.saveTenant(state)

        let result = try await h.apply()
        #expect(
            !result.failed, "the rerun after the crash failed: \(result.diagnostics.errors.map(\.description)); see ResourceOps.create's adoption")
        #expect(try taskDefinitions(h).map(\.id) == [new.id], "the new task definition must be adopted and the deposed one deleted")
        let recorded = try await h.recorded()
        #expect(recorded["acme/backend_task"]?.id == new.id)
        #expect(recorded["acme/backend_task#deposed"] == nil)
        #expect(recorded["acme/backend"]?.inputs["taskDefinition"]?.stringValue == new.id)
        #expect(try await h.plan().isEmpty, "a converged fleet must plan no changes")
    }

    @Test func aLeftoverDeposedObjectIsDeletedOnlyAfterItsUsersMoveToTheNewOne() async throws {
        let h = try Harness()
        let (_, new, _) = try await killedAfterTheReplacementWasRecorded(h)

        // Updates are slow, so a delete not ordered after them reaches the cloud first.
        let (fleet, diags) = SpecLoader(schemas: AWSResourceTypes.schema.resources).load(directory: h.dir)
        let ws = Workspace(
            fleet: try #require(fleet, "\(diags.errors)"), store: h.store, providers: ProviderRegistry([SlowUpdates(inner: h.provider)]))
        let planAndPlanDiags = await ws.plan(PlanOptions())
        let plan = planAndPlanDiags.plan
        let planDiags = planAndPlanDiags.diagnostics
        let result = await ws.apply(
            try #require(plan, "\(planDiags.errors)"), options: ApplyOptions(holder: LockHolder(operation: "test"), platform: "moamalat"))
        #expect(
            !result.failed, "deleting acme/backend_task#deposed must wait for acme/backend's update: \(result.diagnostics.errors.map(\.description))")
        #expect(try taskDefinitions(h).map(\.id) == [new.id])
        #expect(try await h.recorded()["acme/backend_task#deposed"] == nil)
        #expect(try await h.plan().isEmpty, "a converged fleet must plan no changes")
    }
}

extension InterruptedReplacementTests {
    /// Killed after the replacement was recorded but before the old object was deleted, and the
    /// image then changed again: the next apply deposes the current object while the first one
    /// is still deposed. Neither may be forgotten. Found by scripts/crash-test.sh (an orphaned
    /// task definition carrying the address tag).
    @Test func aSecondReplacementWhileAnOldObjectIsStillDeposedLeavesNoOrphan() async throws {
        let h = try Harness()
        _ = try await killedAfterTheReplacementWasRecorded(h)
        try h.edit("tenants/acme.yaml") { $0.replacingOccurrences(of: "backend:1.5.0", with: "backend:1.6.0") }

        let result = try await h.apply()
        #expect(!result.failed, "\(result.diagnostics.errors.map(\.description))")
        let left = try taskDefinitions(h)
        #expect(left.count == 1, "only the newest task definition may remain, found \(left.map(\.id))")
        let recorded = try await h.recorded()
        #expect(left.map(\.id) == [recorded["acme/backend_task"]?.id].compactMap { $0 })
        #expect(recorded.keys.filter { $0.contains("#") }.isEmpty, "no deposed entry may remain: \(recorded.keys.sorted())")
        #expect(try await h.plan().isEmpty, "a converged fleet must plan no changes")
    }
}

/// The mock provider with every update delayed, to expose steps that do not wait for updates.
struct SlowUpdates: Provider {
    let inner: MockProvider
    var name: String { inner.name }
    var schema: ProviderSchema { inner.schema }
    func read(_ request: ReadRequest) async -> ReadResponse { await inner.read(request) }
    func importResources(_ request: ImportRequest) async -> ImportResponse { await inner.importResources(request) }
    func wait(_ request: WaitRequest) async -> WaitResponse { await inner.wait(request) }
    func apply(_ request: ApplyRequest) async -> ApplyResponse {
        if request.operation == .update { try? await Task.sleep(nanoseconds: 300_000_000) }
        return await inner.apply(request)
    }
}
