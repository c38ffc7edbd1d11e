import AWSSchema
import Foundation
import ProviderAPI
import Testing

@testable import LandlordCore

/// Two resources claiming the same unique key of their type (`uniqueKeys`: a target group's
/// name) cannot both exist: the plan refuses it, naming both, before any tenant is applied.
@Suite struct UniqueKeyCheckTests {
    static let blueprint = """
        apiVersion: landlord/v1
        kind: Blueprint
        name: web
        parameters:
          subdomain: {type: string, pattern: "^[a-z][a-z0-9-]{2,39}$"}
          tgName: {type: string}
        resources:
          tg:
            type: aws.lb_target_group
            properties: {name: "${tgName}", port: 80, protocol: HTTP, vpcId: "${platform.vpcId}"}
        """

    /// Plans tenants `tgNames` (tenant -> target group name) over state recording `recorded`.
    func plan(_ tgNames: [String: String], recorded: [String: String] = [:]) throws -> Diagnostics {
        var tenants: [String: String] = [:]
        for (id, name) in tgNames { tenants[id] = SpecFixture.tenant(id, "{subdomain: \(id), tgName: \(name)}") }
        let fixture = try SpecFixture(blueprints: ["web": Self.blueprint], tenants: tenants)
        defer { try? FileManager.default.removeItem(at: fixture.dir) }
        let (fleet, diags) = fixture.load()
        let loaded = try #require(fleet, "\(diags.errors)")
        var states: [String: TenantState] = [:]
        for (id, name) in recorded {
            var s = TenantState(tenant: id, blueprint: "web")
            s.serial = 1
            s.resources["tg"] = ResourceState(
                type: "aws.lb_target_group", id: "arn:tg/\(name)", inputs: ["name": .string(name), "port": 80, "protocol": "HTTP", "vpcId": "vpc-1"],
                outputs: ["arn": .string("arn:tg/\(name)")], dependencies: [])
            states[id] = s
        }
        let input = PlanInput(fleet: loaded, states: states, platformState: PlatformState(), schemas: AWSResourceTypes.schema.resources)
        return Planner.plan(input, options: PlanOptions()).1
    }

    @Test func twoNewTenantsWithTheSameNameAreRefusedNamingBoth() throws {
        let diags = try plan(["acme": "shared-tg", "globex": "shared-tg", "initech": "own-tg"])
        #expect(diags.errors.count == 1, "\(diags.errors)")
        let e = try #require(diags.errors.first)
        #expect(e.summary.contains("globex/tg and acme/tg claim the same unique key of aws.lb_target_group (name \"shared-tg\")"), "\(e.summary)")
        #expect(e.detail.contains("give one of them another value"))
    }

    @Test func aNewTenantTakingARecordedNameIsRefused() throws {
        let diags = try plan(["acme": "acme-tg", "globex": "acme-tg"], recorded: ["acme": "acme-tg"])
        let e = try #require(diags.errors.first)
        #expect(e.summary.hasPrefix("globex/tg and acme/tg claim the same unique key"), "\(e.summary)")
        #expect(e.address == "globex/tg")
    }

    @Test func aNameGivenUpInTheSamePlanMayBeTakenAndUnchangedFleetsCostNothing() throws {
        // acme renames its target group (a replacement): its old name is free for globex.
        #expect(try plan(["acme": "acme-tg-2", "globex": "acme-tg"], recorded: ["acme": "acme-tg"]).errors.isEmpty)
        // Nothing created or changed: nothing to check.
        #expect(try plan(["acme": "acme-tg"], recorded: ["acme": "acme-tg"]).errors.isEmpty)
    }
}
