import Crypto
import Foundation

/// One of N parts of a fleet (`--shard K/N`), so N jobs (a CI matrix, a Kubernetes Indexed Job)
/// plan and apply one fleet together through shared state: each job takes the tenants of its
/// part, and the state backend's tenant locks and compare-and-swap platform allocations keep
/// the jobs from stepping on each other where they meet (listeners, priorities, sequences).
///
/// A tenant belongs to part `K` of `N` when
///
///     K = (UInt64(big-endian first 8 bytes of SHA-256(UTF-8 of the tenant id)) mod N) + 1
///
/// The hash is SHA-256, not Swift's `Hasher` (seeded per process, so two jobs would disagree),
/// so every job, every version and every machine splits a fleet the same way, and anyone can
/// work a tenant's part out by hand (`printf %s acme | sha256sum`, the first 16 hex digits, mod
/// N, plus 1). Parts depend only on the id and N: adding a tenant never moves another one.
public struct Shard: Sendable, Hashable, CustomStringConvertible {
    /// The part, 1-based (`K` of `K/N`).
    public let index: Int
    /// How many parts the fleet is split into (`N`).
    public let count: Int

    /// Part `index` (1-based) of `count`; nil unless `1 <= index <= count`.
    public init?(index: Int, count: Int) {
        guard count >= 1, index >= 1, index <= count else { return nil }
        self.index = index
        self.count = count
    }

    /// Reads `K/N` (`2/4`: the second of four parts). Throws with a message saying what is
    /// accepted.
    public static func parse(_ text: String) throws(InvalidShard) -> Shard {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]) else {
            throw InvalidShard(text: text, reason: "it is not of the form K/N")
        }
        guard n >= 1 else { throw InvalidShard(text: text, reason: "N must be at least 1") }
        guard let shard = Shard(index: k, count: n) else {
            throw InvalidShard(text: text, reason: "K must be between 1 and \(n) (parts are numbered from 1)")
        }
        return shard
    }

    /// `2/4`.
    public var description: String { "\(index)/\(count)" }

    /// True when `tenant` belongs to this part.
    public func contains(_ tenant: String) -> Bool { Shard.part(of: tenant, count: count) == index }

    /// The part (1-based) of `count` that `tenant` belongs to.
    public static func part(of tenant: String, count: Int) -> Int {
        Int(hash(tenant) % UInt64(max(1, count))) + 1
    }

    /// The first 8 bytes of SHA-256 of the id's UTF-8, read big-endian: the same in every
    /// process and on every machine.
    public static func hash(_ tenant: String) -> UInt64 {
        SHA256.hash(data: Data(tenant.utf8)).prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }
}

/// A `--shard` value that is not `K/N` with `1 <= K <= N`.
public struct InvalidShard: Error, Sendable, CustomStringConvertible {
    /// What was given.
    public var text: String
    /// What is wrong with it.
    public var reason: String

    public var description: String {
        "--shard takes K/N, part K (from 1) of N parts, such as 2/4; '\(text)' is not accepted: \(reason)"
    }
}

/// What part of the fleet a sharded plan covers: shown with the plan and kept in a saved plan,
/// so `apply FILE` applies that part only.
public struct ShardCoverage: Sendable, Hashable {
    /// The part planned.
    public var shard: Shard
    /// Tenants of the part: tenant files and tenants with state whose id falls in it.
    public var tenants: Int
    /// Tenants of the whole fleet counted the same way.
    public var fleetTenants: Int

    public init(shard: Shard, tenants: Int, fleetTenants: Int) {
        self.shard = shard
        self.tenants = tenants
        self.fleetTenants = fleetTenants
    }

    /// `Shard 2/4: 51 of the fleet's 200 tenants (split by SHA-256 of the tenant id).`
    public var summary: String {
        "Shard \(shard): \(tenants) of the fleet's \(fleetTenants) tenant\(fleetTenants == 1 ? "" : "s") (split by SHA-256 of the tenant id)."
    }
}

extension Shard {
    /// Why a saved plan cannot be applied as part `requested` (nil: it can). A plan of one part
    /// is applied only as that part; a plan of the whole fleet only without `--shard`; and
    /// every tenant a sharded plan holds must belong to its part.
    public static func mismatch(_ plan: Plan, requested: Shard?) -> String? {
        switch (plan.shard?.shard, requested) {
        case (nil, nil): return nil
        case (nil, let r?):
            return
                """
                the saved plan covers the whole fleet, not shard \(r); plan with `--shard \(r) --out FILE` and \
                apply that file, or apply this one without --shard
                """
        case (let p?, let r?) where p != r:
            return
                """
                the saved plan is for shard \(p), not \(r); apply it with --shard \(p) (or without --shard), or \
                plan shard \(r) with `--shard \(r) --out FILE`
                """
        case (let p?, _):
            if let stray = plan.tenants.first(where: { !p.contains($0.tenant) }) {
                return
                    """
                    the saved plan is for shard \(p) but holds tenant '\(stray.tenant)', which belongs to shard \
                    \(Shard.part(of: stray.tenant, count: p.count))/\(p.count); plan again
                    """
            }
            return nil
        }
    }
}
