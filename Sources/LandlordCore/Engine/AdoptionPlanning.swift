import Foundation
import ProviderAPI

/// What `landlord adopt` plans.
public struct AdoptOptions: Sendable {
    /// Only these tenants (nil: every tenant of the fleet).
    public var tenants: Set<String>?
    /// Let the changes after adoption replace data-bearing or protected resources.
    public var allowProtectedDeletes = false
    public var toolVersion = LandlordVersion.current
    /// Find the resources in this Terraform state (by address) instead of by natural key.
    public var terraform: TerraformStateSource?

    public init(tenants: Set<String>? = nil) { self.tenants = tenants }
}

/// What an adoption plan cost: lookups asked and provider requests they took.
public struct AdoptionReport: Sendable {
    /// Resources looked up (by natural key, or read by id from Terraform state).
    public var lookups = 0
    /// Requests the providers sent for them (listings, batch reads).
    public var calls = 0
    /// Rounds of lookups: a resource whose key refers to another (a client's pool id) is looked
    /// up once that one is found.
    public var rounds = 0
    /// Tenants with something to adopt, and tenants left out because a resource did not resolve.
    public var tenants = 0
    public var unresolvedTenants = 0
    public var seconds = 0.0
}

/// An adoption plan, what it cost, and why tenants were left out.
public struct AdoptionOutcome: Sendable {
    /// The plan of every tenant whose resources all resolved (nil when the specs or state
    /// could not be read).
    public var plan: Plan?
    public var diagnostics: Diagnostics
    public var report: AdoptionReport
}

extension Workspace {
    /// Plans the adoption of every resource of the tenants in scope that is not in state: each is
    /// found (by natural key in the cloud, or by id in Terraform state), recorded in a copy of the
    /// tenant's state as it is found, and the tenant is then planned against that copy, so its
    /// changes are what makes the found resources match the spec. A tenant any of whose
    /// resources is missing, ambiguous, tagged for another address or of a type that cannot be
    /// looked up is left out with a diagnostic naming the resource.
    public func adopt(_ options: AdoptOptions) async -> AdoptionOutcome {
        let started = Date()
        var diags = Diagnostics()
        var report = AdoptionReport()
        let loaded: LoadedStates
        do { loaded = try await loadStates() } catch {
            diags.append(.error(error.text))
            return AdoptionOutcome(plan: nil, diagnostics: diags, report: report)
        }
        var scope = Set(fleet.tenants.map(\.id))
        if let wanted = options.tenants {
            for id in wanted.sorted() where !scope.contains(id) {
                diags.append(
                    .error(
                        "unknown tenant '\(id)'\(Suggest.didYouMean(id, in: scope.sorted()))",
                        detail: "adopt takes tenants with a file in tenants/; write tenants/\(id).yaml first"))
            }
            scope.formIntersection(wanted)
        }
        var session = AdoptionSearch(workspace: self, states: loaded.tenants, platform: loaded.platform, scope: scope)
        if let terraform = options.terraform {
            await session.fromTerraform(terraform, &report)
        } else {
            await session.fromCloud(&report)
        }
        diags.append(contentsOf: session.diagnostics)
        // The tenants whose resources all resolved, planned against what was found.
        let resolved = Set(session.found.keys).subtracting(session.failed)
        let planOptions = PlanOptions(tenants: resolved, allowProtectedDeletes: options.allowProtectedDeletes, toolVersion: options.toolVersion)
        var plan = Plan(toolVersion: options.toolVersion, platform: fleet.platform.name, tenants: [], unchangedTenants: 0)
        if !resolved.isEmpty {
            let input = PlanInput(fleet: fleet, states: session.virtual, platformState: loaded.platform, schemas: providers.schemas)
            let (planned, d) = Planner.plan(input, options: planOptions)
            diags.append(contentsOf: d)
            plan = planned
        }
        // Shared capacity is taken as found: an adopted rule keeps its listener and priority.
        // The allocator prefers recorded values, so a plan that moves one found another
        // tenant holding it: a clash, and the tenant is left out.
        let clashes = Self.capacityClashes(plan, session.found, AllocationRules(providers.schemas))
        for (tenant, d) in clashes {
            diags.append(d)
            session.failed.insert(tenant)
        }
        plan.tenants.removeAll { clashes[$0.tenant] != nil }
        let resolvedNow = resolved.subtracting(clashes.keys)
        var byTenant = Dictionary(plan.tenants.map { ($0.tenant, $0) }, uniquingKeysWith: { a, _ in a })
        for id in resolvedNow.sorted() {
            guard let spec = fleet.tenant(id) else { continue }
            var tp = byTenant[id] ?? TenantPlan(tenant: id, blueprint: spec.blueprint, operation: .provision)
            if byTenant[id] == nil { plan.unchangedTenants -= 1 }
            tp.lineage = loaded.tenants[id]?.lineage
            tp.serial = loaded.tenants[id]?.serial
            tp.inputDigest = fleet.inputDigest(for: spec)
            let order = fleet.blueprints[spec.blueprint]?.resources.map(\.name) ?? []
            let mine = session.found[id] ?? [:]
            tp.adoptions = order.compactMap { mine[$0] }
            if tp.allocation == nil, let bp = fleet.blueprints[spec.blueprint] {
                tp.allocation = Self.foundAllocation(tp.adoptions, bp, AllocationRules(providers.schemas))
            }
            byTenant[id] = tp
        }
        plan.tenants = byTenant.values.filter { resolvedNow.contains($0.tenant) }.sorted { $0.tenant < $1.tenant }
        plan.unchangedTenants = max(0, plan.unchangedTenants)
        report.tenants = plan.tenants.count
        report.unresolvedTenants = session.failed.count
        report.seconds = Date().timeIntervalSince(started)
        return AdoptionOutcome(plan: plan, diagnostics: diags, report: report)
    }
}

