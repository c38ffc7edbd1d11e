import Foundation
import LandlordLocalState
import MockProvider
import ProviderAPI
import Synchronization
import Testing

@testable import LandlordCore

/// The keys apply records in tenant documents (`AppliedKey`, issue 30): a plan that takes them
/// as cache entries is the plan that reads every document, whatever happened to the fleet or its
/// state since the keys were written; and with nothing changed it reads no document at all.
@Suite struct AppliedKeyTests {
    /// The quickstart (acme, globex) and three web tenants, applied with keys recorded.
    struct KeyedFleet {
        var h: Harness
        let store: KeyReadingStore

        init() async throws { try await self.init(Harness.withWebTenants(3)) }

        /// The fleet `h` holds, applied with keys recorded.
        init(_ h: Harness) async throws {
            self.h = h
            store = KeyReadingStore(h.store)
            try await apply()
        }

        /// The fleet as it is on disk, with or without the recorded keys; plans read through
        /// `store` (which records the documents read), applies write through the local store.
        func workspace(keys: Bool, failing: String? = nil, recording: Bool = true) throws -> Workspace {
            var settings = h.settings
            settings.failMatch = failing
            let mock = MockProvider(cloudPath: h.cloudPath, settings: settings)
            var ws = try h.workspace(provider: mock)
            if recording { ws = Workspace(fleet: ws.fleet, store: store, providers: ws.providers) }
            if keys { ws.planKeys = PlanKeySettings(context: "tests", environment: [:]) }
            return ws
        }

        /// Plans and applies with keys recorded (`failing`: addresses whose steps fail).
        @discardableResult
        func apply(failing: String? = nil) async throws -> ApplyResult {
            let ws = try workspace(keys: true, failing: failing, recording: false)
            let plan = try #require(await ws.plan(PlanOptions(), refresh: false).plan)
            return await ws.apply(
                plan, options: ApplyOptions(parallelism: 4, holder: LockHolder(operation: "test"), platform: ws.fleet.platform.name))
        }

        /// Plans with the keys and without; expects the same plan and diagnostics. Returns the
        /// plan and the documents the keyed plan read.
        @discardableResult
        func same(refresh: Bool = false, _ comment: Comment) async throws -> (plan: Plan, read: [String]) {
            _ = store.takeReads()
            let keyed = try await workspace(keys: true).plan(PlanOptions(), refresh: refresh)
            let read = store.takeReads()
            let whole = try await workspace(keys: false).plan(PlanOptions(), refresh: refresh)
            _ = store.takeReads()
            var (a, b) = (try #require(keyed.plan, "\(keyed.diagnostics.errors)"), try #require(whole.plan, "\(whole.diagnostics.errors)"))
            (a.createdAt, b.createdAt) = (Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 0))
            #expect(a == b, "\(comment): the keyed plan differs from the plan that read every document")
            #expect(keyed.diagnostics == whole.diagnostics, "\(comment)")
            return (a, read)
        }

        func document(_ tenant: String) -> String { h.dir.appendingPathComponent(".landlord/state/tenants/\(tenant).json").path }
        func documentText(_ tenant: String) throws -> String { try String(contentsOfFile: document(tenant), encoding: .utf8) }
    }

    static let all = ["acme", "globex", "t1", "t2", "t3"]

