import Foundation
import ProviderAPI
import Testing

@testable import LandlordCore

/// The plan-time check of account-wide quotas, on a made-up type: the engine counts from the
/// schema's declaration alone.
@Suite struct QuotaCheckTests {
    static let type = "x.thing"
    static func schemas(limit: Int) -> [String: ResourceSchema] {
        [
            type: ResourceSchema(
                type: type, attributes: ["name": .init(.string, required: true, forceNew: true)], uniqueKeys: ["name"],
                quotas: [AccountQuota(name: "things", limit: limit, scope: .region, remedy: "share one thing")])
        ]
    }

    static let blueprint = """
        apiVersion: landlord/v1
        kind: Blueprint
        name: b
        resources:
          thing:
            type: x.thing
            properties: {name: "${tenant.id}-thing"}
        """

    func fleet(_ tenants: [String], limit: Int) throws -> Fleet {
        let f = try SpecFixture(
            platform: "apiVersion: landlord/v1\nkind: Platform\nname: p\nprovider: {x: {}}\n", blueprints: ["b": Self.blueprint],
            tenants: Dictionary(uniqueKeysWithValues: tenants.map { ($0, "apiVersion: landlord/v1\nkind: Tenant\nid: \($0)\nblueprint: b\n") }))
        let (fleet, diags) = SpecLoader(schemas: Self.schemas(limit: limit)).load(directory: f.dir)
        return try #require(fleet, "\(diags.errors.map(\.description))")
    }

    func recorded(_ ids: [String], name: (String) -> String = { "\($0)-thing" }) -> [String: TenantState] {
        var out: [String: TenantState] = [:]
        for id in ids {
            var s = TenantState(tenant: id, blueprint: "b")
            s.status = .active
            s.resources["thing"] = ResourceState(type: Self.type, id: "id-\(id)", inputs: ["name": .string(name(id))], outputs: [:], dependencies: [])
            out[id] = s
        }
        return out
    }

    func plan(_ fleet: Fleet, _ states: [String: TenantState], limit: Int, refreshed: [String: ResourceObject?] = [:], existing: Set<String>? = nil)
        -> Diagnostics
    {
        let input = PlanInput(
            fleet: fleet, states: states, platformState: PlatformState(), schemas: Self.schemas(limit: limit), refreshed: refreshed,
            existing: existing.map { [Self.type: $0] } ?? [:])
        return Planner.plan(input, options: PlanOptions()).1
    }

    @Test func theCreatesBeyondTheLimitAreRefusedAtTheBlueprintResource() throws {
        let d = plan(try fleet(["t1", "t2", "t3"], limit: 2), [:], limit: 2)
        let e = try #require(d.errors.first)
        #expect(d.errors.count == 1)
        #expect(e.summary.contains("quota of 2 things per account and region") && e.summary.contains("(t3)"), "\(e.summary)")
        #expect(e.summary.contains("leaves 3 (0 existing, 3 created)"))
        #expect(e.detail == "share one thing")
        #expect(e.location?.file.hasSuffix("blueprints/b.yaml") == true && e.location?.line == 5)
        #expect(plan(try fleet(["t1", "t2"], limit: 2), [:], limit: 2).errors.isEmpty)
    }

    @Test func replacementsReCreationsAndRemovalsKeepTheCount() throws {
        let fleet = try fleet(["t1", "t2"], limit: 2)
        // A replacement (the name changes) deletes one and creates one.
        #expect(plan(fleet, recorded(["t1", "t2"], name: { "\($0)-old" }), limit: 2).errors.isEmpty)
        // A recorded resource found gone is re-created at its address: still two.
        let gone: [String: ResourceObject?] = ["t1/thing": nil]
        let recreated = plan(fleet, recorded(["t1", "t2"]), limit: 2, refreshed: gone)
        #expect(recreated.errors.isEmpty)
        // A removed tenant's resource is deleted by the same plan that creates another's.
        let swapped = try self.fleet(["t2", "t3"], limit: 2)
        #expect(plan(swapped, recorded(["t1", "t2"]), limit: 2).errors.isEmpty)
        // A plan that creates none is never refused, even over the limit.
        #expect(plan(fleet, recorded(["t1", "t2"]), limit: 1).errors.isEmpty)
    }

    @Test func resourcesMadeOutsideLandlordCountUnlessAPendingCreateMayHaveMadeThem() throws {
        let fleet = try fleet(["t1", "t2", "t3"], limit: 3)
        var states = recorded(["t1", "t2"])
        let d = plan(fleet, states, limit: 3, existing: ["id-t1", "id-t2", "by-hand"])
        #expect(d.errors.first?.summary.contains("leaves 4 (3 existing, 1 of them made outside Landlord, 1 created)") == true, "\(d.errors)")
        // t3's create was interrupted: the unrecorded one may be its own, adopted, not a second.
        var t3 = TenantState(tenant: "t3", blueprint: "b")
        t3.pending["thing"] = PendingIntent(type: Self.type, clientToken: "tok", startedAt: Date(), inputs: ["name": "t3-thing"])
        states["t3"] = t3
        #expect(plan(fleet, states, limit: 3, existing: ["id-t1", "id-t2", "by-hand"]).errors.isEmpty)
    }
}
