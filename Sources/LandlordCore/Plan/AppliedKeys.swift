import Crypto
import Foundation
import ProviderAPI

/// What decides plans besides the specs, the schemas and the state, for the keys apply records
/// in tenant documents (`AppliedKey`): the same context and environment as the plan cache's
/// (`PlanCacheSettings`), without its file.
public struct PlanKeySettings: Sendable {
    private let makeContext: @Sendable () -> String
    /// The program, the provider selection and the state key's fingerprint (a change of it
    /// makes every recorded key stale). Worked out when a plan or an apply first needs it, not
    /// before: it digests the program, and a command that neither plans nor applies (a refused
    /// adopt, a state verb) must not pay for that or leave its memo behind.
    public var context: String { makeContext() }
    /// The environment `${env.NAME}` reads from (the declared names' values are in the key).
    public var environment: [String: String]

    /// Keys valid for `context` and `environment`.
    public init(context: String, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.init(contextOf: { context }, environment: environment)
    }

    /// Keys valid for the context `make` works out (each time it is asked for) and `environment`.
    public init(contextOf make: @escaping @Sendable () -> String, environment: [String: String] = ProcessInfo.processInfo.environment) {
        makeContext = make
        self.environment = environment
    }

    /// The key of everything that decides every tenant's plan alike (the plan cache's fleet key).
    func fleetKey(_ fleet: Fleet, schemas: [String: ResourceSchema]) -> String {
        PlanSkipping.fleetKey(PlanCacheSettings(path: "", context: context, environment: environment), fleet: fleet, schemas: schemas)
    }
}

/// The plan cache's idea carried into the state document: apply records, in a tenant's document,
/// the key of the inputs a plan of it would find nothing to change in (`applied_from`, the
/// document's first member), and a plan without a cache entry for the tenant takes a matching
/// key as that entry (docs/state.md, "applied_from").
///
/// The recorded value is the SHA-256 of the tenant's plan key (`PlanSkipping.tenantKey`: fleet
/// key, blueprint, tenant file, allocation and sequence numbers) followed by the bytes of the
/// document without the member. It therefore holds only for the very bytes apply wrote: any
/// other write of the document (state mv, rm, import, adoption, a journal replayed, a hand
/// edit) makes it stale, whether or not the writer knew of it; and no writer but apply's last
/// one adds it (`TenantState.appliedFrom` is never read back from a document).
public enum AppliedKey {
    /// The member's name: sorts before every other member, so it is the document's first.
    public static let member = "applied_from"

    /// The document apply writes: `body` (the document without the member, as
    /// `TenantState.encoded` makes it) with the member first.
    static func splice(_ body: [UInt8], tenantKey: String) -> [UInt8] {
        guard body.first == UInt8(ascii: "{"), body.count > 2 else { return body }
        let value = digest(tenantKey: tenantKey, body: body[...], dropping: 0)
        // `{` then the pretty printer's indentation, then the rest as written.
        var out = Array("{\n  \"\(member)\": \"\(value)\",".utf8)
        out.reserveCapacity(out.count + body.count)
        out += body[1...]
        return out
    }

    /// Whether `document` carries the key apply records for `tenantKey` over its own bytes.
    /// False for a document without the member, with one in another form, or of other bytes.
    public static func holds(_ document: [UInt8], tenantKey: String) -> Bool {
        guard let (value, end) = recorded(document) else { return false }
        // The body: `{` and the bytes after the member's line.
        return digest(tenantKey: tenantKey, body: document[end...], dropping: 1) == value
    }

    /// The recorded value and where the body resumes after it, read from the document's first
    /// bytes in exactly the form `splice` writes; nil otherwise.
    static func recorded(_ d: [UInt8]) -> (value: String, end: Int)? {
        let head = Array("{\n  \"\(member)\": \"".utf8)
        let valueLength = 64
        guard d.count > head.count + valueLength + 2, d[0..<head.count].elementsEqual(head) else { return nil }
        let start = head.count
        let end = start + valueLength
        guard d[end] == UInt8(ascii: "\""), d[end + 1] == UInt8(ascii: ",") else { return nil }
        for b in d[start..<end] where !((b >= 48 && b <= 57) || (b >= 97 && b <= 102)) { return nil }
        return (String(decoding: d[start..<end], as: UTF8.self), end + 2)
    }

    /// SHA-256 of the tenant key, a newline and the body; `dropping` 1 stands for the body's
    /// `{` cut off by the member's line (the slice then starts after it).
    private static func digest(tenantKey: String, body: ArraySlice<UInt8>, dropping: Int) -> String {
        var h = SHA256()
        h.update(data: Array((tenantKey + "\n").utf8))
        if dropping == 1 { h.update(data: [UInt8(ascii: "{")]) }
        body.withUnsafeBytes { h.update(bufferPointer: $0) }
        return Digest.hex(h.finalize())
    }
}

/// Decides, as apply finishes each tenant, the key its document records: only when a plan of
/// the tenant's specs against the state apply leaves and the platform document as apply
/// committed it finds nothing to change (the tenant is planned again, in memory, to know).
public struct AppliedKeyRecorder: Sendable {
    let fleet: Fleet
    let fleetKey: String
    let schemas: [String: ResourceSchema]
    let computedByType: [String: [String]]
    let rules: AllocationRules
    let members: [String: [String: PoolMember]]

    /// A recorder for `fleet` with `providers`' schemas.
    public init(_ settings: PlanKeySettings, fleet: Fleet, schemas: [String: ResourceSchema]) {
        self.fleet = fleet
        self.schemas = schemas
        fleetKey = settings.fleetKey(fleet, schemas: schemas)
        computedByType = schemas.mapValues(TenantPlanner.computedAttributes)
        rules = AllocationRules(schemas)
        members = TenantPlanner.index(fleet.platform.pools)
    }

    /// The plan key to record in `state` (`TenantState.appliedFrom`), or nil when the tenant
    /// is not active, has a pending create, or would plan any change or diagnostic.
    func key(for state: TenantState, platform: PlatformState) -> String? {
        guard state.status == .active, state.pending.isEmpty, let t = fleet.tenant(state.tenant), !t.approvalPending,
            state.blueprint == t.blueprint, let whole = fleet.blueprints[t.blueprint]
        else { return nil }
        // The allocation a plan would give it, from an allocator that holds only its own.
        var own = PlatformState()
        if let a = platform.allocations[t.id] { own.allocations[t.id] = a }
        if let n = platform.numbers[t.id] { own.numbers[t.id] = n }
        var allocator = Allocator(pools: fleet.platform.pools, capacities: rules.capacities.mapValues { $0.map(\.name) }, state: own)
        let bp = TierSelection(whole, for: t, platform: fleet.platform).blueprint
        guard case .success(let allocation) = Planner.allocate(t, bp, state, fleet.platform, rules, &allocator),
            allocation == platform.allocations[t.id]
        else { return nil }
        let input = PlanInput(fleet: fleet, states: [:], platformState: platform, schemas: schemas)
        let planner = TenantPlanner(input: input, computedByType: computedByType, rules: rules, members: members, options: PlanOptions())
        let (tp, diags) = planner.provision(t, whole, state: state, allocation: allocation)
        guard !tp.hasChanges, diags.isEmpty, tp.sequences.isEmpty, tp.allocation == platform.allocations[t.id] else { return nil }
        return PlanSkipping.tenantKey(fleetKey, t, fleet: fleet, platform: platform)
    }
}
