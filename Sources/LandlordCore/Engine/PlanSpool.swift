import Crypto
import Foundation
import ProviderAPI
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One tenant of a spooled plan: what a rollout needs of it before its changes are read.
public struct SpooledTenant: Sendable, Hashable {
    public var tenant: String
    public var blueprint: String
    /// Its resource changes.
    public var changes: Int
    /// The state serial it was planned against (nil: it had no state).
    public var serial: Int?
    /// Where its record is in the spool file.
    var offset: Int
    var length: Int
}

/// A spool that could not be written or read back.
public struct SpoolError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

/// A plan's tenants with changes written to a temporary file, one record per tenant, and read
/// back a segment at a time by ``Rollout``: an apply then holds the changes of the tenants it is
/// working on, not the whole plan (at 20,000 tenants, hundreds of MB).
///
/// The file is made by `mkstemp` (mode 0600; closed on exec, so plugins and other children do
/// not inherit it) and unlinked at once: only this process can read it, and nothing is left
/// behind however the process ends. A record is the tenant's part of a
/// saved plan (`PlanFile`'s JSON, marks beside values) with its sensitive values sealed by a key
/// made for this spool and held only in memory (AES-256-GCM, as in state), so no secret is
/// written in clear.
public final class PlanSpool: Sendable {
    /// The plan without its tenants (`tenants` is empty): version, platform, foreign
    /// priorities, shard, tenants already applied.
    public let header: Plan
    /// The plan's tenants with changes, in plan order.
    public let tenants: [SpooledTenant]
    /// Position in `tenants` by tenant id.
    private let index: [String: Int]
    private let fd: Int32
    private let cipher: StateCipher
    private let reads = Atomic<Int>(0)

    /// Writes `plan`'s tenants with changes to a new spool in `directory`.
    public init(_ plan: consuming Plan, directory: String = NSTemporaryDirectory()) throws(SpoolError) {
        var template = Array((directory.hasSuffix("/") ? directory : directory + "/").utf8CString.dropLast())
        template += Array("landlord-plan-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw SpoolError(
                description:
                    "could not make a temporary file in \(directory): \(String(cString: strerror(errno))); set TMPDIR to a writable directory")
        }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)  // (`mkostemp`, which sets it at once, is not exported)
        self.fd = fd
        let cipher = StateCipher(key: SymmetricKey(size: .bits256))
        self.cipher = cipher
        var entries: [SpooledTenant] = []
        var buffer: [UInt8] = []
        var offset = 0
        func flush() throws(SpoolError) {
            var done = 0
            while done < buffer.count {
                let n = buffer.withUnsafeBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    close(fd)
                    throw SpoolError(
                        description:
                            """
                            could not write the plan to a temporary file: \(String(cString: strerror(errno))); free disk space \
                            in \(directory) or set TMPDIR
                            """
                    )
                }
                done += n
            }
            buffer.removeAll(keepingCapacity: true)
        }
        for t in plan.tenants where t.hasChanges {
            let record = Self.encode(t, cipher)
            entries.append(
                SpooledTenant(
                    tenant: t.tenant, blueprint: t.blueprint, changes: t.changes.count, serial: t.serial, offset: offset, length: record.count))
            offset += record.count
            buffer += record
            if buffer.count >= 1 << 20 { try flush() }
        }
        try flush()
        tenants = entries
        index = Dictionary(entries.enumerated().map { ($1.tenant, $0) }, uniquingKeysWith: { a, _ in a })
        plan.tenants = []
        header = plan
    }

    deinit { close(fd) }

    /// Tenants read back so far (one read twice counts twice).
    public var tenantsRead: Int { reads.load(ordering: .relaxed) }

    /// The plan's tenants with changes not yet applied (`header.appliedTenants`).
    public var pending: [SpooledTenant] { tenants.filter { !header.appliedTenants.contains($0.tenant) } }

    /// Reads back the named tenants' plans, in the order given (each must be one of `tenants`).
    public func read(_ names: [String]) throws(SpoolError) -> [TenantPlan] {
        var out: [TenantPlan] = []
        out.reserveCapacity(names.count)
        for name in names {
            guard let i = index[name] else { throw SpoolError(description: "tenant '\(name)' is not in the spooled plan") }
            out.append(try read(tenants[i]))
        }
        return out
    }

    func read(_ entry: SpooledTenant) throws(SpoolError) -> TenantPlan {
        var bytes = [UInt8](repeating: 0, count: entry.length)
        var done = 0
        while done < entry.length {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, entry.length - done, off_t(entry.offset + done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                throw SpoolError(
                    description:
                        """
                        could not read tenant '\(entry.tenant)' back from the plan's temporary file: \
                        \(n == 0 ? "it is shorter than written" : String(cString: strerror(errno))); run apply again
                        """
                )
            }
            done += n
        }
        reads.add(1, ordering: .relaxed)
        do { return try Self.decode(bytes, cipher) } catch {
            throw SpoolError(description: "could not read tenant '\(entry.tenant)' back from the plan's temporary file: \(error); run apply again")
        }
    }

    /// One tenant's record: its saved-plan JSON with secrets sealed, not hashed.
    static func encode(_ t: TenantPlan, _ cipher: StateCipher) -> [UInt8] {
        guard case .map(let doc) = PlanFile.tenantJSON(t, secrets: { $0 }) else { return [] }
        return JSON.serialize(MarkedDocument.written(doc, version: PlanFile.formatVersion, cipher: cipher), sortedKeys: false)
    }

    static func decode(_ bytes: [UInt8], _ cipher: StateCipher) throws -> TenantPlan {
        guard case .map(var doc) = try JSON.parse(bytes) else { throw SpoolError(description: "a record is not a JSON object") }
        doc["format_version"] = nil
        let marked = try MarkedDocument.read(.map(doc), version: PlanFile.formatVersion, bytes: bytes, cipher: cipher, what: "the spooled plan")
        return try PlanFile.tenant(try DocumentFields(marked))
    }
}
