import Foundation
import LandlordBasics
import LandlordCore
import LandlordEvents

/// Where a tenant created through the service is in its life.
public enum LifecycleStatus: String, Codable, Sendable, CaseIterable {
    case pendingApproval = "pending_approval"
    case provisioning
    case active
    case rejected
    case failed
    case timedOut = "timed_out"
    case deprovisioning
    case deleted
    /// Its parameters were changed (`PATCH`, `landlord tenant update`): queued for or in the apply.
    case updating
    /// `POST .../suspend`: queued for or in the apply that suspends it.
    case suspending
    /// Suspended: its file says `suspended: true` and its blueprint's suspension is applied.
    case suspended
    /// `POST .../resume`: queued for or in the apply that makes it active again.
    case resuming
    /// An update waits for approval (`updates: {approval: required}`): nothing is applied
    /// until `POST .../approve`; `POST .../reject` drops it.
    case updatePending = "update_pending"

    /// The event status announcing this status (the one mapping from ``LifecycleStatus``),
    /// nil for the statuses that have none (in progress: `provisioning`, `updating`, ...).
    public var event: EventStatus? {
        switch self {
        case .pendingApproval: return .pendingApproval
        case .active: return .active
        case .rejected: return .rejected
        case .failed: return .failed
        case .timedOut: return .timedOut
        case .deleted: return .deleted
        case .suspended: return .suspended
        case .updatePending: return .updatePending
        case .provisioning, .deprovisioning, .updating, .suspending, .resuming: return nil
        }
    }

    /// The CloudEvents type announcing this status, for the statuses that have one.
    public var eventType: String? { event?.type }
}

/// One diagnostic as the API returns it.
public struct DiagnosticBody: Sendable, Hashable {
    public var severity: String
    public var message: String
    public var detail: String?
    public var file: String?
    public var line: Int?
    public var column: Int?
    public var address: String?
    /// The request field the diagnostic is about (`parameters.replicas`), for a tenant sent
    /// through the API or `landlord tenant create`, whose file the caller never wrote.
    public var parameter: String?

    public init(_ d: Diagnostic) {
        severity = d.severity.rawValue
        message = d.summary
        detail = d.detail.isEmpty ? nil : d.detail
        file = d.location?.file
        line = d.location?.line
        column = d.location?.column
        address = d.address
    }
}

/// `{"code", "message", "diagnostics"}`: the body of every error answer, and a failed
/// tenant's `error`.
public struct ErrorBody: Sendable, Hashable, Error {
    public var code: String
    public var message: String
    public var diagnostics: [DiagnosticBody]
    public init(code: String, message: String, diagnostics: [DiagnosticBody] = []) {
        self.code = code
        self.message = message
        self.diagnostics = diagnostics
    }
}

/// One status a tenant went through.
public struct HistoryEntry: Sendable, Hashable {
    public var status: LifecycleStatus
    public var at: Date
    public var reason: String?
}

/// What the service owes a tenant it created: its document, its status and history, the
/// approval deadline. Kept by a ``RecordStore`` (one document per tenant beside the fleet's
/// state), durable before any request that changed it is answered.
public struct TenantRecord: Sendable, Hashable {
    public var id: String
    public var blueprint: String
    public var status: LifecycleStatus
    /// The tenant file's text (written to `tenants/ID.yaml` when the tenant is provisioned;
    /// kept here alone while it awaits approval, so no CLI apply provisions it before then).
    public var document: String
    /// The parameters as the API shows them (sensitive ones as `(sensitive)`), as JSON text.
    public var parametersJSON: String
    /// When a tenant awaiting approval times out.
    public var deadline: Date?
    /// Why the last apply or destroy failed.
    public var error: ErrorBody?
    /// `DELETE ...?force=true`: the destroy may delete protected resources.
    public var force: Bool = false
    public var history: [HistoryEntry]
    public var createdAt: Date
    /// The update awaiting approval (status `update_pending`); nil otherwise.
    public var pendingUpdate: PendingUpdate?

    /// Moves to `status` at `now`, recording it in the history.
    public mutating func move(to status: LifecycleStatus, at now: Date, reason: String? = nil) {
        self.status = status
        history.append(HistoryEntry(status: status, at: now, reason: reason))
    }
}

/// An update of a provisioned tenant waiting for approval: the tenant file it would write and
/// the status the tenant returns to when it is rejected.
public struct PendingUpdate: Sendable, Hashable {
    /// The new text of `tenants/ID.yaml` (validated when it was requested, again when approved).
    public var document: String
    /// The new parameters as the API shows them, as JSON text.
    public var parametersJSON: String
    /// The parameters the request changed, for the history.
    public var changed: [String]
    /// The tenant's status before (active or failed): a rejection goes back to it.
    public var from: LifecycleStatus
}
