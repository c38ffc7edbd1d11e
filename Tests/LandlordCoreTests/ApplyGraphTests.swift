import ProviderAPI
import Testing

@testable import LandlordCore

/// The order of an apply's steps, from the graph alone: no provider, no state, no binary.
@Suite struct ApplyGraphTests {
    /// A change of tenant `t`: `deps` are what it depends on now, `prior` what it depended on
    /// when it was recorded.
    static func change(
        _ name: String, _ action: Action, deps: [String] = [], prior: [String] = [], createBeforeDestroy: Bool = false, tenant: String = "t"
    ) -> ResourceChange {
        var c = ResourceChange(address: tenant + "/" + name, tenant: tenant, name: name, type: "test.thing", action: action)
        c.dependencies = deps
        c.priorDependencies = prior
        c.createBeforeDestroy = createBeforeDestroy
        return c
    }

    static func tenant(_ changes: [ResourceChange], id: String = "t") -> TenantPlan {
        var tp = TenantPlan(tenant: id, blueprint: "b", operation: .provision)
        tp.changes = changes
        return tp
    }

    /// The graph's steps by `NAME kind`, for edges that read like the rule they check.
    struct Named {
        let graph: ApplyGraph
        let names: [String]

        init(_ tenants: [TenantPlan]) {
            graph = ApplyGraph(tenants: tenants)
            names = graph.steps.map { s in "\(tenants[s.tenant].changes[s.change].name) \(s.kind)" }
        }

        func index(_ name: String) -> Int {
            guard let i = names.firstIndex(of: name) else {
                Issue.record("no step \(name) in \(names)")
                return -1
            }
            return i
        }

        /// True when `a` waits for `b`, directly or through other steps.
        func waits(_ a: String, for b: String) -> Bool {
            let (from, to) = (index(a), index(b))
            guard from >= 0, to >= 0 else { return false }
            var seen: Set<Int> = []
            var stack = graph.dag.dependencies[from]
            while let n = stack.popLast() {
                if n == to { return true }
                if seen.insert(n).inserted { stack += graph.dag.dependencies[n] }
            }
            return false
        }

        /// Step names in the order a one-at-a-time run takes them (stable topological order).
        var order: [String] { (graph.dag.topologicalOrder() ?? []).map { names[$0] } }
    }

    @Test func createsFollowTheirDependencies() {
        let g = Named([
            Self.tenant([
                Self.change("service", .create, deps: ["task", "target"]),
                Self.change("task", .create),
                Self.change("target", .create),
                Self.change("record", .create, deps: ["service"]),
            ])
        ])
        #expect(g.graph.steps.count == 4)
        #expect(g.waits("service create", for: "task create"))
        #expect(g.waits("service create", for: "target create"))
        #expect(g.waits("record create", for: "task create"), "dependencies are transitive")
        #expect(!g.waits("task create", for: "service create"))
        #expect(!g.waits("task create", for: "target create"), "independent creates do not wait for each other")
        #expect(g.order == ["task create", "target create", "service create", "record create"])
        #expect(g.graph.cyclic.isEmpty)
    }

    @Test func deletesRunInReverseDependencyOrder() {
        // As recorded: record -> service -> task. All three are removed.
        let g = Named([
            Self.tenant([
                Self.change("task", .delete),
                Self.change("service", .delete, prior: ["task"]),
                Self.change("record", .delete, prior: ["service"]),
            ])
        ])
        #expect(g.waits("task delete", for: "service delete"))
        #expect(g.waits("service delete", for: "record delete"))
        #expect(!g.waits("record delete", for: "task delete"))
        #expect(g.order == ["record delete", "service delete", "task delete"])
    }

    @Test func aDeletedResourceGoesAfterTheUpdateOfWhatUsedIt() {
        // `service` used `old` and now uses `new`: `old` is deleted only once the update landed.
        let g = Named([
            Self.tenant([
                Self.change("new", .create),
                Self.change("service", .update, deps: ["new"], prior: ["old"]),
                Self.change("old", .delete),
            ])
        ])
        #expect(g.waits("old delete", for: "service update"))
        #expect(g.waits("service update", for: "new create"))
    }

