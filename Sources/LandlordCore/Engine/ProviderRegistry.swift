import ProviderAPI

/// The providers a run uses, by type prefix (`aws` serves `aws.*`). The CLI fills it; the
/// engine only looks providers up here, so it never imports one.
public struct ProviderRegistry: Sendable {
    private var providers: [String: any Provider] = [:]
    /// Where `deletion: snapshot` stores exports (platform.yaml's `exports:`); nil: nowhere, so
    /// a snapshot delete fails and deletes nothing.
    public var exports: (any ExportStore)?

    public init(_ providers: [any Provider] = []) {
        for p in providers { register(p) }
    }

    /// Adds (or replaces) the provider for its prefix.
    public mutating func register(_ p: any Provider) { providers[p.name] = p }

    /// Adds (or replaces) `p` as the provider of every type under `prefix` as well: the mock
    /// provider serves `aws.*`, `stripe.*` and `postgres.*` from one simulated cloud.
    public mutating func register(_ p: any Provider, prefix: String) { providers[prefix] = p }

    /// The prefixes of the types a schema declares (`aws.lb_rule` -> `aws`).
    public static func prefixes(of schema: ProviderSchema) -> Set<String> {
        Set(schema.resources.keys.compactMap { t in t.firstIndex(of: ".").map { String(t[..<$0]) } })
    }

    /// The provider serving a resource type, e.g. `aws.lb_target_group` -> `aws`.
    public func provider(for type: String) -> (any Provider)? {
        guard let dot = type.firstIndex(of: ".") else { return nil }
        return providers[String(type[..<dot])]
    }

    /// Lets every provider that reads by listing prepare its reads (`prepareToRead`), each
    /// once, side by side.
    public func prepareToRead() async {
        var seen = Set<String>()
        let listers = providers.values.compactMap { $0 as? any ListReadingProvider }.filter { seen.insert($0.name).inserted }
        await withTaskGroup(of: Void.self) { group in
            for p in listers { group.addTask { await p.prepareToRead() } }
        }
    }

    /// The registry with each provider replaced by `wrap(provider)` (a paced reader, say).
    public func mapped(_ wrap: (any Provider) -> any Provider) -> ProviderRegistry {
        var out = self
        out.providers = providers.mapValues(wrap)
        return out
    }

    /// Every resource type any registered provider serves.
    public var schemas: [String: ResourceSchema] {
        var out: [String: ResourceSchema] = [:]
        for (_, p) in providers { out.merge(p.schema.resources) { a, _ in a } }
        return out
    }
}
