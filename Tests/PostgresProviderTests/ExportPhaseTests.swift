import Foundation
import LandlordCore
import MockProvider
import PostgresSchema
import ProviderAPI
import Synchronization
import Testing

/// The calls a provider saw, in order.
final class CallLog: Sendable {
    let calls = Mutex<[String]>([])
}

/// Forwards to the mock and writes down each export and delete, in the order they reach it.
struct OrderRecording: ExportingProvider {
    let inner: MockProvider
    let log = CallLog()
    var name: String { inner.name }
    var schema: ProviderSchema { inner.schema }
    func read(_ request: ReadRequest) async -> ReadResponse { await inner.read(request) }
    func apply(_ request: ApplyRequest) async -> ApplyResponse {
        if request.operation == .delete { log.calls.withLock { $0.append("delete " + request.identity.address) } }
        return await inner.apply(request)
    }
    func importResources(_ request: ImportRequest) async -> ImportResponse { await inner.importResources(request) }
    func export(_ request: ExportRequest) async -> ExportResponse {
        log.calls.withLock { $0.append("export " + request.identity.address) }
        return await inner.export(request)
    }
}

/// The export phase of a destroy (issue 27): every `deletion: snapshot` export of a tenant
/// lands before any of its resources is deleted, and a failed export stops the tenant's whole
/// deletion, with nothing deleted (not even resources that do not depend on the exported one).
@Suite struct ExportPhaseTests {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("landlord-export-phase-\(UUID().uuidString)")
    var cloud: String { dir.appendingPathComponent("cloud.json").path }
    var exports: String { dir.appendingPathComponent("out").path }

    /// The policy blueprint plus a role that depends on the schema (deleted before it in
    /// reverse order) and one that depends on nothing.
    func fleet() throws -> PGFleet {
        let blueprint =
            policyBlueprint("snapshot") + "\n"
                + """
                  reader:
                    type: postgres.role
                    properties: {name: "${schema.name}_reader"}
                  auditor:
                    type: postgres.role
                    properties: {name: "${schemaName}_auditor"}

                """
        let f = try PGFleet(provider: MockProvider(cloudPath: cloud), blueprint: blueprint)
        try f.write("platform.yaml", exportingPlatform)
        try f.tenant("acme", "schemaName: acme")
        return f
    }

    func cloudTypes() throws -> [String] { try MockProvider(cloudPath: cloud).cloud.snapshot().map(\.type).sorted() }

    @Test func everyExportLandsBeforeAnyDeleteOfItsTenant() async throws {
        let f = try fleet()
        defer { f.remove() }
        _ = try await f.run(try f.withExports(MockProvider(cloudPath: cloud), exports))
        #expect(try cloudTypes().count == 4)
        let recording = OrderRecording(inner: MockProvider(cloudPath: cloud))
        let (_, result) = try await f.run(try f.withExports(recording, exports), PlanOptions(destroy: ["acme"]))
        #expect(!result.failed, "\(result.diagnostics.errors.map(\.description))")
        let calls = recording.log.calls.withLock { $0 }
        #expect(calls.first == "export acme/schema", "\(calls)")
        #expect(calls.filter { $0.hasPrefix("delete ") }.count == 4, "\(calls)")
        #expect(try cloudTypes().isEmpty)
        #expect(result.tenants.first?.exports["schema"] != nil)
    }

    @Test func aFailedExportStopsTheTenantsDeletionWithNothingDeleted() async throws {
        let f = try fleet()
        defer { f.remove() }
        _ = try await f.run(try f.withExports(MockProvider(cloudPath: cloud), exports))
        let before = try cloudTypes()
        var settings = MockSettings()
        settings.failExportMatch = "acme/schema"
        let ws = try f.withExports(MockProvider(cloudPath: cloud, settings: settings), exports)
        let (_, result) = try await f.run(ws, PlanOptions(destroy: ["acme"]))
        #expect(result.failed)
        #expect(result.diagnostics.errors.contains { $0.summary.contains("could not export acme/schema") })
        // Not the schema, not the role that depends on it, not the unrelated one.
        #expect(try cloudTypes() == before)
        let states = try await ws.loadStates().tenants
        #expect(Set(states["acme"]?.resources.keys.map { $0 } ?? []) == ["owner", "schema", "reader", "auditor"])
        #expect(states["acme"]?.exports.isEmpty == true)
        #expect(result.tenants.first?.failed == 1)
    }
}
