import Foundation
import LandlordLocalState
import MockProvider
import ProviderAPI
import Synchronization
import Testing

@testable import LandlordCore

/// The local state store, with the tenant documents each read asked for recorded, and
/// optionally the stamps of a file system that keeps whole seconds and reuses inodes (so two
/// versions of a document written within one second look the same).
final class ReadRecordingStore: ForwardingStateStore, Sendable {
    let inner: LocalStateStore
    let coarseStamps: Bool
    private let reads = Mutex<[String]>([])

    init(_ inner: LocalStateStore, coarseStamps: Bool = false) {
        self.inner = inner
        self.coarseStamps = coarseStamps
    }

    /// Tenant documents read since the last call, sorted.
    func takeReads() -> [String] {
        reads.withLock { r in
            defer { r = [] }
            return r.sorted()
        }
    }

    func loadTenant(_ id: String) async throws -> TenantState? {
        reads.withLock { $0.append(id) }
        return try await inner.loadTenant(id)
    }
    func loadTenants(_ ids: [String]) async throws -> [String: TenantState] {
        reads.withLock { $0 += ids }
        return try await inner.loadTenants(ids)
    }
    func stamps(_ ids: [String]) async throws -> [String: StateStamp]? {
        guard coarseStamps else { return try await inner.stamps(ids) }
        var out: [String: StateStamp] = [:]
        for id in ids {
            guard let a = try? FileManager.default.attributesOfItem(atPath: inner.root + "/state/tenants/\(id).json"),
                let size = a[.size] as? Int, let m = a[.modificationDate] as? Date
            else { continue }
            let second = Int64(m.timeIntervalSince1970)
            out[id] = StateStamp(token: "\(size):\(second)", changedAt: second * 1_000_000_000)
        }
        return out
    }
}

/// The plan cache (issue 16, target 2): a tenant whose inputs and state document are what
/// they were when it last planned no changes is not read or planned again, and any change of
/// its blueprint, the platform's inputs, its tenant file or its state document is planned.
@Suite struct PlanCacheTests {
    /// A planned quickstart fleet (acme, globex) and a store recording reads.
    struct CachedFleet {
        let h: Harness
        let store: ReadRecordingStore
        var cachePath: String { h.dir.appendingPathComponent(".landlord/cache/plan-cache").path }

        init(coarseStamps: Bool = false) async throws {
            h = try Harness()
            try await h.apply()
            store = ReadRecordingStore(h.store, coarseStamps: coarseStamps)
        }

