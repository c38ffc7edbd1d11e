import Foundation
import LandlordCore
import LandlordLocalState
import MockProvider
import PostgresSchema
import ProviderAPI
import Testing

/// `exports: {directory: ...}` for tests: files under a directory, as FleetWiring's store writes them.
struct TestDirectoryExports: ExportStore {
    let directory: String
    func store(_ data: Data, name: String) async throws -> String {
        let path = directory + "/" + name
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        return path
    }
}

/// A provider that forwards to the mock but fails every delete: a run that exported and then
/// stopped before its delete landed leaves the state a kill between the two would.
struct FailingDeletes: ExportingProvider {
    let inner: MockProvider
    var name: String { inner.name }
    var schema: ProviderSchema { inner.schema }
    func read(_ request: ReadRequest) async -> ReadResponse { await inner.read(request) }
    func apply(_ request: ApplyRequest) async -> ApplyResponse {
        if request.operation == .delete { return ApplyResponse(resource: nil, diagnostics: [.error("injected delete failure")]) }
        return await inner.apply(request)
    }
    func importResources(_ request: ImportRequest) async -> ImportResponse { await inner.importResources(request) }
    func export(_ request: ExportRequest) async -> ExportResponse { await inner.export(request) }
}

/// Runs a fleet of `PGFleet` with an export store (its registry has none).
extension PGFleet {
    func withExports(_ provider: any Provider, _ exports: String) throws -> Workspace {
        var registry = ProviderRegistry()
        registry.register(provider, prefix: "postgres")
        registry.exports = TestDirectoryExports(directory: exports)
        let (fleet, diags) = SpecLoader(schemas: registry.schemas).load(directory: dir)
        guard let fleet, !diags.hasErrors else { throw Failure("spec errors: \(diags.errors.map(\.description))") }
        return Workspace(fleet: fleet, store: LocalStateStore(directory: dir.appendingPathComponent(".landlord").path), providers: registry)
    }

    /// Plans and applies with `ws`; the result.
    func run(_ ws: Workspace, _ options: PlanOptions = PlanOptions()) async throws -> (Plan, ApplyResult) {
        let planAndDiags = await ws.plan(options)
        let plan = planAndDiags.plan
        let diags = planAndDiags.diagnostics
        guard let plan else { throw Failure("plan failed: \(diags.errors.map(\.description))") }
        let result = await ws.apply(plan, options: ApplyOptions(holder: LockHolder(operation: "test"), platform: ws.fleet.platform.name))
        return (plan, result)
    }
}

/// A schema and an owner role; the schema's `deletion:` policy is the parameter.
func policyBlueprint(_ policy: String) -> String {
    """
    apiVersion: landlord/v1
    kind: Blueprint
    name: db
    parameters:
      schemaName: {type: string}
    resources:
      owner:
        type: postgres.role
        properties: {name: "${schemaName}_owner"}
      schema:
        type: postgres.schema
        properties: {name: "${schemaName}", owner: "${owner.name}", deletion: cascade}
        deletion: \(policy)
    """
}

let exportingPlatform = "apiVersion: landlord/v1\nkind: Platform\nname: pgtest\nstate: {backend: local}\nexports: {directory: exports}\n"

/// `deletion: retain | snapshot` through the engine against the simulated cloud.
@Suite struct MockDeletionPolicyTests {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("landlord-policy-\(UUID().uuidString)")
    var cloud: String { dir.appendingPathComponent("cloud.json").path }
    var exports: String { dir.appendingPathComponent("out").path }

    func fleet(_ policy: String) throws -> PGFleet {
        let f = try PGFleet(provider: MockProvider(cloudPath: cloud), blueprint: policyBlueprint(policy))
        try f.write("platform.yaml", exportingPlatform)
        try f.tenant("acme", "schemaName: acme")
        return f
    }