extension Workspace {
    /// Per tenant, the first adopted resource whose allocated attribute (a rule's listener or
    /// priority) the plan would change: what it holds is another tenant's in the platform state.
    /// The placement and numbers adopted resources hold (a rule's listener and priority), as
    /// the allocation apply commits for a tenant the plan has no other change for.
    static func foundAllocation(_ adoptions: [Adoption], _ bp: Blueprint, _ rules: AllocationRules) -> TenantAllocation? {
        var out: TenantAllocation?
        for a in adoptions {
            guard let tr = rules.types[a.type], let placement = tr.placement,
                let member = a.inputs[placement.attribute]?.stringValue
            else { continue }
            if out == nil { out = TenantAllocation(member: member, usage: rules.needs(bp, pool: placement.pool.name)) }
            if let n = tr.number, let number = a.inputs[n.attribute]?.intValue { out?.numbers[a.name] = number }
        }
        return out
    }

    static func capacityClashes(_ plan: Plan, _ found: [String: [String: Adoption]], _ rules: AllocationRules) -> [String: Diagnostic] {
        var out: [String: Diagnostic] = [:]
        for tp in plan.tenants {
            for c in tp.changes where out[tp.tenant] == nil {
                guard let a = found[tp.tenant]?[c.name], let tr = rules.types[c.type] else { continue }
                let attrs = [tr.placement?.attribute, tr.number?.attribute].compactMap { $0 }.filter(c.changed.contains)
                guard let attr = attrs.first else { continue }
                let held = DisplayValue.text(a.inputs[attr] ?? .null)
                out[tp.tenant] = .error(
                    "\(c.address) (\(c.type)): its \(attr) \(held) clashes with another tenant's in the platform state",
                    detail: "an adopted resource keeps its \(attr); free \(held) (or move the resource by hand), then run adopt again; "
                        + "nothing of tenant '\(tp.tenant)' is adopted until then",
                    address: c.address)
            }
        }
        return out
    }
}

/// The search for one adoption plan: the tenants' states as found so far (`virtual`), what was
/// found, and the tenants that cannot be adopted yet.
struct AdoptionSearch {
    let workspace: Workspace
    /// Recorded state, with each found resource recorded as it was found.
    var virtual: [String: TenantState]
    let platform: PlatformState
    let scope: Set<String>
    /// Found resources by tenant and resource name.
    var found: [String: [String: Adoption]] = [:]
    /// Tenants left out (a resource did not resolve).
    var failed = Set<String>()
    var diagnostics = Diagnostics()
    /// Addresses already looked up.
    var asked = Set<String>()
    /// What the schemas say the engine allocates (a rule's listener and priority).
    let rules: AllocationRules

    init(workspace: Workspace, states: [String: TenantState], platform: PlatformState, scope: Set<String>) {
        self.workspace = workspace
        self.platform = platform
        self.scope = scope
        rules = AllocationRules(workspace.providers.schemas)
        var v: [String: TenantState] = [:]
        for id in scope {
            guard let spec = workspace.fleet.tenant(id) else { continue }
            v[id] = states[id] ?? TenantState(tenant: id, blueprint: spec.blueprint)
        }
        virtual = v
    }

    /// The creates a plan against what is found so far still has, per tenant in scope.
    func pendingCreates() -> [ResourceChange] {
        let live = scope.subtracting(failed)
        guard !live.isEmpty else { return [] }
        let input = PlanInput(fleet: workspace.fleet, states: virtual, platformState: platform, schemas: workspace.providers.schemas)
        let (plan, _) = Planner.plan(input, options: PlanOptions(tenants: live, allowProtectedDeletes: true))
        return plan.tenants.flatMap { $0.changes.filter { $0.action == .create } }
    }

