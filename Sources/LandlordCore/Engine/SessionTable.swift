import ProviderAPI
import Synchronization

/// The sessions of an apply's tenants, and what is kept of a tenant once its session is let go.
///
/// A session holds the tenant's whole state (every resource's inputs and attributes). With a
/// journal, a tenant whose last step landed has its document written at once; from then on
/// nothing of the run changes its state again, so the session is released and only its
/// ``ReleasedTenant`` (what the end of the run still needs: the serial written and the allocation
/// it holds) stays. Memory then follows the tenants in flight, not the fleet.
final class SessionTable: Sendable {
    private let table: Mutex<Table>

    private struct Table {
        var sessions: [String: TenantSession]
        var released: [String: ReleasedTenant] = [:]
    }

    init(_ sessions: [String: TenantSession]) { table = Mutex(Table(sessions: sessions)) }

    /// The tenant's session; nil once released (or when it never had one).
    subscript(tenant: String) -> TenantSession? { table.withLock { $0.sessions[tenant] } }

    /// Drops the tenant's session, keeping `hold` in its place.
    func release(_ tenant: String, keeping hold: ReleasedTenant) {
        table.withLock {
            $0.sessions[tenant] = nil
            $0.released[tenant] = hold
        }
    }

    /// The tenants released so far, with what was kept of each.
    var released: [String: ReleasedTenant] { table.withLock { $0.released } }

    /// Sessions not released.
    var remaining: [String: TenantSession] { table.withLock { $0.sessions } }
}

/// What the end of an apply needs of a tenant whose session was released: the serial its
/// document was written at, and the allocation its resources hold.
struct ReleasedTenant: Sendable, Equatable {
    /// The serial of the document written.
    var serial: Int
    /// No resources and no pending creates.
    var empty: Bool
    var status: TenantStatus
    /// Allocated numbers held by its resources, by base resource name.
    var numbers: [String: Int]
    /// Capacity its resources use, by capacity.
    var used: [String: Int]
    /// The outputs recorded with its final status (events and the outcome carry them).
    var outputs: [String: Value]
    /// The exports recorded in its state (`TenantOutcome.exports`).
    var exports: [String: ExportRecord]

    init(_ state: TenantState, rules: AllocationRules) {
        serial = state.serial
        outputs = state.outputs
        exports = state.exports
        empty = state.resources.isEmpty && state.pending.isEmpty
        status = state.status
        var numbers: [String: Int] = [:]
        var used: [String: Int] = [:]
        for (name, r) in state.resources {
            if let attr = rules.types[r.type]?.number?.attribute, let p = r.inputs[attr]?.intValue { numbers[StateChange.baseName(name)] = p }
            for u in rules.consumes[r.type] ?? [] { used[u.capacity, default: 0] += u.amount }
        }
        self.numbers = numbers
        self.used = used
    }
}
