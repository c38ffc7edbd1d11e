import ProviderAPI

/// Reads recorded resources back from their providers, so a plan can report drift (changed or
/// deleted outside Landlord). Resources are sent to each provider in batches.
public enum Refresher {
    public static let batchSize = 500

    /// The current view of every recorded resource of `tenants` (nil: all), by address; a nil
    /// entry means the resource no longer exists.
    public static func refresh(_ states: [String: TenantState], tenants: Set<String>?, providers: ProviderRegistry) async -> (
        [String: ResourceObject?], Diagnostics
    ) {
        var diags = Diagnostics()
        var byProvider: [String: [(String, ResourceObject)]] = [:]
        for (id, st) in states where tenants?.contains(id) ?? true {
            for (name, r) in st.resources {
                guard let p = providers.provider(for: r.type) else { continue }
                byProvider[p.name, default: []].append((id + "/" + name, r.object))
            }
        }
        var out: [String: ResourceObject?] = [:]
        for (_, items) in byProvider.sorted(by: { $0.key < $1.key }) {
            guard let provider = providers.provider(for: items[0].1.type) else { continue }
            var start = 0
            while start < items.count {
                let batch = Array(items[start..<min(items.count, start + batchSize)])
                start += batchSize
                let resp = await provider.read(ReadRequest(resources: batch.map(\.1)))
                if resp.diagnostics.hasErrors {
                    for d in resp.diagnostics where d.severity == .error {
                        diags.append(
                            .error(
                                "refresh failed: \(d.summary)",
                                detail: d.detail.isEmpty ? "plan with --refresh=false to skip reading the providers" : d.detail))
                    }
                    continue
                }
                for (i, (address, _)) in batch.enumerated() where i < resp.resources.count {
                    out[address] = .some(resp.resources[i])
                }
            }
        }
        return (out, diags)
    }
}
