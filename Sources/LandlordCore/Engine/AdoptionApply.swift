import Foundation
import ProviderAPI

/// Applying an adoption plan (`landlord adopt --out FILE`, then `landlord apply FILE`): under the
/// tenant's lock and after its state was checked against the plan, each adopted resource is read
/// again by id (one that is gone refuses the tenant before anything is written), tagged when its
/// type takes tags, and recorded in state through the journal; the tenant's changes then run as
/// any plan's do. Tagging comes before recording: a run killed in between leaves a resource
/// tagged with its own address, which the next `adopt` (or a create) adopts again.
extension ApplyRun {
    mutating func recordAdoptions() async {
        let work = tenants.filter { !$0.adoptions.isEmpty }
        guard !work.isEmpty else { return }
        let (providers, platform, limit) = (self.providers, options.platform, options.parallelism)
        var pending: [(TenantPlan, TenantSession)] = []
        for tp in work { if let s = sessions[tp.tenant] { pending.append((tp, s)) } }
        let jobs = pending
        let failures = await withTaskGroup(of: Keyed<String, String?>.self) { group -> [String: String] in
            var out: [String: String] = [:]
            var next = 0
            func start(_ g: inout TaskGroup<Keyed<String, String?>>) {
                guard next < jobs.count else { return }
                let (tp, session) = jobs[next]
                next += 1
                g.addTask { Keyed(tp.tenant, await Self.adopt(tp, session, providers, platform: platform)) }
            }
            for _ in 0..<min(limit, jobs.count) { start(&group) }
            for await done in group {
                if let failure = done.value { out[done.key] = failure }
                start(&group)
            }
            return out
        }
        for tp in work {
            guard let failure = failures[tp.tenant] else { continue }
            refused.append(Applier.refuse(tp, failure, observer))
            sessions[tp.tenant] = nil
        }
        tenants.removeAll { sessions[$0.tenant] == nil }
    }

    /// One tenant's adoptions; the reason it failed, or nil.
    static func adopt(_ tp: TenantPlan, _ session: TenantSession, _ providers: ProviderRegistry, platform: String) async -> String? {
        var current: [String: ResourceObject] = [:]
        // Everything read first: a resource gone since planning refuses the tenant untouched.
        for a in tp.adoptions {
            guard let provider = providers.provider(for: a.type) else { return "no provider serves \(a.type); nothing was adopted. Plan again." }
            let read = await provider.read(ReadRequest(resources: [ResourceObject(type: a.type, id: a.id, attributes: a.inputs)]))
            if let e = read.diagnostics.first(where: { $0.severity == .error }) {
                return "could not read \(a.type) \(a.id) to adopt it as \(a.address): \(e.summary); nothing was adopted. Run apply again."
            }
            guard let now = read.resources.first ?? nil else {
                return "\(a.type) \(a.id) (\(a.address)) no longer exists; nothing of tenant '\(tp.tenant)' was adopted. Run adopt again."
            }
            current[a.address] = now
        }
        for a in tp.adoptions {
            let now = current[a.address]!
            if a.tag {
                guard let provider = providers.provider(for: a.type) as? any AdoptingProvider else {
                    return "the provider of \(a.type) cannot tag \(a.address); adopt it again with a provider that can."
                }
                let identity = ResourceIdentity(address: a.address, tenant: a.tenant, platform: platform)
                let d = await provider.tag(now, identity: identity)
                if let e = d.first(where: { $0.severity == .error }) {
                    return "could not tag \(a.type) \(a.id) for \(a.address): \(e.summary). \(e.detail)"
                }
            }
            var record = a.record
            // What the resource holds now, for the attributes the plan recorded (secrets sealed).
            let sensitive = Set(providers.schemas[a.type]?.attributes.filter(\.value.sensitive).map(\.key) ?? [])
            func sealed(_ k: String, _ v: Value) -> Value { sensitive.contains(k) && !v.isSensitive ? .sensitive(v) : v }
            for k in record.inputs.keys { if let v = now.attributes[k], v != .null { record.inputs[k] = sealed(k, v) } }
            for (k, v) in now.attributes where record.inputs[k] == nil { record.outputs[k] = sealed(k, v) }
            do { try await session.record(a.name, record) } catch {
                return "could not record \(a.address) in state: \(error.text); it is tagged, and the next adopt finds it again."
            }
        }
        return nil
    }
}
