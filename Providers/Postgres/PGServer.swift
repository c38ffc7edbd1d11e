import Dispatch
import Foundation

/// One PostgreSQL server, reached through one connection used one call at a time.
///
/// Catalog changes on one server must not run side by side: two GRANTs on the same schema at
/// once fail with "tuple concurrently updated" (the PostgreSQL Terraform provider's best-known
/// failure, cyrilgdn/terraform-provider-postgresql #178 and #223). Every call here runs on one
/// serial queue over one connection, so this process never sends two at once; and every change
/// is a transaction that first takes a transaction-scoped advisory lock, so two Landlord
/// processes on one server take turns too. libpq blocks, so the queue is a Dispatch queue of
/// its own: a waiting call holds no thread of Swift's cooperative pool.
// @unchecked: `connection` is read and written only on `queue`.
final class PGServer: @unchecked Sendable {
    let url: String
    let password: String?
    /// Where the password comes from, for messages (`$PGPASSWORD`).
    let passwordSource: String
    private let queue = DispatchQueue(label: "landlord.postgres")
    private var connection: PGConnection?

    /// The advisory lock key every Landlord change takes ("Landlord" in ASCII).
    static let lockKey = "5503801597218484836"

    init(url: String, password: String?, passwordSource: String) {
        self.url = url
        self.password = password
        self.passwordSource = passwordSource
    }

    /// Runs `body` with the connection, on the server's queue.
    func run<T: Sendable>(_ body: @escaping @Sendable (PGConnection) throws -> T) async -> Result<T, PGError> {
        await withCheckedContinuation { (cont: CheckedContinuation<Result<T, PGError>, Never>) in
            queue.async { cont.resume(returning: self.onQueue(body)) }
        }
    }

    /// Runs `body` in a transaction holding Landlord's advisory lock; rolled back if it throws.
    func change<T: Sendable>(_ body: @escaping @Sendable (PGConnection) throws -> T) async -> Result<T, PGError> {
        await run { c in
            try c.query("BEGIN")
            do {
                try c.query("SELECT pg_advisory_xact_lock($1::bigint)", [Self.lockKey])
                let out = try body(c)
                try c.query("COMMIT")
                return out
            } catch {
                _ = try? c.query("ROLLBACK")
                throw error
            }
        }
    }

    /// A connection of its own to another database of the server (for work that is per database,
    /// such as `REASSIGN OWNED`). Called on the queue only.
    func other(database: String) throws(PGError) -> PGConnection {
        try PGConnection(url: url, database: database, password: password)
    }

    private func onQueue<T>(_ body: (PGConnection) throws -> T) -> Result<T, PGError> {
        do {
            if connection?.isHealthy != true {
                do { connection = try PGConnection(url: url, password: password) } catch {
                    var e = error
                    e.detail = "the password comes from \(passwordSource)" + (password == nil ? ", which is not set" : "")
                    throw e
                }
            }
            return .success(try body(connection!))
        } catch {
            if connection?.isHealthy != true { connection = nil }
            return .failure(error as? PGError ?? PGError(message: "\(error)"))
        }
    }
}
