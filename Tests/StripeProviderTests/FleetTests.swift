import Foundation
import LandlordTestSupport
import ProviderAPI
import Testing

/// A fleet with a `stripe.customer` through the `landlord` binary: against localstripe (create,
/// no-change plan, update in place with a metadata key removed, drift, adoption after lost
/// state, destroy) and with `--mock` (the same blueprint dry-runs in the simulated cloud).
struct StripeFleet {
    let dir: URL
    let platform: String
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    init(apiBase: String) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("stripe-fleet-\(UUID().uuidString)")
        platform = Localstripe.uniquePlatform()
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("blueprints"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("tenants"), withIntermediateDirectories: true)
        try write(
            "platform.yaml",
            """
            apiVersion: landlord/v1
            kind: Platform
            name: \(platform)
            provider: {stripe: {apiKeyEnv: STRIPE_API_KEY, apiBase: "\(apiBase)"}}
            """)
        try write(
            "blueprints/billing.yaml",
            """
            apiVersion: landlord/v1
            kind: Blueprint
            name: billing
            parameters:
              company: {type: string}
              meta: {type: map}
            resources:
              customer:
                type: stripe.customer
                properties: {email: "billing@${tenant.id}.example.com", name: "${company}", description: "tenant ${tenant.id}", metadata: "${meta}"}
            """)
        try tenant(company: "Acme & Sons", meta: #"{plan: gold, legacy: "yes"}"#)
    }

    func write(_ path: String, _ text: String) throws {
        try Data((text + "\n").utf8).write(to: dir.appendingPathComponent(path))
    }

    func tenant(company: String, meta: String) throws {
        try write(
            "tenants/acme.yaml",
            """
            apiVersion: landlord/v1
            kind: Tenant
            id: acme
            blueprint: billing
            parameters: {company: "\(company)", meta: \(meta)}
            """)
    }

    func landlord(_ args: String...) async throws -> ProcessRun {
        try await Spawned.run(
            Spawned.landlordBinary(repoRoot: Self.repoRoot), ["-C", dir.path] + args,
            env: ["STRIPE_API_KEY": Localstripe.key, "LANDLORD_STATE_FSYNC": "0"])
    }

    /// The customer id recorded in state.
    func recordedID() async throws -> String? {
        let run = try await landlord("state", "show", "acme/customer")
        return run.all.split(separator: "\n").compactMap { line -> String? in
            guard let r = line.range(of: "cus_") else { return nil }
            return String(line[r.lowerBound...].prefix { $0.isLetter || $0.isNumber || $0 == "_" })
        }.first
    }
}

@Suite struct FleetTests {
    @Test(.enabled(if: Localstripe.available, Localstripe.disabledReason))
    func applyPlanUpdateDriftAdoptDestroyAgainstLocalstripe() async throws {
        let fleet = try StripeFleet(apiBase: Localstripe.url!)
        defer { try? FileManager.default.removeItem(at: fleet.dir) }

        let apply = try await fleet.landlord("apply", "--auto-approve")
        #expect(apply.code == 0, "\(apply.all)")
        let id = try #require(try await fleet.recordedID(), "no customer id in state")
        var raw = try await Localstripe.call("GET", "/v1/customers/\(id)")
        #expect(raw.json["email"] == "billing@acme.example.com")
        #expect(raw.json["metadata"]?.mapValue?["landlord:address"] == "acme/customer")

        let plan = try await fleet.landlord("plan", "--detailed-exitcode")
        #expect(plan.code == 0, "a second plan must report no changes:\n\(plan.all)")

        // Update in place, a metadata key removed.
        try fleet.tenant(company: "Acme Holdings", meta: "{plan: platinum}")
        let planUpdate = try await fleet.landlord("plan", "--detailed-exitcode")
        #expect(planUpdate.code == 2 && planUpdate.all.contains("~") && planUpdate.all.contains("0 to replace"), "\(planUpdate.all)")
        let update = try await fleet.landlord("apply", "--auto-approve")
        #expect(update.code == 0, "\(update.all)")
        #expect(try await fleet.recordedID() == id, "updated in place, same customer")
        raw = try await Localstripe.call("GET", "/v1/customers/\(id)")
        #expect(raw.json["name"] == "Acme Holdings")
        #expect(raw.json["metadata"]?.mapValue?["plan"] == "platinum")
        let legacy = raw.json["metadata"]?.mapValue?["legacy"]?.stringValue ?? ""
        #expect(legacy.isEmpty, "the removed key is gone (localstripe keeps it as \"\")")
        #expect(try await fleet.landlord("plan", "--detailed-exitcode").code == 0)

        // Drift: renamed out of band; the plan shows it, apply puts it back.
        _ = try await Localstripe.call("POST", "/v1/customers/\(id)", form: [("name", "Renamed by hand")])
        let drift = try await fleet.landlord("plan", "--detailed-exitcode")
        #expect(drift.code == 2 && drift.all.contains("changed outside Landlord"), "\(drift.all)")
        #expect(try await fleet.landlord("apply", "--auto-approve").code == 0)
        #expect(try await Localstripe.call("GET", "/v1/customers/\(id)").json["name"] == "Acme Holdings")

        // Lost state: `apply --adopt` finds the customer by its metadata instead of making another.
        try FileManager.default.removeItem(at: fleet.dir.appendingPathComponent(".landlord"))
        let adopt = try await fleet.landlord("apply", "--auto-approve", "--adopt")
        #expect(adopt.code == 0, "\(adopt.all)")
        #expect(try await fleet.recordedID() == id, "the existing customer is adopted, not duplicated")
        #expect(try await fleet.landlord("plan", "--detailed-exitcode").code == 0)

        // Destroy: the customer is gone from Stripe.
        let destroy = try await fleet.landlord("destroy", "--tenant", "acme", "--auto-approve")
        #expect(destroy.code == 0, "\(destroy.all)")
        #expect(try await Localstripe.call("GET", "/v1/customers/\(id)").status == 404)
    }

    @Test func theSameBlueprintDryRunsInTheMock() async throws {
        let fleet = try StripeFleet(apiBase: "http://127.0.0.1:9")
        defer { try? FileManager.default.removeItem(at: fleet.dir) }
        let apply = try await fleet.landlord("apply", "--auto-approve", "--mock")
        #expect(apply.code == 0, "\(apply.all)")
        #expect(try await fleet.recordedID()?.hasPrefix("cus_") == true)
        let plan = try await fleet.landlord("plan", "--detailed-exitcode", "--mock")
        #expect(plan.code == 0, "\(plan.all)")
        // The mock refuses what Stripe refuses, at apply.
        try fleet.tenant(company: "Acme", meta: "{\"landlord:address\": spoofed}")
        let refused = try await fleet.landlord("apply", "--auto-approve", "--mock")
        #expect(refused.code != 0 && refused.all.contains("Landlord's own"), "\(refused.all)")
    }

    @Test func aMissingKeyIsAnErrorNamingTheVariable() async throws {
        let fleet = try StripeFleet(apiBase: "http://127.0.0.1:9")
        defer { try? FileManager.default.removeItem(at: fleet.dir) }
        let run = try await Spawned.run(
            Spawned.landlordBinary(repoRoot: StripeFleet.repoRoot), ["-C", fleet.dir.path, "apply", "--auto-approve"],
            env: ["STRIPE_API_KEY": ""])
        #expect(run.code != 0)
        #expect(run.all.contains("STRIPE_API_KEY is not set"), "\(run.all)")
    }
}