    @Test func aCleanApplyRecordsKeysAndANoChangePlanReadsNoDocument() async throws {
        let f = try await KeyedFleet()
        for t in Self.all { #expect(try f.documentText(t).hasPrefix("{\n  \"applied_from\": \""), "\(t) has no key") }
        let (plan, read) = try await f.same("no change")
        #expect(plan.isEmpty && plan.unchangedTenants == 5)
        #expect(read.isEmpty, "read \(read)")
        // With a refresh the skipped tenants' resources are still read back (and nothing drifted).
        let (refreshed, _) = try await f.same(refresh: true, "no change, refreshed")
        #expect(refreshed.isEmpty)
    }

    @Test func editedSpecsArePlannedAsWithoutKeys() async throws {
        let f = try await KeyedFleet()
        try f.h.edit("tenants/acme.yaml") { $0.replacingOccurrences(of: "1.4.2", with: "1.5.0") }
        let (plan, read) = try await f.same("tenant file edit")
        #expect(plan.tenants.map(\.tenant) == ["acme"] && read == ["acme"])
        try f.h.edit("blueprints/web.yaml") { $0.replacingOccurrences(of: "healthCheckPath: /health}", with: "healthCheckPath: /healthz}") }
        let (bp, _) = try await f.same("blueprint edit")
        #expect(bp.tenants.count == 5)
        try f.h.edit("blueprints/web.yaml") { $0.replacingOccurrences(of: "healthCheckPath: /healthz}", with: "healthCheckPath: /health}") }
        try f.h.edit("platform.yaml") { $0.replacingOccurrences(of: "cluster: moamalat-cluster", with: "cluster: moamalat-cluster2") }
        let (platform, _) = try await f.same("platform edit")
        #expect(platform.tenants.count == 5)
        // Applied: every tenant's key is recorded again, for the new inputs.
        try await f.apply()
        let (after, read2) = try await f.same("after the edits were applied")
        #expect(after.isEmpty && read2.isEmpty, "read \(read2)")
    }

    @Test func stateWrittenOtherwiseDropsTheKey() async throws {
        let f = try await KeyedFleet()
        // `state rm` and any other write through the store: the state is saved without a key.
        let other = LocalStateStore(directory: f.h.dir.appendingPathComponent(".landlord").path)
        var acme = try #require(try await other.loadTenant("acme"))
        acme.resources["backend_tg"] = nil
        try await other.saveTenant(acme)
        #expect(!(try f.documentText("acme").contains("applied_from")))
        // Rewritten with the very same state: no key either (only apply records one).
        try await other.saveTenant(try #require(try await other.loadTenant("globex")))
        #expect(!(try f.documentText("globex").contains("applied_from")))
        // A hand edit that keeps the key: the key no longer holds for the bytes.
        let t1 = try f.documentText("t1")
        #expect(t1.contains("/health\""))
        try t1.replacingOccurrences(of: "/health\"", with: "/HEALTH\"").write(toFile: f.document("t1"), atomically: true, encoding: .utf8)
        let (plan, read) = try await f.same("state rm, rewrite, hand edit")
        #expect(Set(plan.tenants.map(\.tenant)) == ["acme", "t1"])
        #expect(read == ["acme", "globex", "t1"])
    }

    @Test func aFailedApplyRecordsNoKeyForTheFailedTenant() async throws {
        let f = try await KeyedFleet()
        try f.h.edit("tenants/acme.yaml") { $0.replacingOccurrences(of: "1.4.2", with: "1.5.0") }
        try f.h.edit("tenants/t2.yaml") { $0.replacingOccurrences(of: "backendImage: img", with: "backendImage: img2") }
        let result = try await f.apply(failing: "acme/backend_task")
        #expect(result.tenants.first { $0.tenant == "acme" }?.status == .failed)
        #expect(!(try f.documentText("acme").contains("applied_from")))
        #expect(try f.documentText("t2").hasPrefix("{\n  \"applied_from\""))
        let (plan, read) = try await f.same("partial apply failure")
        #expect(plan.tenants.map(\.tenant) == ["acme"] && read == ["acme"])
    }

    /// One tenant, two contacts in the platform's list: `b` records `a`'s lastUpdated, which
    /// SES (and the mock) moves on every write of `a`. An apply that updates `a` succeeds and
    /// leaves the tenant with a change (`b` now differs from what a plan wants): apply's own
    /// re-plan must see it and record no key, or the keyed plan would skip the tenant.
    @Test func aTenantAnApplyLeavesWithAChangeGetsNoKey() async throws {
        let h = try Harness()
        for file in ["tenants/acme.yaml", "tenants/globex.yaml", "blueprints/web.yaml"] { try h.remove(file) }
        try h.write(
            "platform.yaml",
            """
            apiVersion: landlord/v1
            kind: Platform
            name: contacts
            provider: {aws: {region: us-east-1, use: mock}}
            inputs: {contactList: platform-contacts}
            """)
        try h.write(
            "blueprints/contacts.yaml",
            """
            apiVersion: landlord/v1
            kind: Blueprint
            name: contacts
            parameters:
              news: {type: string}
            resources:
              a:
                type: aws.sesv2_contact
                properties: {contactListName: "${platform.contactList}", email: "a@${tenant.id}.example", topicPreferences: {news: "${news}"}}
              b:
                type: aws.sesv2_contact
                properties: {contactListName: "${platform.contactList}", email: "b@${tenant.id}.example", attributes: {seen: "${a.lastUpdated}"}}
            """)
        try h.write("tenants/acme.yaml", "apiVersion: landlord/v1\nkind: Tenant\nid: acme\nblueprint: contacts\nparameters: {news: OPT_IN}\n")
        // The platform's one contact list, made outside the tenants.
        let list = await h.provider.apply(
            ApplyRequest(
                operation: .create, type: "aws.sesv2_contact_list",
                identity: ResourceIdentity(address: "platform/contacts", tenant: "platform", platform: "contacts"), prior: nil,
                inputs: ["name": "platform-contacts"], clientToken: UUID().uuidString))
        #expect(list.diagnostics.isEmpty, "\(list.diagnostics)")
        let f = try await KeyedFleet(h)
        // Created together, `b` took `a`'s stamp as it was made: clean, so keyed.
        #expect(try f.documentText("acme").hasPrefix("{\n  \"applied_from\""))
        try f.h.edit("tenants/acme.yaml") { $0.replacingOccurrences(of: "OPT_IN", with: "OPT_OUT") }
        let result = try await f.apply()
        #expect(result.tenants.map(\.status) == [.active] && result.diagnostics.errors.isEmpty, "\(result.diagnostics.errors)")
        #expect(!(try f.documentText("acme").contains("applied_from")), "a key recorded for a tenant that still has a change")
        let (plan, read) = try await f.same("a change left by a clean apply")
        #expect(plan.tenants.flatMap(\.changes).map { "\($0.name) \($0.action.rawValue)" } == ["b update"])
        #expect(read == ["acme"])
    }

    @Test func aDeadRunsJournalReplayedDropsTheKey() async throws {
        let f = try await KeyedFleet()
        // A run that recorded a change in its journal and died before writing the document.
        let store = LocalStateStore(directory: f.h.dir.appendingPathComponent(".landlord").path)
        let journal = try store.openJournal()
        var globex = try #require(try await store.loadTenant("globex"))
        var tg = try #require(globex.resources["backend_tg"])
        tg.inputs["healthCheckPath"] = .string("/HEALTH")
        let change = StateChange.record("backend_tg", tg)
        change.apply(to: &globex)
        globex.serial += 1
        try await journal.waitUntilDurable(journal.append(change, of: globex))
        let dead = (journal.path as NSString).deletingLastPathComponent + "/999999999-deadbeef.wal"
        try FileManager.default.copyItem(atPath: journal.path, toPath: dead)
        journal.remove()
        #expect(try f.documentText("globex").hasPrefix("{\n  \"applied_from\""))
        let (plan, _) = try await f.same("journal replay")
        #expect(plan.tenants.map(\.tenant) == ["globex"])
        #expect(!(try f.documentText("globex").contains("applied_from")))
    }

    @Test func aDocumentWithoutAKeyOrWithAMalformedOneIsReadWhole() async throws {
        let f = try await KeyedFleet()
        let t3 = try f.documentText("t3")
        // A key of another length, then one whose value is not hex: both read whole, same plan.
        try t3.replacingOccurrences(of: "\"applied_from\": \"", with: "\"applied_from\": \"0").write(
            toFile: f.document("t3"), atomically: true, encoding: .utf8)
        let (p1, r1) = try await f.same("malformed key")
        #expect(p1.isEmpty && r1 == ["t3"])
        let bad = t3.prefix(21) + "zz" + t3.dropFirst(23)
        try String(bad).write(toFile: f.document("t3"), atomically: true, encoding: .utf8)
        let (p2, r2) = try await f.same("key not hex")
        #expect(p2.isEmpty && r2 == ["t3"])
        // A document as an older landlord wrote it (no key) loads and plans as before.
        try await f.h.store.saveTenant(try #require(try await f.h.store.loadTenant("t3")))
        let (p3, r3) = try await f.same("no key")
        #expect(p3.isEmpty && r3 == ["t3"])
    }
}

/// The local state store with the whole documents each plan read recorded (`ReadRecordingStore`
/// without stamps), and the keys apply recorded read as the local store reads them.
final class KeyReadingStore: ForwardingStateStore, Sendable {
    let inner: LocalStateStore
    private let reads = Mutex<[String]>([])

    init(_ inner: LocalStateStore) { self.inner = inner }

    /// Tenant documents read whole since the last call, sorted.
    func takeReads() -> [String] {
        reads.withLock { r in
            defer { r = [] }
            return r.sorted()
        }
    }

    func loadTenants(_ ids: [String]) async throws -> [String: TenantState] {
        reads.withLock { $0 += ids }
        return try await inner.loadTenants(ids)
    }
    func loadForRefresh(whole: [String], resources: [String]) async throws -> RefreshDocuments {
        reads.withLock { $0 += whole }
        return try await inner.loadForRefresh(whole: whole, resources: resources)
    }
    func documentsApplied(from keys: [String: String]) async throws -> Set<String> { try await inner.documentsApplied(from: keys) }
    var readsAppliedKeys: Bool { true }
}