        /// Plans with the cache (racy window in nanoseconds: 0 trusts every stamp, so only
        /// the stamps themselves tell documents apart). Returns the plan, its diagnostics
        /// and the tenant documents it read.
        func plan(window: Int64 = 0, refresh: Bool = false, env: [String: String] = [:]) async throws -> (Plan, Diagnostics, [String]) {
            let (fleet, loadDiags) = SpecLoader(schemas: MockProvider.resourceSchema.resources, environment: env).load(directory: h.dir)
            let mock = h.provider
            var registry = ProviderRegistry([mock])
            for prefix in ProviderRegistry.prefixes(of: mock.schema) { registry.register(mock, prefix: prefix) }
            var ws = Workspace(fleet: try #require(fleet, "\(loadDiags.errors)"), store: store, providers: registry)
            ws.planCache = PlanCacheSettings(path: cachePath, context: "tests", environment: env, racyWindow: window)
            _ = store.takeReads()
            let planAndDiags = await ws.plan(PlanOptions(), refresh: refresh)
            let plan = planAndDiags.plan
            let diags = planAndDiags.diagnostics
            return (try #require(plan, "\(diags.errors)"), diags, store.takeReads())
        }

        /// Plans twice: the second plan skips both tenants (reads no document).
        func warm(window: Int64 = 0) async throws {
            let (first, _, read) = try await plan(window: window)
            #expect(first.isEmpty && read == ["acme", "globex"])
            let (second, diags, again) = try await plan(window: window)
            #expect(second.isEmpty && second.unchangedTenants == 2 && diags.isEmpty)
            #expect(again.isEmpty, "a warm cache reads no tenant document, read \(again)")
        }

        /// Rewrites a tenant's document as another process would: through its own store, with
        /// the same size (healthCheckPath `/health` becomes `/HEALTH`).
        func changeStateBehindTheCache(_ tenant: String) async throws {
            let other = LocalStateStore(directory: h.dir.appendingPathComponent(".landlord").path)
            var state = try #require(try await other.loadTenant(tenant))
            let before = try Data(contentsOf: URL(fileURLWithPath: other.root + "/state/tenants/\(tenant).json")).count
            state.resources["backend_tg"]?.inputs["healthCheckPath"] = .string("/HEALTH")
            try await other.saveTenant(state)
            let after = try Data(contentsOf: URL(fileURLWithPath: other.root + "/state/tenants/\(tenant).json")).count
            #expect(before == after, "the test needs a document of the same size")
        }
    }

    static func changed(_ plan: Plan) -> [String: LandlordCore.Action] {
        Dictionary(plan.tenants.flatMap(\.changes).map { ($0.address, $0.action) }) { a, _ in a }
    }

    @Test func aChangedTenantFileIsPlanned() async throws {
        let f = try await CachedFleet()
        try await f.warm()
        // The same size: only the bytes tell.
        try f.h.edit("tenants/acme.yaml") { $0.replacingOccurrences(of: "1.4.2", with: "1.5.0") }
        let (plan, _, read) = try await f.plan()
        #expect(read == ["acme"])
        #expect(Self.changed(plan)["acme/backend_task"] == .replace)
        #expect(plan.tenants.map(\.tenant) == ["acme"] && plan.unchangedTenants == 1)
        // A tenant with changes is planned every time until they are applied.
        let (again, _, readAgain) = try await f.plan()
        #expect(readAgain == ["acme"] && Self.changed(again)["acme/backend_task"] == .replace)
    }

    @Test func aChangedBlueprintIsPlannedForEveryTenant() async throws {
        let f = try await CachedFleet()
        try await f.warm()
        try f.h.edit("blueprints/web.yaml") { $0.replacingOccurrences(of: "healthCheckPath: /health}", with: "healthCheckPath: /healthz}") }
        let (plan, _, read) = try await f.plan()
        #expect(read == ["acme", "globex"])
        #expect(Self.changed(plan)["acme/backend_tg"] == .update && Self.changed(plan)["globex/backend_tg"] == .update)
    }

    @Test func aChangedPlatformInputIsPlannedForEveryTenant() async throws {
        let f = try await CachedFleet()
        try await f.warm()
        try f.h.edit("platform.yaml") { $0.replacingOccurrences(of: "cluster: moamalat-cluster", with: "cluster: moamalat-cluster2") }
        let (plan, _, read) = try await f.plan()
        #expect(read == ["acme", "globex"])
        #expect(Self.changed(plan)["acme/backend"] != nil && Self.changed(plan)["globex/backend"] != nil)
    }

    @Test func aStateDocumentRewrittenBehindTheCacheIsPlanned() async throws {
        let f = try await CachedFleet()
        try await f.warm()
        // Another process, the same size, within the same second of the plan: the rename gives
        // the document a new inode and ctime.
        try await f.changeStateBehindTheCache("acme")
        let (plan, _, read) = try await f.plan()
        #expect(read == ["acme"])
        #expect(Self.changed(plan)["acme/backend_tg"] == .update, "the blueprint's /health is planned back")
    }

    /// On a file system whose stamps cannot tell two versions written within a second apart
    /// (whole-second times, reused inodes), the racy rule plans a document that had changed
    /// shortly before the cache took its stamp; without the rule (window 0) the rewrite
    /// would be missed, which is why the rule is there.
    @Test func theRacyRulePlansADocumentStampedTooSoonAfterItChanged() async throws {
        // An hour's window, not the 2 s default: on a loaded machine the plan may start more than
        // 2 s after the apply's writes, and then the stamp would be trusted for a good reason.
        for (window, seen) in [(Int64(3_600_000_000_000), true), (Int64(0), false)] {
            let f = try await CachedFleet(coarseStamps: true)
            let path = f.store.inner.root + "/state/tenants/acme.json"
            _ = try await f.plan(window: window)  // stamps taken within the window of the apply's writes
            let mtime = try #require(try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date)
            try await f.changeStateBehindTheCache("acme")
            try FileManager.default.setAttributes([.modificationDate: mtime], ofItemAtPath: path)  // the same whole second
            let (plan, _, _) = try await f.plan(window: window)
            #expect((Self.changed(plan)["acme/backend_tg"] == .update) == seen, "window \(window)")
        }
    }

    @Test func aDamagedOrTruncatedCacheIsIgnoredWithoutAWarning() async throws {
        let f = try await CachedFleet()
        try await f.warm()
        let whole = try Data(contentsOf: URL(fileURLWithPath: f.cachePath))
        for damaged in [whole.prefix(whole.count / 2), whole.prefix(whole.count - 1), Data("garbage\n".utf8), Data(), whole + Data("x\n".utf8)] {
            try damaged.write(to: URL(fileURLWithPath: f.cachePath))
            #expect(PlanCache.decode(Array(damaged)) == nil)
            let (plan, diags, read) = try await f.plan()
            #expect(plan.isEmpty && plan.unchangedTenants == 2 && read == ["acme", "globex"])
            #expect(diags.isEmpty, "\(diags.items)")
        }
        // The plan wrote a good cache again.
        let (_, _, read) = try await f.plan()
        #expect(read.isEmpty)
    }

    @Test func aChangedDeclaredEnvironmentValueIsPlanned() async throws {
        let f = try await CachedFleet()
        try f.h.edit("platform.yaml") { $0 + "env: [{name: IMAGE_TAG, sensitive: false}]\n" }
        try f.h.edit("tenants/acme.yaml") { $0.replacingOccurrences(of: "\"registry.example.com/backend:1.4.2\"", with: "\"${env.IMAGE_TAG}\"") }
        let env = ["IMAGE_TAG": "registry.example.com/backend:1.4.2"]
        _ = try await f.plan(env: env)
        let (warm, _, read) = try await f.plan(env: env)
        #expect(warm.isEmpty && read.isEmpty)
        let (plan, _, _) = try await f.plan(env: ["IMAGE_TAG": "registry.example.com/backend:1.5.0"])
        #expect(Self.changed(plan)["acme/backend_task"] == .replace)
    }

    /// Skipped tenants still hold their listener's priorities: a new tenant planned beside them
    /// is given others.
    @Test func skippedTenantsKeepTheirAllocations() async throws {
        let f = try await CachedFleet()
        try await f.warm()
        try f.h.addWebTenant("newco", subdomain: "newco")
        let (plan, _, read) = try await f.plan()
        #expect(read == ["newco"])
        let platform = try await f.store.loadPlatform()
        let held = Set(["acme", "globex"].flatMap { platform.allocations[$0]?.numbers.values.map { $0 } ?? [] })
        let new = try #require(plan.tenants.first { $0.tenant == "newco" }?.allocation)
        #expect(held.count == 4 && new.numbers.count == 2 && held.isDisjoint(with: new.numbers.values))
    }

    /// With a refresh, a skipped tenant is planned when the provider reports other than its
    /// state records.
    @Test func driftSeenByARefreshIsPlannedForASkippedTenant() async throws {
        let f = try await CachedFleet()
        try await f.warm()
        let recorded = try await f.h.recorded()
        let tg = try #require(recorded["acme/backend_tg"]).object
        try MockCloud(path: f.h.cloudPath).transact { tx in
            var now = try #require(tx.get(type: tg.type, id: tg.id))
            now.attributes["healthCheckPath"] = "/changed-by-hand"
            tx.put(now)
        }
        let (plan, _, _) = try await f.plan(refresh: true)
        #expect(Self.changed(plan)["acme/backend_tg"] == .update)
        #expect(plan.tenants.map(\.tenant) == ["acme"] && plan.unchangedTenants == 1)
    }
}
