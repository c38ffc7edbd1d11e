import AWSSchema
import Foundation
import ProviderAPI
import Testing

@testable import LandlordCore

/// A data-bearing type (schema `dataBearing`) loses its data when replaced: like `protect: true`,
/// a plan that replaces one is refused unless it is planned with --allow-protected-deletes.
@Suite struct DataBearingReplacementTests {
    static let blueprint = """
        apiVersion: landlord/v1
        kind: Blueprint
        name: web
        parameters:
          subdomain: {type: string, pattern: "^[a-z][a-z0-9-]{2,39}$"}
          poolName: {type: string, default: acme-users}
        resources:
          users:
            type: aws.cognito_user_pool
            properties: {name: "${poolName}", mfa: "OFF"}
        """

    func plan(poolName: String, allow: Bool) throws -> (Plan, Diagnostics) {
        let fixture = try SpecFixture(
            blueprints: ["web": Self.blueprint], tenants: ["acme": SpecFixture.tenant("acme", "{subdomain: acme, poolName: \(poolName)}")])
        defer { try? FileManager.default.removeItem(at: fixture.dir) }
        let (fleet, diags) = fixture.load()
        let loaded = try #require(fleet, "\(diags.errors)")
        var state = TenantState(tenant: "acme", blueprint: "web")
        state.serial = 3
        state.resources["users"] = ResourceState(
            type: "aws.cognito_user_pool", id: "us-east-1_AAA", inputs: ["name": "acme-users", "mfa": "OFF"],
            outputs: ["id": "us-east-1_AAA", "arn": "arn:aws:cognito-idp:us-east-1:1:userpool/us-east-1_AAA"], dependencies: [])
        let input = PlanInput(fleet: loaded, states: ["acme": state], platformState: PlatformState(), schemas: AWSResourceTypes.schema.resources)
        return Planner.plan(input, options: PlanOptions(allowProtectedDeletes: allow))
    }

    @Test func replacingADataBearingResourceNeedsTheFlag() throws {
        let (refused, diags) = try plan(poolName: "acme-people", allow: false)
        let error = try #require(diags.errors.first, "\(refused.tenants.flatMap(\.changes).map(\.action))")
        #expect(error.summary.contains("plan would replace data-bearing resource acme/users (aws.cognito_user_pool)"), "\(error.summary)")
        #expect(error.summary.contains("requires replacement: name"))
        #expect(error.detail.contains("--allow-protected-deletes"))

        let (allowed, none) = try plan(poolName: "acme-people", allow: true)
        #expect(!none.hasErrors, "\(none.errors)")
        let change = try #require(allowed.tenants.first?.changes.first)
        #expect(change.action == .replace)
        #expect(change.dataBearing)
    }

    @Test func anInPlaceChangeOrNoChangeNeedsNoFlag() throws {
        let (same, diags) = try plan(poolName: "acme-users", allow: false)
        #expect(!diags.hasErrors, "\(diags.errors)")
        #expect(same.tenants.flatMap(\.changes).isEmpty)
    }
}