    /// The known values of a change's inputs, in clear (for the provider's lookup).
    static func known(_ inputs: [String: Value]?) -> [String: Value] {
        (inputs ?? [:]).filter { $0.value.isKnown }.mapValues(\.revealed)
    }

    mutating func refuse(_ tenant: String, _ d: Diagnostic) {
        diagnostics.append(d)
        failed.insert(tenant)
    }

    /// Looks every resource up by natural key, round after round: a key that refers to another
    /// resource (a client's `userPoolId`) is known once that one is found.
    mutating func fromCloud(_ report: inout AdoptionReport) async {
        let schemas = workspace.providers.schemas
        while true {
            var lookups: [String: [(change: ResourceChange, lookup: KeyLookup)]] = [:]
            for c in pendingCreates() where !failed.contains(c.tenant) && !asked.contains(c.address) {
                let key = schemas[c.type]?.naturalKey ?? []
                if key.isEmpty {
                    asked.insert(c.address)
                    refuse(
                        c.tenant,
                        .error(
                            "\(c.address) (\(c.type)) cannot be looked up: the type has no natural key",
                            detail: "adopt the tenant from Terraform state (--from-terraform) if it has one, or delete the resource "
                                + "and let `landlord apply` create it; nothing of tenant '\(c.tenant)' is adopted until then",
                            address: c.address))
                    continue
                }
                // A key attribute the spec leaves to the provider (an ECS service's `name`).
                let unset = key.filter { (c.after?[$0] ?? .null) == .null }
                if !unset.isEmpty {
                    asked.insert(c.address)
                    refuse(
                        c.tenant,
                        .error(
                            "\(c.address) (\(c.type)): its natural key is not known before apply",
                            detail: "the spec does not set \(unset.joined(separator: ", ")), which the provider would choose: set it to "
                                + "the existing resource's in the blueprint, then run adopt again",
                            address: c.address))
                    continue
                }
                var values: [String: Value] = [:]
                for k in key { values[k] = c.after?[k] ?? .null }
                guard values.values.allSatisfy(\.isKnown) else { continue }  // a later round
                asked.insert(c.address)
                let identity = ResourceIdentity(address: c.address, tenant: c.tenant, platform: workspace.fleet.platform.name)
                // One call a type: a provider's failure for a type is that type's lookups' failure.
                var inputs = Self.known(c.after)
                let placements = placedOnPool(c)
                for attr in placements.allocated { inputs[attr] = nil }
                lookups[c.type, default: []].append(
                    (
                        c,
                        KeyLookup(
                            type: c.type, identity: identity, key: values.mapValues(\.revealed), inputs: inputs, placements: placements.members)
                    ))
            }
            if lookups.isEmpty { break }
            report.rounds += 1
            for (_, batch) in lookups.sorted(by: { $0.key < $1.key }) {
                report.lookups += batch.count
                guard let provider = workspace.providers.provider(for: batch[0].change.type) as? any AdoptingProvider else {
                    for (c, _) in batch {
                        refuse(
                            c.tenant,
                            .error(
                                "\(c.address) (\(c.type)) cannot be looked up: its provider cannot adopt resources by natural key",
                                detail: "adopt it from Terraform state (--from-terraform), or let `landlord apply` create it",
                                address: c.address))
                    }
                    continue
                }
                let response = await provider.lookUp(batch.map(\.lookup))
                report.calls += response.calls
                let failures = response.diagnostics.filter { $0.severity == .error }
                for (i, (c, lookup)) in batch.enumerated() {
                    if let f = failures.first, response.matches.indices.contains(i) == false || response.matches[i].isEmpty {
                        refuse(c.tenant, .error("could not look up \(c.address): \(f.summary)", detail: f.detail, address: c.address))
                        continue
                    }
                    resolve(c, lookup, response.matches.indices.contains(i) ? response.matches[i] : [])
                }
            }
        }
        // Creates whose key never became known: what they refer to was not found.
        for c in pendingCreates() where !failed.contains(c.tenant) && !asked.contains(c.address) {
            refuse(
                c.tenant,
                .error(
                    "\(c.address) (\(c.type)): its natural key is not known before apply",
                    detail: "it refers to a resource that is not adopted here (or is allocated at apply); adopt that one first, "
                        + "or let `landlord apply` create this one",
                    address: c.address))
        }
    }