    func schemas() throws -> [MockResource] {
        try MockProvider(cloudPath: cloud).cloud.snapshot().filter { $0.type == PostgresResourceTypes.schemaType }
    }

    @Test func retainForgetsAndLeavesTheResource() async throws {
        let f = try fleet("retain")
        defer { f.remove() }
        let mock = MockProvider(cloudPath: cloud)
        let ws = try f.withExports(mock, exports)
        _ = try await f.run(ws)
        let (plan, result) = try await f.run(ws, PlanOptions(destroy: ["acme"]))
        let schema = try #require(plan.tenants.first?.changes.first { $0.name == "schema" })
        #expect(schema.action == .delete && schema.deletion == .retain)
        #expect(plan.summary.retain == 1 && plan.summary.delete == 1)
        let text = TextRenderer().render(plan)
        #expect(text.contains("# acme/schema will be retained (deletion: retain)"))
        #expect(text.contains("1 to retain (deletion: retain)."))
        #expect(MarkdownRenderer().render(plan).contains("will be **retained** (deletion: retain)"))
        #expect(!result.failed, "\(result.diagnostics.errors.map(\.description))")
        // Forgotten by Landlord, still in the cloud; the role (delete) is gone.
        let states = try await ws.loadStates().tenants
        #expect(states["acme"]?.resources.isEmpty == true)
        #expect(try schemas().map(\.id) == ["acme"])
        #expect(try MockProvider(cloudPath: cloud).cloud.snapshot().filter { $0.type == PostgresResourceTypes.role }.isEmpty)
        #expect(mock.callCounts["export"] == nil)
    }

    @Test func snapshotExportsBeforeDeletingAndRecordsIt() async throws {
        let f = try fleet("snapshot")
        defer { f.remove() }
        _ = try await f.run(try f.withExports(MockProvider(cloudPath: cloud), exports))
        try FileManager.default.removeItem(at: f.dir.appendingPathComponent("tenants/acme.yaml"))
        let ws = try f.withExports(MockProvider(cloudPath: cloud), exports)
        let (plan, result) = try await f.run(ws)
        #expect(TextRenderer().render(plan).contains("# acme/schema will be exported, then destroyed (deletion: snapshot)"))
        #expect(!result.failed, "\(result.diagnostics.errors.map(\.description))")
        #expect(try schemas().isEmpty)
        let outcome = try #require(result.tenants.first)
        let export = try #require(outcome.exports["schema"])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: export.location))
        #expect(Digest.sha256Hex(bytes) == export.sha256 && bytes.count == export.bytes)
        #expect(String(decoding: bytes, as: UTF8.self).contains("acme/schema"))
        // A removed tenant's document stays while it holds exports: it is their record.
        let states = try await ws.loadStates().tenants
        #expect(states["acme"]?.status == .destroyed)
        #expect(states["acme"]?.exports["schema"] == export)
        #expect(states["acme"]?.resources.isEmpty == true)
    }

    @Test func aFailedExportDeletesNothingOfThatResource() async throws {
        let f = try fleet("snapshot")
        defer { f.remove() }
        _ = try await f.run(try f.withExports(MockProvider(cloudPath: cloud), exports))
        var settings = MockSettings()
        settings.failExportMatch = "acme/schema"
        let ws = try f.withExports(MockProvider(cloudPath: cloud, settings: settings), exports)
        let (_, result) = try await f.run(ws, PlanOptions(destroy: ["acme"]))
        #expect(result.failed)
        #expect(result.diagnostics.errors.contains { $0.summary.contains("could not export acme/schema") })
        #expect(try schemas().map(\.id) == ["acme"])
        let states = try await ws.loadStates().tenants
        #expect(states["acme"]?.resources["schema"] != nil)
        #expect(states["acme"]?.resources["owner"] != nil, "the schema's dependency waits for it")
        #expect(states["acme"]?.exports.isEmpty == true)
        #expect(!FileManager.default.fileExists(atPath: exports + "/acme"))
    }

