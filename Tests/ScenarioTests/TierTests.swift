import Foundation
import LandlordCore
import ProviderAPI
import Testing

/// Tiers (`when:` on resources) with examples/tiers and the mock: a tier change is an ordinary
/// plan that creates or deletes exactly the silo, and references to conditional resources are
/// refused unless guarded.
@Suite struct TierTests {
    static let silo: Set<String> = ["silo_tg", "silo_rule", "silo_task", "silo_service", "silo_record", "silo_db_owner", "silo_db"]

    func harness() throws -> Harness {
        var h = try Harness(example: "tiers")
        h.settings.seed = 1
        return h
    }

    func setTier(_ h: Harness, _ tenant: String, _ tier: String) throws {
        try h.edit("tenants/\(tenant).yaml") { text in
            let line = text.split(separator: "\n").first { $0.hasPrefix("parameters:") }!
            return text.replacingOccurrences(of: String(line), with: "parameters: {subdomain: \(tenant), tier: \(tier)}")
        }
    }

    @Test func premiumTenantsGetTheSiloAndBasicOnesDoNot() async throws {
        let h = try harness()
        let plan = try await h.plan()
        let byTenant = Dictionary(uniqueKeysWithValues: plan.tenants.map { ($0.tenant, Set($0.changes.map(\.name))) })
        #expect(byTenant["acme"] == Self.silo.union(["users", "users_client", "dns", "record"]))
        #expect(byTenant["globex"] == ["users", "users_client", "dns", "record"])
        #expect(byTenant["initech"] == ["users", "users_client", "dns", "record"], "tier defaults to basic")
        // Only the premium tenant takes a listener slot.
        #expect(plan.tenants.first { $0.tenant == "acme" }?.allocation != nil)
        #expect(plan.tenants.first { $0.tenant == "globex" }?.allocation == nil)
    }

    @Test func basicToPremiumCreatesTheSiloAndDeletesNothing() async throws {
        let h = try harness()
        try await h.apply()
        try setTier(h, "globex", "premium")
        let plan = try await h.plan()
        #expect(plan.tenants.map(\.tenant) == ["globex"])
        let changes = try #require(plan.tenants.first).changes
        #expect(Set(changes.filter { $0.action == .create }.map(\.name)) == Self.silo)
        #expect(!changes.contains { $0.action == .delete || $0.action == .replace }, "an upgrade must delete nothing: \(changes.map(\.address))")
        // The tenant record says the new tier, in place.
        #expect(changes.filter { $0.action == .update }.map(\.name) == ["record"])
        let result = try await h.apply()
        #expect(result.tenants.allSatisfy { $0.status == .active }, "\(result.diagnostics.items)")
        let recorded = try await h.recorded()
        for name in Self.silo { #expect(recorded["globex/\(name)"] != nil, "globex/\(name) not recorded") }
        #expect(try await h.plan().isEmpty)
    }

    @Test func premiumToBasicDeletesExactlyTheSilo() async throws {
        let h = try harness()
        try await h.apply()
        let before = try await h.recorded()
        let acmeBefore = before.keys.filter { $0.hasPrefix("acme/") }
        #expect(acmeBefore.count == 11)
        try setTier(h, "acme", "basic")
        let plan = try await h.plan()
        let changes = try #require(plan.tenants.first { $0.tenant == "acme" }).changes
        #expect(Set(changes.filter { $0.action == .delete }.map(\.name)) == Self.silo)
        #expect(changes.filter { $0.action != .delete }.map(\.name) == ["record"])
        let delete = try #require(changes.first { $0.name == "silo_service" })
        #expect(delete.reasons == ["not part of this tenant: when \"${tier} == 'premium'\" does not hold"])
        // The service goes before the target group and task definition it uses.
        let order = changes.filter { $0.action == .delete }.map(\.name)
        #expect(order.firstIndex(of: "silo_service")! < order.firstIndex(of: "silo_tg")!)
        #expect(order.firstIndex(of: "silo_record")! < order.firstIndex(of: "silo_service")!)

        let result = try await h.apply()
        #expect(result.tenants.allSatisfy { $0.status == .active }, "\(result.diagnostics.items)")
        let after = try await h.recorded()
        #expect(Set(after.keys.filter { $0.hasPrefix("acme/") }) == Set(acmeBefore).subtracting(Self.silo.map { "acme/\($0)" }))
        // Nothing of the silo is left in the cloud, and the rule's priority is released.
        #expect(!(try h.cloud()).contains { $0.tags["landlord:address"]?.hasPrefix("acme/silo_") == true })
        let allocation = try await h.store.loadPlatform().allocations["acme"]
        #expect(allocation?.numbers.isEmpty ?? true)
        #expect(
            (allocation?.usage ?? [:]).values.allSatisfy { $0 == 0 }, "the silo's rule and target group no longer count: \(allocation?.usage ?? [:])")
        #expect(try await h.plan().isEmpty)
        // Back to premium: the silo comes back.
        try setTier(h, "acme", "premium")
        let again = try await h.plan()
        #expect(Set(try #require(again.tenants.first).changes.filter { $0.action == .create }.map(\.name)) == Self.silo)
    }