    @Test func createBeforeDestroyDeletesTheDeposedObjectAfterTheNewOneAndItsDependents() {
        let g = Named([
            Self.tenant([
                Self.change("zone", .replace, createBeforeDestroy: true),
                Self.change("record", .update, deps: ["zone"], prior: ["zone"]),
            ])
        ])
        #expect(g.graph.steps.map(\.kind) == [ApplyGraph.Kind.create, .deleteDeposed, .update])
        #expect(g.waits("zone deleteDeposed", for: "zone create"))
        #expect(g.waits("record update", for: "zone create"), "the dependent is updated to the new object")
        #expect(g.waits("zone deleteDeposed", for: "record update"), "the old object goes after its dependents moved off it")
        #expect(!g.waits("zone create", for: "zone deleteDeposed"))
        #expect(g.order == ["zone create", "record update", "zone deleteDeposed"])
    }

    @Test func deleteBeforeCreateDeletesTheOldObjectFirst() {
        // The new object keeps the old one's unique name: it can exist only once the old one is gone.
        let g = Named([
            Self.tenant([
                Self.change("table", .replace, createBeforeDestroy: false),
                Self.change("item", .update, deps: ["table"], prior: ["table"]),
            ])
        ])
        #expect(g.graph.steps.map(\.kind) == [ApplyGraph.Kind.create, .deleteForReplace, .update])
        #expect(g.waits("table create", for: "table deleteForReplace"))
        #expect(!g.waits("table deleteForReplace", for: "table create"))
        #expect(!g.waits("table deleteForReplace", for: "item update"), "waiting for the dependent's update would be a cycle")
        #expect(g.waits("item update", for: "table create"))
        #expect(g.order == ["table deleteForReplace", "table create", "item update"])
        #expect(g.graph.cyclic.isEmpty)
    }

    @Test func aDeposedObjectLeftByAnInterruptedReplacementIsDeletedAfterItsDependentsAreUpdated() {
        // An earlier run created the new `zone` and was killed before deleting `zone#deposed`;
        // `record` still points at the old object until it is updated.
        let deposed = TenantSession.deposedKey("zone")
        let g = Named([
            Self.tenant([
                Self.change("record", .update, deps: ["zone"], prior: ["zone"]),
                Self.change(deposed, .delete),
            ])
        ])
        #expect(g.waits("\(deposed) delete", for: "record update"))
        #expect(g.order == ["record update", "\(deposed) delete"])

        // The same for a second deposed object (`NAME#2#deposed`).
        let second = "zone#2#deposed"
        let g2 = Named([Self.tenant([Self.change("record", .update, deps: ["zone"], prior: ["zone"]), Self.change(second, .delete)])])
        #expect(g2.waits("\(second) delete", for: "record update"))
    }

    @Test func tenantsAreIndependentAndACycleIsReportedForItsTenantOnly() {
        let g = ApplyGraph(tenants: [
            Self.tenant([Self.change("x", .create, deps: ["y"], tenant: "a"), Self.change("y", .create, deps: ["x"], tenant: "a")], id: "a"),
            Self.tenant([Self.change("x", .create, tenant: "b"), Self.change("y", .create, deps: ["x"], tenant: "b")], id: "b"),
        ])
        #expect(g.cyclic == [0])
        for (i, s) in g.steps.enumerated() {
            for d in g.dag.dependencies[i] { #expect(g.steps[d].tenant == s.tenant, "no edge crosses tenants") }
        }
    }

    @Test func heightsCountTheLongestChainWithWaitsDouble() {
        var service = Self.change("service", .create, deps: ["task"])
        service.wait = WaitSpec(until: "stable", timeout: 60)
        let g = Named([Self.tenant([Self.change("task", .create), service, Self.change("record", .create, deps: ["service"])])])
        let h = g.graph.heights()
        #expect(h[g.index("record create")] == 1)
        #expect(h[g.index("service create")] == 3)
        #expect(h[g.index("task create")] == 4)
    }
}