    /// For a resource the spec leaves to the engine to place (`listener: auto`): the pool's
    /// members it may be found on, and the attributes the plan allocated for it (the placement
    /// and a number within it), which say nothing of where the existing resource is.
    func placedOnPool(_ c: ResourceChange) -> (members: [String: [String]], allocated: Set<String>) {
        guard let tr = rules.types[c.type], let placement = tr.placement,
            let bp = workspace.fleet.tenant(c.tenant).flatMap({ workspace.fleet.blueprints[$0.blueprint] }),
            let template = bp.resources.first(where: { $0.name == c.name }),
            case .literal(.string("auto")) = template.properties[placement.attribute]
        else { return ([:], []) }
        var allocated: Set<String> = [placement.attribute]
        if let n = tr.number, n.scopedBy == placement.attribute, case .literal(let v) = template.properties[n.attribute],
            Allocation.autoBand(v) != nil
        {
            allocated.insert(n.attribute)
        }
        let members = workspace.fleet.platform.pools[placement.pool.name]?.map(\.id) ?? []
        return ([placement.attribute: members], allocated)
    }

    /// One lookup's matches: adopted when exactly one is free (or already this address's).
    mutating func resolve(_ c: ResourceChange, _ lookup: KeyLookup, _ matches: [KeyMatch]) {
        let keyText = lookup.key.keys.sorted().map { "\($0) \(DisplayValue.text(lookup.key[$0]!))" }.joined(separator: ", ")
        let what = "tenant '\(c.tenant)' is not adopted until it resolves"
        let others = matches.filter { $0.owner != nil && $0.owner != c.address }
        let free = matches.filter { $0.owner == nil || $0.owner == c.address }
        if free.isEmpty, let taken = others.first {
            refuse(
                c.tenant,
                .error(
                    "\(c.address) (\(c.type)): the one found by \(keyText) (\(taken.resource.id)) is tagged for \(taken.owner!)",
                    detail: "a resource of another tenant or address is never adopted; give this tenant's resource another "
                        + "\(lookup.key.keys.sorted().joined(separator: ", ")) in the spec, or remove \(taken.owner!) first; \(what)",
                    address: c.address))
            return
        }
        guard !free.isEmpty else {
            refuse(
                c.tenant,
                .error(
                    "\(c.address) (\(c.type)): nothing found by \(keyText)",
                    detail: "check the spec's values against the existing resource, or let `landlord apply` create it "
                        + "(adopt the tenant's other resources after that); \(what)",
                    address: c.address))
            return
        }
        guard free.count == 1 else {
            refuse(
                c.tenant,
                .error(
                    "\(c.address) (\(c.type)): \(free.count) resources found by \(keyText): \(free.map(\.resource.id).joined(separator: ", "))",
                    detail: "the key is ambiguous: rename or delete all but the one to adopt, then run adopt again; \(what)",
                    address: c.address))
            return
        }
        let m = free[0]
        let schema = workspace.providers.schemas[c.type]
        take(c, m.resource, foundBy: lookup.key, source: Adoption.cloud, tag: schema?.taggable == true && m.owner != c.address)
    }

    /// Records a found resource in the tenant's copy of state.
    mutating func take(_ c: ResourceChange, _ obj: ResourceObject, foundBy: [String: Value], source: String, tag: Bool) {
        let schema = workspace.providers.schemas[c.type]
        var inputs: [String: Value] = [:]
        for (k, v) in c.after ?? [:] {
            if let now = obj.attributes[k], now != .null {
                inputs[k] = schema?.attributes[k]?.sensitive == true && !now.isSensitive ? .sensitive(now) : now
            } else if v.isKnown {
                inputs[k] = v  // not reported: taken as it is in the spec, as a refresh does
            }
        }
        // What a placement copies from its pool member (a rule's listenerDnsName) is the
        // member's it was found on, not the one a plan would have placed it on.
        if let placement = rules.types[c.type]?.placement, let member = inputs[placement.attribute]?.stringValue,
            let m = workspace.fleet.platform.pools[placement.pool.name]?.first(where: { $0.id == member })
        {
            for (attr, field) in placement.fills where obj.attributes[attr] ?? .null == .null {
                if let v = m.fields[field] { inputs[attr] = .string(v) }
            }
        }
        var outputs: [String: Value] = [:]
        for (k, v) in obj.attributes where inputs[k] == nil {
            outputs[k] = schema?.attributes[k]?.sensitive == true && !v.isSensitive ? .sensitive(v) : v
        }
        let a = Adoption(
            tenant: c.tenant, name: c.name, type: c.type, id: obj.id, foundBy: foundBy, source: source, tag: tag, inputs: inputs,
            outputs: outputs, dependencies: c.dependencies, protect: c.protect)
        found[c.tenant, default: [:]][c.name] = a
        virtual[c.tenant]?.resources[c.name] = a.record
    }
}
