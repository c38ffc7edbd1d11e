/// How bad a diagnostic is.
public enum Severity: String, Sendable, Hashable, Codable {
    case error, warning
}

/// A problem a provider reports, as a value: the engine attaches addresses and positions.
public struct ProviderDiagnostic: Sendable, Hashable, Error {
    public var severity: Severity
    /// One line saying what went wrong.
    public var summary: String
    /// What to do next, or the provider's own message.
    public var detail: String
    /// The attribute the problem is about, when there is one.
    public var attribute: String?
    /// A provider error code (`PriorityInUse`, `Throttling`, ...).
    public var code: String?
    /// The same call may succeed if repeated later (throttling, a transient fault).
    public var retryable: Bool

    public init(
        _ severity: Severity = .error, summary: String, detail: String = "", attribute: String? = nil,
        code: String? = nil, retryable: Bool = false
    ) {
        self.severity = severity
        self.summary = summary
        self.detail = detail
        self.attribute = attribute
        self.code = code
        self.retryable = retryable
    }

    /// An error diagnostic.
    public static func error(_ summary: String, detail: String = "", attribute: String? = nil, code: String? = nil, retryable: Bool = false)
        -> ProviderDiagnostic
    {
        ProviderDiagnostic(.error, summary: summary, detail: detail, attribute: attribute, code: code, retryable: retryable)
    }
}

extension Array where Element == ProviderDiagnostic {
    /// True when any diagnostic is an error.
    public var hasErrors: Bool { contains { $0.severity == .error } }
}
