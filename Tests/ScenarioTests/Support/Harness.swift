import AWSSchema
import Foundation
import LandlordCore
import LandlordLocalState
import MockProvider
import ProviderAPI
import QuickstartFleet
import Testing

/// The repository root, found from this file.
let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// A copy of an example fleet in a temporary directory, with its own state and simulated
/// cloud, driven through the engine as the CLI drives it.
struct Harness {
    let dir: URL
    var settings = MockSettings()

    /// A fresh temporary directory holding the spec files of `examples/NAME` (platform.yaml,
    /// blueprints/, tenants/; never state, plan files or anything else left there). The
    /// quickstart is written from the copy compiled into the binary (`landlord init`), so a
    /// walk-through that edits the example does not change what the tests see; InitTests
    /// checks that copy against the example.
    init(example: String = "quickstart") throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("landlord-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        if example == "quickstart" {
            try QuickstartFleet.write(to: dir)
            return
        }
        let src = repoRoot.appendingPathComponent("examples/\(example)")
        for item in ["platform.yaml", "blueprints", "tenants"] where FileManager.default.fileExists(atPath: src.appendingPathComponent(item).path) {
            try FileManager.default.copyItem(at: src.appendingPathComponent(item), to: dir.appendingPathComponent(item))
        }
    }

    var cloudPath: String { dir.appendingPathComponent(".landlord/mock-cloud.json").path }
    var store: LocalStateStore { LocalStateStore(directory: dir.appendingPathComponent(".landlord").path) }
    var provider: MockProvider { MockProvider(cloudPath: cloudPath, settings: settings) }

    func write(_ relative: String, _ text: String) throws {
        let url = dir.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    /// Writes `tenants/ID.yaml`: a tenant of the web blueprint with this subdomain.
    func addWebTenant(_ id: String, subdomain: String, image: String = "img") throws {
        try write(
            "tenants/\(id).yaml",
            "apiVersion: landlord/v1\nkind: Tenant\nid: \(id)\nblueprint: web\nparameters: {subdomain: \(subdomain), backendImage: \(image)}\n")
    }

    /// The quickstart (acme, globex) plus t1...tN of the web blueprint (subdomains ten1...tenN).
    static func withWebTenants(_ count: Int) throws -> Harness {
        let h = try Harness()
        for i in 1...count { try h.addWebTenant("t\(i)", subdomain: "ten\(i)") }
        return h
    }

    /// Lets the quickstart's one listener hold `limit` rules and `limit` target groups.
    func raiseListenerLimits(to limit: Int) throws {
        try edit("platform.yaml") {
            $0.replacingOccurrences(
                of: "dnsName: alb-1-123456789.us-east-1.elb.amazonaws.com",
                with: "dnsName: alb-1-123456789.us-east-1.elb.amazonaws.com\n      maxRules: \(limit)\n      maxTargetGroups: \(limit)")
        }
    }

    func remove(_ relative: String) throws { try FileManager.default.removeItem(at: dir.appendingPathComponent(relative)) }

    func edit(_ relative: String, _ transform: (String) -> String) throws {
        let url = dir.appendingPathComponent(relative)
        try transform(String(contentsOf: url, encoding: .utf8)).write(to: url, atomically: true, encoding: .utf8)
    }

    /// Loads the fleet; fails the test on spec errors.
    func workspace(provider p: MockProvider? = nil) throws -> Workspace {
        let (fleet, diags) = SpecLoader(schemas: MockProvider.resourceSchema.resources).load(directory: dir)
        guard let fleet else { throw HarnessError("spec errors: \(diags.errors.map(\.description))") }
        // The simulated cloud serves every built-in prefix (aws, stripe, postgres), as in the CLI.
        let mock = p ?? provider
        var registry = ProviderRegistry([mock])
        for prefix in ProviderRegistry.prefixes(of: mock.schema) { registry.register(mock, prefix: prefix) }
        return Workspace(fleet: fleet, store: store, providers: registry)
    }

    /// Diagnostics of loading the fleet.
    func loadDiagnostics() -> Diagnostics { SpecLoader(schemas: MockProvider.resourceSchema.resources).load(directory: dir).1 }

    func plan(_ options: PlanOptions = PlanOptions(), refresh: Bool = true) async throws -> Plan {
        let planAndDiags = try await workspace().plan(options, refresh: refresh)
        let plan = planAndDiags.plan
        let diags = planAndDiags.diagnostics
        guard let plan else { throw HarnessError("plan failed: \(diags.errors.map(\.description))") }
        return plan
    }

    @discardableResult
    /// (`batchWindow` is long by default so batch counts do not depend on how fast a test runs.)
    func apply(_ options: PlanOptions = PlanOptions(), provider p: MockProvider? = nil, parallelism: Int = 10, batchWindow: TimeInterval = 600)
        async throws -> ApplyResult
    {
        let ws = try workspace(provider: p)
        let planAndDiags = await ws.plan(options)
        let plan = planAndDiags.plan
        let diags = planAndDiags.diagnostics
        guard let plan else { throw HarnessError("plan failed: \(diags.errors.map(\.description))") }
        var options = ApplyOptions(parallelism: parallelism, holder: LockHolder(operation: "test"), platform: ws.fleet.platform.name)
        options.batchWindow = batchWindow
        return await ws.apply(plan, options: options)
    }

    /// Every resource in the simulated cloud.
    func cloud() throws -> [MockResource] { try MockCloud(path: cloudPath).snapshot() }

    /// Every recorded resource, by address.
    func recorded() async throws -> [String: ResourceState] {
        var out: [String: ResourceState] = [:]
        for id in try await store.listTenants() {
            for (name, r) in try await store.loadTenant(id)?.resources ?? [:] { out[id + "/" + name] = r }
        }
        return out
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