    /// A create of a silo resource interrupted before the tenant went back to basic: the next
    /// plan looks it up and deletes it, rather than leaving what it made behind.
    @Test func anInterruptedCreateOfAResourceTheTierLeavesOutIsDeleted() async throws {
        let h = try harness()
        try await h.apply()
        var st = try #require(try await h.store.loadTenant("globex"))
        st.pending["silo_task"] = PendingIntent(
            type: "aws.ecs_task_definition", clientToken: "t", startedAt: Date(), inputs: ["family": "silo-globex"])
        try await h.store.saveTenant(st)
        let changes = try #require(try await h.plan().tenants.first { $0.tenant == "globex" }).changes
        #expect(changes.map { "\($0.action.rawValue) \($0.name)" } == ["delete silo_task"])
        #expect(
            changes.first?.reasons == [
                "not part of this tenant: when \"${tier} == 'premium'\" does not hold; interrupted create, deleted if it exists"
            ])
        try await h.apply()
        #expect(try await h.store.loadTenant("globex")?.pending.isEmpty == true)
    }

    // MARK: Diagnostics

    func errors(_ blueprintEdit: (String) -> String) throws -> [String] {
        let h = try harness()
        try h.edit("blueprints/saas.yaml", blueprintEdit)
        return h.loadDiagnostics().errors.sorted {
            ($0.location?.line ?? 0, $0.location?.column ?? 0) < ($1.location?.line ?? 0, $1.location?.column ?? 0)
        }
        .map { d in "\(d.location.map { "\($0.line):\($0.column)" } ?? "-"): \(d.summary)" }
    }

    @Test func anUnguardedReferenceToAConditionalResourceIsAnError() throws {
        let errs = try errors {
            $0.replacingOccurrences(
                of: "item: {tier: \"${tier}\", subdomain: \"${subdomain}\", userPoolId: \"${users.id}\"}",
                with: "item: {tier: \"${tier}\", service: \"${silo_service.arn}\"}")
        }
        #expect(errs.count == 1, "\(errs)")
        #expect(
            errs.first?.contains(
                "resource 'record' refers to conditional resource 'silo_service' (when: \"${tier} == 'premium'\"), but it has no `when:`") == true,
            "\(errs)")
        #expect(errs.first?.hasPrefix("30:") == true, "\(errs)")
    }

    @Test func aGuardThatOnlyLooksAlikeIsAnErrorAndOneThatImpliesItIsNot() throws {
        // Same condition written differently (spacing, quotes): the same condition.
        let same = try errors {
            $0.replacingOccurrences(
                of: "    when: \"${tier} == 'premium'\"\n    properties: {cluster:",
                with: "    when: '${tier}==\"premium\"'\n    properties: {cluster:")
        }
        #expect(same.isEmpty, "\(same)")
        // A stronger condition (premium && more) implies it.
        let stronger = try errors {
            $0.replacingOccurrences(
                of: "    when: \"${tier} == 'premium'\"\n    properties:\n      table:",
                with: "    when: \"${tier} == 'premium' && ${image} != 'none'\"\n    properties:\n      table:")
        }
        #expect(stronger.isEmpty, "\(stronger)")
        // A different condition does not.
        let other = try errors {
            $0.replacingOccurrences(
                of: "    when: \"${tier} == 'premium'\"\n    properties:\n      table:",
                with: "    when: \"${tier} != 'basic'\"\n    properties:\n      table:")
        }
        #expect(other.count == 3, "\(other)")  // silo_service, silo_tg and silo_db
        #expect(other.allSatisfy { $0.contains("resource 'silo_record' refers to conditional resource") && $0.contains("does not imply it") })
    }

    @Test func conditionErrorsPointIntoTheExpression() throws {
        // Line 52 is silo_record's `when:` (nothing refers to it); its text starts at column 12 (after the quote).
        let typo = try errors {
            $0.replacingOccurrences(
                of: "when: \"${tier} == 'premium'\"\n    properties:\n      table:",
                with: "when: \"${tire} == 'premium'\"\n    properties:\n      table:")
        }
        #expect(typo == ["52:12: reference to unknown parameter 'tire' (did you mean 'tier'?)"])
        let syntax = try errors {
            $0.replacingOccurrences(
                of: "when: \"${tier} == 'premium'\"\n    properties:\n      table:",
                with: "when: \"${tier} = 'premium'\"\n    properties:\n      table:")
        }
        #expect(syntax == ["52:20: malformed condition: '=' is not a comparison: write '=='"])
        let value = try errors {
            $0.replacingOccurrences(
                of: "when: \"${tier} == 'premium'\"\n    properties:\n      table:",
                with: "when: \"${tier} in ['basic', 'premum']\"\n    properties:\n      table:")
        }
        #expect(value.count == 1 && value[0].hasPrefix("52:33: 'premum' is not a value of parameter 'tier' (did you mean 'premium'?)"), "\(value)")
        let attr = try errors {
            $0.replacingOccurrences(
                of: "when: \"${tier} == 'premium'\"\n    properties:\n      table:",
                with: "when: \"${users.id} == 'x' || (${tier} == 'premium'\"\n    properties:\n      table:")
        }
        #expect(attr == ["52:55: malformed condition: expected ')' to close the '(' at character 23, found end of condition"])
        let resourceRef = try errors {
            $0.replacingOccurrences(
                of: "when: \"${tier} == 'premium'\"\n    properties:\n      table:",
                with: "when: \"${users.id} != 'x'\"\n    properties:\n      table:")
        }
        #expect(resourceRef == ["52:12: a condition cannot read resource attributes (${users.id})"])
    }

    @Test func outputsReferringToConditionalResourcesMustBeGuarded() throws {
        let errs = try errors {
            $0.replacingOccurrences(
                of: "backend: {value: \"${silo_service.arn}\", when: \"${tier} == 'premium'\"}",
                with: "backend: \"${silo_service.arn}\"\n  missing: \"${user.id}\"")
        }
        #expect(errs.count == 2, "\(errs)")
        #expect(errs.contains { $0.contains("output 'backend' refers to conditional resource 'silo_service'") })
        #expect(errs.contains { $0.contains("reference to unknown resource 'user' (did you mean 'users'?)") })
    }
}
