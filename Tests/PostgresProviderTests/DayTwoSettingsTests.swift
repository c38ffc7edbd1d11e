import Foundation
import LandlordCore
import MockProvider
import ProviderAPI
import Testing

/// Bad `updates:`, `reconcile:` and `drift:` settings (issue 27) are diagnostics at
/// file:line:col, and good ones are read.
@Suite struct DayTwoSettingsTests {
    func load(_ blueprintExtra: String, platformExtra: String = "") throws -> (Fleet?, [String]) {
        let blueprint = policyBlueprint("delete").replacingOccurrences(of: "\nname: db\n", with: "\nname: db\n" + blueprintExtra)
        let f = try PGFleet(provider: MockProvider(cloudPath: "/nonexistent/cloud.json"), blueprint: blueprint)
        defer { f.remove() }
        try f.write("platform.yaml", exportingPlatform + platformExtra)
        try f.tenant("acme", "schemaName: acme")
        let (fleet, diags) = SpecLoader(schemas: f.registry.schemas).load(directory: f.dir)
        return (fleet, diags.errors.map(\.description).map { $0.replacingOccurrences(of: f.dir.path + "/", with: "") })
    }

    @Test func goodSettingsAreRead() throws {
        let (fleet, errors) = try load("updates: {approval: required}\nreconcile: auto\n", platformExtra: "drift: {every: 6h, callsPerSecond: 20}\n")
        #expect(errors.isEmpty, "\(errors)")
        #expect(fleet?.blueprints["db"]?.updates.approvalRequired == true)
        #expect(fleet?.blueprints["db"]?.reconcile == .auto)
        #expect(fleet?.platform.drift == DriftSchedule(every: 21_600, callsPerSecond: 20))
    }

    @Test func badSettingsAreNamedWhereTheyAre() throws {
        let (_, approval) = try load("updates: {approval: requird}\n")
        #expect(
            approval.contains { $0.hasPrefix("blueprints/db.yaml:4:21: error: unknown approval 'requird' (did you mean 'required'?)") }, "\(approval)"
        )
        let (_, reconcile) = try load("reconcile: automatic\n")
        #expect(reconcile.contains { $0.hasPrefix("blueprints/db.yaml:4:12: error: unknown reconcile 'automatic'") }, "\(reconcile)")
        let (_, every) = try load("", platformExtra: "drift: {every: soon}\n")
        #expect(every.contains { $0.hasPrefix("platform.yaml:6:16: error: invalid drift period 'soon'") }, "\(every)")
        let (_, rate) = try load("", platformExtra: "drift: {every: 1h, callsPerSecond: 0}\n")
        #expect(rate.contains { $0.hasPrefix("platform.yaml:6:36: error: invalid callsPerSecond '0'") }, "\(rate)")
        let (_, key) = try load("", platformExtra: "drift: {evry: 1h}\n")
        #expect(key.contains { $0.contains("evry") }, "\(key)")
    }
}
