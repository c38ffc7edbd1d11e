import Foundation

/// Customer ids by `landlord:platform` and `landlord:address`, from one listing of every
/// customer, shared by the adoption lookups of a run: `apply --adopt` of N tenants then lists
/// the account once, not N times (200 tenants adopted in an account of 405 customers, against
/// localstripe: 1,000 list calls and 50.8 s when each lookup listed, 5 and 1.4 s now).
///
/// Entries can be stale: a customer deleted since the listing is still named (callers read
/// every candidate back, and `forget` drops what this process deletes), and one created by
/// another process since is missing. Under tenant locks no other run creates a customer for
/// the same tenant meanwhile, and a crashed run's customers exist before this run looks;
/// a listing older than `maxAge` is made again all the same.
actor CustomerIndex {
    private var ids: [String: [String]] = [:]
    private var builtAt: Date?
    private var building: Task<[String: [String]], Error>?
    let maxAge: TimeInterval

    init(maxAge: TimeInterval = 60) { self.maxAge = maxAge }

    /// The key of an address on a platform.
    static func key(platform: String, address: String) -> String { platform + "\u{0}" + address }

    /// The ids listed under `key`, listing every customer with `list` first when there is no
    /// fresh listing. Concurrent lookups share one listing.
    func lookup(_ key: String, list: @escaping @Sendable () async throws -> [String: [String]]) async throws -> [String] {
        if let builtAt, Date().timeIntervalSince(builtAt) < maxAge { return ids[key] ?? [] }
        let task: Task<[String: [String]], Error>
        if let building {
            task = building
        } else {
            task = Task { try await list() }
            building = task
        }
        do {
            let listed = try await task.value
            if building == task {
                ids = listed
                builtAt = Date()
                building = nil
            }
            return listed[key] ?? []
        } catch {
            if building == task { building = nil }
            throw error
        }
    }

    /// Drops a deleted customer.
    func forget(_ id: String) {
        for (k, v) in ids where v.contains(id) { ids[k] = v.filter { $0 != id } }
    }
}
