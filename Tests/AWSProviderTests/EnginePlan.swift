import AWSProvider
import AWSSchema
import Foundation
import LandlordCore
import ProviderAPI
import Testing

/// Plans one resource through the engine (spec reader, refresh result, planner) against what
/// the AWS provider reads back from moto: the actions `landlord plan` would show.
enum EnginePlan {
    struct Failure: Error, CustomStringConvertible { var description: String }

    /// The plan's changes for a one-resource blueprint `properties` of `type` (named `r` in
    /// tenant `tenant`), given what state recorded and what a refresh read (nil: gone).
    static func changes(
        _ type: String, properties: [String: Value], tenant: String, recorded: ResourceObject?, refreshed: ResourceObject??
    ) throws -> [ResourceChange] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("engineplan-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("blueprints"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("tenants"), withIntermediateDirectories: true)
        try "apiVersion: landlord/v1\nkind: Platform\nname: test-platform\nprovider: {aws: {region: us-east-1}}\n".write(
            to: dir.appendingPathComponent("platform.yaml"), atomically: true, encoding: .utf8)
        try """
        apiVersion: landlord/v1\nkind: Blueprint\nname: bp\nresources:\n  r:\n    type: \(type)\n    \
        properties: \(JSON.string(.map(properties)))\n
        """
        .write(to: dir.appendingPathComponent("blueprints/bp.yaml"), atomically: true, encoding: .utf8)
        try "apiVersion: landlord/v1\nkind: Tenant\nid: \(tenant)\nblueprint: bp\n".write(
            to: dir.appendingPathComponent("tenants/\(tenant).yaml"), atomically: true, encoding: .utf8)
        let schemas = AWSProvider.resourceSchema.resources
        let (fleet, diags) = SpecLoader(schemas: schemas).load(directory: dir)
        guard let fleet else { throw Failure(description: "spec errors: \(diags.errors.map(\.description))") }
        var states: [String: TenantState] = [:]
        var refreshedByAddress: [String: ResourceObject?] = [:]
        if let recorded {
            var state = TenantState(tenant: tenant, blueprint: "bp")
            state.status = .active
            let attributes = schemas[type]?.attributes ?? [:]
            state.resources["r"] = ResourceState(
                type: type, id: recorded.id,
                inputs: recorded.attributes.filter { attributes[$0.key]?.settable == true },
                outputs: recorded.attributes.filter { attributes[$0.key]?.settable != true }, dependencies: [])
            states[tenant] = state
            if let refreshed { refreshedByAddress["\(tenant)/r"] = refreshed }
        }
        let input = PlanInput(fleet: fleet, states: states, platformState: PlatformState(), schemas: schemas, refreshed: refreshedByAddress)
        // Replacements are planned as such: the data-bearing guard (--allow-protected-deletes) is not what these tests check.
        let (plan, planDiags) = Planner.plan(input, options: PlanOptions(allowProtectedDeletes: true))
        guard !planDiags.hasErrors else { throw Failure(description: "plan errors: \(planDiags.errors.map(\.description))") }
        return plan.tenants.flatMap(\.changes)
    }

    /// The one change's action and changed attributes, `noop` when the plan has none.
    static func action(
        _ type: String, properties: [String: Value], tenant: String, recorded: ResourceObject?, refreshed: ResourceObject??
    ) throws -> (Action, [String]) {
        let changes = try changes(type, properties: properties, tenant: tenant, recorded: recorded, refreshed: refreshed)
        guard let c = changes.first else { return (.noop, []) }
        return (c.action, c.changed.sorted())
    }
}

extension AWSProvider {
    /// What `landlord plan` shows for a resource recorded as `recorded` whose spec now says
    /// `properties`, after refreshing it from moto: `noop`, `create`, `replace`, or `update`
    /// with the changed attributes (`update description,precedence`).
    func planned(
        _ recorded: ResourceObject, _ properties: [String: Value], tenant: Tenant, sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) async throws -> String {
        let fresh = await readOne(recorded, sourceLocation: sourceLocation)
        let (action, changed) = try EnginePlan.action(
            recorded.type, properties: properties, tenant: tenant.id, recorded: recorded, refreshed: .some(fresh))
        return action == .update ? "update " + changed.joined(separator: ",") : action.rawValue
    }
}