    @Test func anExportRecordedBeforeAStoppedDeleteIsNotMadeAgain() async throws {
        let f = try fleet("snapshot")
        defer { f.remove() }
        _ = try await f.run(try f.withExports(MockProvider(cloudPath: cloud), exports))
        // Exported and recorded, then the delete did not land (as a kill between the two leaves it).
        let first = MockProvider(cloudPath: cloud)
        let (_, stopped) = try await f.run(try f.withExports(FailingDeletes(inner: first), exports), PlanOptions(destroy: ["acme"]))
        #expect(stopped.failed && first.callCounts["export"] == 1)
        let before = try await f.workspace().loadStates().tenants
        let recorded = try #require(before["acme"]?.exports["schema"])
        #expect(before["acme"]?.resources["schema"] != nil)
        let second = MockProvider(cloudPath: cloud)
        let (_, done) = try await f.run(try f.withExports(second, exports), PlanOptions(destroy: ["acme"]))
        #expect(!done.failed, "\(done.diagnostics.errors.map(\.description))")
        #expect(second.callCounts["export"] == nil, "the recorded export is the one kept")
        #expect(done.tenants.first?.exports["schema"] == recorded)
        #expect(try schemas().isEmpty)
    }
}

/// Bad `deletion:` and `exports:` are diagnostics at file:line:col; a snapshot with nowhere to
/// put it is a plan error naming the resource, and nothing is applied.
@Suite struct DeletionPolicyDiagnosticsTests {
    func errors(_ blueprint: String, platform: String = exportingPlatform) throws -> [String] {
        let f = try PGFleet(provider: MockProvider(cloudPath: "/nonexistent/cloud.json"), blueprint: blueprint)
        defer { f.remove() }
        try f.write("platform.yaml", platform)
        try f.tenant("acme", "schemaName: acme")
        let (_, diags) = SpecLoader(schemas: f.registry.schemas).load(directory: f.dir)
        return diags.errors.map(\.description).map { $0.replacingOccurrences(of: f.dir.path + "/", with: "") }
    }

    @Test func badPoliciesAndPlacesAreNamedWhereTheyAre() throws {
        let misspelt = try errors(policyBlueprint("snapshott"))
        #expect(
            misspelt.contains { $0.hasPrefix("blueprints/db.yaml:13:15: error: unknown deletion policy 'snapshott' (did you mean 'snapshot'?)") },
            "\(misspelt)")
        let role = policyBlueprint("retain").replacingOccurrences(
            of: "properties: {name: \"${schemaName}_owner\"}", with: "properties: {name: \"${schemaName}_owner\"}\n    deletion: snapshot")
        let unexportable = try errors(role)
        #expect(unexportable.contains { $0.hasPrefix("blueprints/db.yaml:10:15: error: postgres.role cannot be exported") }, "\(unexportable)")
        let place = try errors(
            policyBlueprint("snapshot"), platform: exportingPlatform.replacingOccurrences(of: "{directory: exports}", with: "{dir: x}"))
        #expect(
            place.contains { $0.hasPrefix("platform.yaml:5:11: error: unknown exports place 'dir'") }, "\(place)")
    }

    @Test func aSnapshotWithNoExportsPlaceIsAPlanError() async throws {
        let f = try PGFleet(
            provider: MockProvider(cloudPath: FileManager.default.temporaryDirectory.path + "/c-\(UUID()).json"),
            blueprint: policyBlueprint("snapshot"))
        defer { f.remove() }
        try f.tenant("acme", "schemaName: acme")
        try await f.applyOK()
        let planAndDiags = try await f.workspace().plan(PlanOptions(destroy: ["acme"]))
        let plan = planAndDiags.plan
        let diags = planAndDiags.diagnostics
        #expect(plan == nil)
        #expect(diags.errors.contains { $0.summary == "acme/schema has `deletion: snapshot` but platform.yaml declares no `exports:` place" })
    }
}
