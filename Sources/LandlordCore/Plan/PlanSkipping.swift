import Foundation
import ProviderAPI

/// One plan's use of the plan cache (`PlanCache`): the keys of what decides each tenant's plan,
/// which tenants need not be planned again, and what the plan leaves for the next one.
///
/// A tenant's key is the SHA-256 of the fleet key (tool version, the caller's context, the
/// platform file's digest, the values of the environment variables platform.yaml declares,
/// and every resource type's schema), its blueprint's digest, its tenant file's digest, and its
/// allocation and sequence numbers in the platform document. Its state document is compared by
/// stamp (`StateStamp`). A tenant is skipped only when both are what they were when it last
/// planned no changes with no diagnostics.
struct PlanSkipping: Sendable {
    let settings: PlanCacheSettings
    let fleetKey: String
    /// The cache as read (entries of another fleet key dropped).
    let previous: PlanCache
    /// When the stamps were taken (nanoseconds since 1970), before any document was read.
    let startedAt: Int64
    /// Each tenant document's stamp, taken at `startedAt`.
    let stamps: [String: StateStamp]

    /// Reads the cache and takes the stamps of `ids`' documents. Nil when the store has no
    /// stamps (nothing can be skipped, nothing is recorded).
    static func start(_ settings: PlanCacheSettings, fleet: Fleet, schemas: [String: ResourceSchema], store: any StateStore, ids: [String])
        async throws -> PlanSkipping?
    {
        let key = fleetKey(settings, fleet: fleet, schemas: schemas)
        let now = nowNanoseconds()
        guard let stamps = try await store.stamps(ids) else { return nil }
        return PlanSkipping(settings: settings, fleetKey: key, previous: PlanCache.load(settings.path, fleetKey: key), startedAt: now, stamps: stamps)
    }

    /// The tenants of `candidates` whose cached plan still holds: same key, same stamp, stamp
    /// trusted (the racy rule).
    func skippable(_ candidates: [TenantSpec], fleet: Fleet, platform: PlatformState) -> Set<String> {
        let hits = ParallelMap.map(candidates) { t -> Bool in
            guard let e = sameDocument(t.id) else { return false }
            return e.key == Self.tenantKey(fleetKey, t, fleet: fleet, platform: platform)
        }
        var out = Set<String>(minimumCapacity: candidates.count)
        for (t, hit) in zip(candidates, hits) where hit { out.insert(t.id) }
        return out
    }

    /// The tenants of `candidates` whose state document is the one their cached plan read
    /// (same stamp, trusted): those `skippable` can skip, known before the platform document
    /// is read. The others are planned whatever the platform holds.
    func sameDocuments(_ candidates: [TenantSpec]) -> Set<String> {
        Set(candidates.lazy.map(\.id).filter { sameDocument($0) != nil })
    }

    /// The tenant's cache entry when its state document is the one that entry's plan read.
    private func sameDocument(_ id: String) -> PlanCache.Entry? {
        guard let e = previous.entries[id], let stamp = stamps[id], e.stamp == stamp, e.trusted(window: settings.racyWindow) else { return nil }
        return e
    }

    /// The cache after a plan: entries for the tenants it found clean, none for those it
    /// planned otherwise or that are gone from the fleet, the rest kept.
    func updated(clean: Set<String>, planned: Set<String>, fleet: Fleet, platform: PlatformState) -> PlanCache {
        var next = previous
        for id in planned.subtracting(clean) { next.entries[id] = nil }
        for id in next.entries.keys where fleet.tenant(id) == nil { next.entries[id] = nil }
        for id in clean {
            guard let t = fleet.tenant(id), let stamp = stamps[id] else {
                next.entries[id] = nil
                continue
            }
            next.entries[id] = PlanCache.Entry(
                key: Self.tenantKey(fleetKey, t, fleet: fleet, platform: platform), stamp: stamp, recordedAt: startedAt)
        }
        return next
    }

    /// Writes the cache when it changed. A cache that cannot be written only costs time.
    func save(_ next: PlanCache) {
        guard next != previous || !FileManager.default.fileExists(atPath: settings.path) else { return }
        try? next.save(settings.path)
    }

    // MARK: Keys

    /// What decides every tenant's plan alike.
    static func fleetKey(_ settings: PlanCacheSettings, fleet: Fleet, schemas: [String: ResourceSchema]) -> String {
        var s = "landlord-plan-cache \(PlanCache.formatVersion)\ntool \(LandlordVersion.current)\ncontext \(settings.context)\n"
        s += "platform \(fleet.platform.digest)\n"
        for name in fleet.platform.env.keys.sorted() {
            s += "env \(name) \(settings.environment[name].map { Digest.sha256Hex($0) } ?? "-")\n"
        }
        s += "schemas \(Digest.sha256Hex(StableText.describe(schemas)))\n"
        return Digest.sha256Hex(s)
    }

    /// What decides one tenant's plan besides the fleet key and its state document.
    static func tenantKey(_ fleetKey: String, _ t: TenantSpec, fleet: Fleet, platform: PlatformState) -> String {
        var s = fleetKey + "\n" + t.id + "\n" + (fleet.blueprints[t.blueprint]?.digest ?? "-") + "\n" + t.digest + "\n"
        if let a = platform.allocations[t.id] {
            s += "member " + a.member + "\n"
            for (k, v) in a.numbers.sorted(by: { $0.key < $1.key }) { s += "number \(k) \(v)\n" }
            for (k, v) in a.usage.sorted(by: { $0.key < $1.key }) { s += "usage \(k) \(v)\n" }
            for (k, v) in a.bands.sorted(by: { $0.key < $1.key }) { s += "band \(k) \(v.lowerBound) \(v.upperBound)\n" }
        }
        for (k, v) in (platform.numbers[t.id] ?? [:]).sorted(by: { $0.key < $1.key }) { s += "sequence \(k) \(v)\n" }
        return Digest.sha256Hex(s)
    }

    static func nowNanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}

/// A description of a value that is the same in every process: dictionaries and sets in sorted
/// order (`String(describing:)` prints them in each process's own hash order).
enum StableText {
    static func describe(_ value: Any) -> String {
        var out = ""
        write(value, to: &out)
        return out
    }

    private static func write(_ value: Any, to out: inout String) {
        let m = Mirror(reflecting: value)
        switch m.displayStyle {
        case .dictionary, .set:
            let parts = m.children.map { describe($0.value) }.sorted()
            out += "{" + parts.joined(separator: ",") + "}"
        case .optional:
            if let c = m.children.first { write(c.value, to: &out) } else { out += "nil" }
        case .struct, .class, .tuple, .collection, .enum:
            if m.displayStyle == .enum { out += String(describing: type(of: value)) + "." }
            if m.children.isEmpty {
                out += String(describing: value)
                return
            }
            if m.displayStyle == .enum, let label = m.children.first?.label { out += label }
            out += "("
            for c in m.children {
                if m.displayStyle != .enum, let l = c.label { out += l + ":" }
                write(c.value, to: &out)
                out += ","
            }
            out += ")"
        default:
            out += String(describing: value)
        }
    }
}
