/// The status a tenant lifecycle event announces: its raw value is `data.status` on the wire,
/// and each has its CloudEvents `type` (``type``). Statuses without an event (`provisioning`,
/// `updating`, ...) have no case, so an event can only be made for one that has.
public enum EventStatus: String, Sendable, CaseIterable, Codable {
    case pendingApproval = "pending_approval"
    case active
    case rejected
    case failed
    case timedOut = "timed_out"
    case deleted
    case rolledBack = "rolled_back"
    case drifted
    case updated
    case updateFailed = "update_failed"
    case suspended
    case resumed
    case updatePending = "update_pending"
    case updateRejected = "update_rejected"

    /// The CloudEvents type: `landlord.tenant.` and the status, except `active`, announced as
    /// `landlord.tenant.provisioned`.
    public var type: String {
        switch self {
        case .active: return "landlord.tenant.provisioned"
        default: return "landlord.tenant." + rawValue
        }
    }
}
