import AWSSchema
import Foundation
import LandlordLocalState
import MockProvider
import ProviderAPI
import Testing

@testable import LandlordCore

/// A store without a journal (as the S3 backend is): the local store's documents, with every
/// tenant write counted. Not `JournalingStateStore`, so the apply writes documents through.
final class CountingStore: ForwardingStateStore, @unchecked Sendable {
    let inner: LocalStateStore
    private let lock = NSLock()
    private var saves: [String: Int] = [:]

    init(_ inner: LocalStateStore) { self.inner = inner }
    func saves(of tenant: String) -> Int { lock.withLock { saves[tenant] ?? 0 } }

    func saveTenant(_ state: TenantState) async throws {
        lock.withLock { saves[state.tenant, default: 0] += 1 }
        try await inner.saveTenant(state)
    }
}

@Suite struct WriteThroughStateTests {
    func apply(_ h: Harness, _ store: CountingStore, settings: MockSettings = MockSettings()) async throws -> ApplyResult {
        let (fleet, diags) = SpecLoader(schemas: AWSResourceTypes.schema.resources).load(directory: h.dir)
        let fleetValue = try #require(fleet, "\(diags.errors)")
        let ws = Workspace(fleet: fleetValue, store: store, providers: ProviderRegistry([MockProvider(cloudPath: h.cloudPath, settings: settings)]))
        let planAndPlanDiags = await ws.plan(PlanOptions())
        let plan = planAndPlanDiags.plan
        let planDiags = planAndPlanDiags.diagnostics
        let p = try #require(plan, "\(planDiags.errors)")
        return await ws.apply(p, options: ApplyOptions(parallelism: 10, holder: LockHolder(operation: "test"), platform: fleetValue.platform.name))
    }

    /// Only intents are written before the run goes on; results ride along with the next
    /// write and the last ones with the tenant's final write. Writing after every change took
    /// 24 writes per 14-resource tenant against S3.
    @Test func resultsRideAlongWithTheNextWriteAndTheEndWritesTheRest() async throws {
        let h = try Harness()
        let store = CountingStore(h.store)
        let result = try await apply(h, store)
        #expect(!result.failed, "\(result.diagnostics.items)")
        for tenant in ["acme", "globex"] {
            let doc = try #require(try await h.store.loadTenant(tenant))
            #expect(doc.resources.count == 14, "every result must be written by the end")
            #expect(doc.pending.isEmpty)
            #expect(doc.status == .active)
            // At most one write per intent (concurrent ones share a write) and one at the end.
            #expect(
                store.saves(of: tenant) <= 15, "\(tenant): \(store.saves(of: tenant)) writes for 14 creates; only intents and the end should write")
        }
    }

    /// A failed step still leaves every result before it recorded.
    @Test func aFailedTenantStillHasItsResultsWritten() async throws {
        let h = try Harness()
        let store = CountingStore(h.store)
        var s = MockSettings()
        s.failMatch = "acme/frontend"
        let result = try await apply(h, store, settings: s)
        #expect(result.failed)
        let doc = try #require(try await h.store.loadTenant("acme"))
        #expect(doc.status == .failed)
        #expect(
            doc.pending.keys.allSatisfy { $0.hasPrefix("frontend") },
            "only the refused creates keep their intents (for adoption): \(doc.pending.keys)")
        let cloud = try h.cloud().filter { $0.tags["landlord:address"]?.hasPrefix("acme/") == true }
        #expect(Set(doc.resources.values.map(\.id)) == Set(cloud.map(\.id)), "every acme resource the cloud holds must be recorded")
    }
}
