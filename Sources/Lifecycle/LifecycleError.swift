import LandlordCore
import ProviderAPI

/// Why the lifecycle refused a request: a kind the caller can act on, and the body it shows
/// (code, message, diagnostics). The service maps each kind to an HTTP status; the CLI prints
/// the body. Nothing was changed.
public struct LifecycleError: Error, Sendable, Hashable {
    /// What went wrong, in the lifecycle's terms.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// The request does not make a valid tenant or query (a parameter, a limit).
        case invalidRequest
        /// No such tenant.
        case notFound
        /// The tenant exists, or is not in the status the request needs.
        case conflict
        /// Another request or the worker is changing the tenant; try again when it has finished.
        case busy
        /// The fleet's files do not read, or changed what only a restart can wire.
        case fleetUnavailable
        /// The record could not be written.
        case storageFailed
    }

    /// What went wrong.
    public var kind: Kind
    /// What the caller is shown.
    public var body: ErrorBody

    /// An error of `kind` showing `body`.
    public init(_ kind: Kind, _ body: ErrorBody) {
        self.kind = kind
        self.body = body
    }

    /// An error of `kind` with a code and a message (no diagnostics).
    public init(_ kind: Kind, code: String, message: String) {
        self.init(kind, ErrorBody(code: code, message: message))
    }
}

/// What a lifecycle request came to: what it shows (the tenant, a page of tenants, or the id
/// and status of an accepted change), or why it was refused.
public typealias LifecycleResult = Result<Value, LifecycleError>

/// A tenant to create (`POST /v1/tenants`, `landlord tenant create`): its id (nil: one is
/// generated), blueprint and parameters.
public struct TenantRequest: Sendable, Hashable {
    public var id: String?
    public var blueprint: String
    public var parameters: [String: Value]

    /// A request for a tenant of `blueprint`.
    public init(id: String? = nil, blueprint: String, parameters: [String: Value] = [:]) {
        self.id = id
        self.blueprint = blueprint
        self.parameters = parameters
    }
}

/// A page of tenants (`GET /v1/tenants`, `landlord tenant list`): those with `status` (nil:
/// all), by id after `cursor`, at most `limit` of them.
public struct TenantQuery: Sendable, Hashable {
    /// The page sizes accepted.
    public static let limits = 1...500
    public var status: LifecycleStatus?
    public var limit: Int
    public var cursor: String?

    /// A query; `limit` must be within ``limits``.
    public init(status: LifecycleStatus? = nil, limit: Int = 50, cursor: String? = nil) {
        self.status = status
        self.limit = limit
        self.cursor = cursor
    }
}

extension LifecycleStatus {
    /// The status called `name`, or why there is none (listing the names).
    public static func named(_ name: String) -> Result<LifecycleStatus, LifecycleError> {
        if let s = LifecycleStatus(rawValue: name) { return .success(s) }
        let all = LifecycleStatus.allCases.map(\.rawValue)
        return .failure(
            LifecycleError(
                .invalidRequest, code: "invalid_query",
                message: "unknown status '\(name)'\(Suggest.didYouMean(name, in: all)); use one of \(all.joined(separator: ", "))"))
    }
}
