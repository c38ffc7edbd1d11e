import AWSClient
import Foundation
import LandlordCore
import LandlordLocalState

/// What `landlord state migrate --to s3` did.
public struct S3MigrationReport: Sendable {
    /// Tenant documents created in the bucket.
    public var created: [String] = []
    /// Tenant documents that were already in the bucket, identical.
    public var unchanged: [String] = []
    /// Tenant documents that differed in the bucket and were replaced (with `force`).
    public var overwritten: [String] = []
    /// What happened to the platform document: created, unchanged, overwritten, or none (no
    /// local platform document).
    public var platform: String = "none"
    /// Documents read back from the bucket and found equal to the local ones.
    public var verified = 0
}

/// Moves local state into an S3 store: every tenant document and the platform document are
/// created with `If-None-Match: *` (or replaced with `If-Match` under `force`), then read back
/// and compared byte for byte. The local state is left as it was.
public enum S3StateMigration {
    /// Migrates `local` into `target`. Refuses, writing nothing, while a local lock is live,
    /// when a local document is damaged, or (without `force`) when the bucket already holds a
    /// different document for a tenant or the platform.
    public static func migrate(from local: LocalStateStore, to target: S3StateStore, force: Bool) async throws -> S3MigrationReport {
        let ids = try await local.listTenants()
        let platformPath = local.location + "/platform.json"
        let hasPlatform = FileManager.default.fileExists(atPath: platformPath)
        guard !ids.isEmpty || hasPlatform else {
            throw StateError.io(
                "no local state in \(local.location): nothing to migrate. Run this in the fleet directory that holds .landlord/state (or pass -C DIR)"
            )
        }
        for id in ids {
            if let info = try await local.lockInfo(tenant: id), info.expiresAt > Date() {
                throw StateError.io(
                    """
                    tenant '\(id)' is locked by \(info.holder.summary): nothing was migrated. Wait for that run to \
                    finish (or `landlord unlock --tenant \(id)` if it is dead) and migrate again
                    """
                )
            }
        }

        // Everything local, encoded as the bucket will hold it.
        var documents: [(key: String, name: String, body: Data)] = []
        let states = try await local.loadTenants(ids)
        for id in ids { if let s = states[id] { documents.append((target.tenantKey(id), id, Data(s.encoded(cipher: target.cipher)))) } }
        if hasPlatform { documents.append((target.platformKey, "", Data(try await local.loadPlatform().encoded()))) }

        // What the bucket holds already; refuse before writing anything.
        var existing: [String: S3Object] = [:]
        for d in documents { if let o = try await target.get(d.key) { existing[d.key] = o } }
        let differing = documents.filter { d in existing[d.key].map { $0.body != d.body } ?? false }
        if !differing.isEmpty && !force {
            let names = differing.map { $0.name.isEmpty ? "the platform" : "tenant '\($0.name)'" }.joined(separator: ", ")
            throw StateError.io(
                "\(target.location) already holds different state for \(names): nothing was written. "
                    + "Compare them (`aws s3 cp \(target.uri(differing[0].key)) -`), "
                    + "and if the local state is the one to keep, run again with --force "
                    + "(a versioned bucket keeps the replaced versions)")
        }

        var report = S3MigrationReport()
        for d in documents {
            let before = existing[d.key]
            let outcome: String
            if let before, before.body == d.body {
                outcome = "unchanged"
            } else {
                let condition: S3WriteCondition = before?.etag.map { .ifMatch($0) } ?? .ifNoneMatch
                guard case .written = try await target.put(d.key, d.body, condition) else {
                    throw StateError.conflict(
                        """
                        another run wrote \(target.uri(d.key)) while migrating; it was not overwritten. Make sure nothing \
                        else uses the bucket and migrate again
                        """
                    )
                }
                outcome = before == nil ? "created" : "overwritten"
            }
            if d.name.isEmpty {
                report.platform = outcome
            } else if outcome == "created" {
                report.created.append(d.name)
            } else if outcome == "unchanged" {
                report.unchanged.append(d.name)
            } else {
                report.overwritten.append(d.name)
            }
        }

        // Read back and compare.
        for d in documents {
            guard let back = try await target.get(d.key), back.body == d.body else {
                throw StateError.io(
                    "\(target.uri(d.key)) does not read back as written: the migration is not verified. "
                        + """
                        The local state is intact and still in use; check the bucket (replication, lifecycle rules, another \
                        writer) and migrate again with --force
                        """
                )
            }
            report.verified += 1
            if !d.name.isEmpty { target.wrote(d.name, back.etag, back.body) }
        }
        // Readers of the bucket get the whole fleet in one GET (see S3Snapshot).
        await target.publish()
        return report
    }
}
