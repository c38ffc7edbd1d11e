import Foundation
import ProviderAPI

/// `landlord adopt --from-terraform`: each resource of a tenant is the resource of its
/// Terraform type in the tenant's module instance (the one, or the one of its name, or the one
/// whose natural key the spec's values match), read from its provider by the id Terraform
/// recorded, so the plan holds what the cloud holds now, not what the state remembered.
extension AdoptionSearch {
    mutating func fromTerraform(_ source: TerraformStateSource, _ report: inout AdoptionReport) async {
        let state = source.byTenant()
        var used = Set<String>()
        while true {
            var wanted: [Found] = []
            for c in pendingCreates() where !failed.contains(c.tenant) && !asked.contains(c.address) {
                asked.insert(c.address)
                guard let f = match(c, source, state[c.tenant] ?? [:], used) else { continue }
                used.insert(f.terraform.address)
                wanted.append(f)
            }
            if wanted.isEmpty { break }
            report.rounds += 1
            report.lookups += wanted.count
            var byProvider: [String: [Found]] = [:]
            for f in wanted { byProvider[String(f.change.type.prefix { $0 != "." }), default: []].append(f) }
            for (_, batch) in byProvider.sorted(by: { $0.key < $1.key }) {
                await read(batch, &report)
            }
        }
    }

    /// A resource matched in the state, with its Landlord id and attributes.
    struct Found {
        var change: ResourceChange
        var terraform: TerraformResource
        var id: String
        var attributes: [String: Value]
    }

    /// The state's resource for a planned create, or nil (the tenant refused with why).
    mutating func match(
        _ c: ResourceChange, _ source: TerraformStateSource, _ module: [String: [TerraformResource]], _ used: Set<String>
    ) -> Found? {
        let what = "nothing of tenant '\(c.tenant)' is adopted until it resolves"
        let moduleAddress = source.pattern.replacingOccurrences(of: "{id}", with: c.tenant)
        guard let shape = source.shapes[c.type] else {
            refuse(
                c.tenant,
                .error(
                    "\(c.address) (\(c.type)) has no Terraform type to find it by",
                    detail: "adopt it by natural key (adopt without --from-terraform), or let `landlord apply` create it; \(what)",
                    address: c.address))
            return nil
        }
        let all = (module[shape.type] ?? []).filter { !used.contains($0.address) }
        var candidates = all
        if candidates.count > 1 { candidates = all.filter { $0.name == c.name } }
        if candidates.count != 1, let key = workspace.providers.schemas[c.type]?.naturalKey, !key.isEmpty {
            let wantedKey = key.map { c.after?[$0]?.revealed ?? .null }
            let byKey = all.filter { tf in
                let values = shape.landlordValues(tf.attributes)
                return key.map { values[$0] ?? .null } == wantedKey
            }
            if !byKey.isEmpty { candidates = byKey }
        }
        guard candidates.count == 1, let tf = candidates.first else {
            let problem =
                candidates.isEmpty
                ? "no \(shape.type) in \(moduleAddress) of the Terraform state"
                : "\(candidates.count) \(shape.type) resources in \(moduleAddress) match: \(candidates.map(\.address).joined(separator: ", "))"
            refuse(
                c.tenant,
                .error(
                    "\(c.address) (\(c.type)): \(problem)",
                    detail: "name the Terraform resource as the blueprint names it (\(c.name)), or check --terraform-address; \(what)",
                    address: c.address))
            return nil
        }
        guard let id = shape.landlordID(of: tf.attributes) else {
            refuse(
                c.tenant,
                .error(
                    "\(c.address) (\(c.type)): \(tf.address) in the Terraform state has no id",
                    detail: "refresh the state (`terraform apply -refresh-only`) and export it again; \(what)", address: c.address))
            return nil
        }
        return Found(change: c, terraform: tf, id: id, attributes: shape.landlordValues(tf.attributes))
    }

    /// Reads one provider's matched resources by id (one call for all) and takes those found.
    mutating func read(_ batch: [Found], _ report: inout AdoptionReport) async {
        guard let provider = workspace.providers.provider(for: batch[0].change.type) else { return }
        let counting = provider as? any CallCountingProvider
        let before = counting?.apiCallCounts().values.reduce(0, +) ?? 0
        let response = await provider.read(
            ReadRequest(resources: batch.map { ResourceObject(type: $0.change.type, id: $0.id, attributes: $0.attributes) }))
        report.calls += (counting?.apiCallCounts().values.reduce(0, +) ?? 0) - before
        let failure = response.diagnostics.first { $0.severity == .error }
        for (i, f) in batch.enumerated() {
            let c = f.change
            guard response.resources.indices.contains(i), let obj = response.resources[i] else {
                let why = failure.map { "could not be read: \($0.summary)" } ?? "no longer exists"
                refuse(
                    c.tenant,
                    .error(
                        "\(c.address) (\(c.type)): \(f.terraform.address) (\(f.id)) \(why)",
                        detail: "the Terraform state is older than the cloud: refresh it, or let `landlord apply` create this one",
                        address: c.address))
                continue
            }
            let taggable = workspace.providers.schemas[c.type]?.taggable == true
            take(c, obj, foundBy: [:], source: f.terraform.address, tag: taggable)
        }
    }
}
