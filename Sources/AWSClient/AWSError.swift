import Foundation
import LandlordHTTP

/// An AWS call that failed: the service's error code and message, or a transport/config fault.
public struct AWSError: Error, Sendable, CustomStringConvertible {
    /// A failure that happened on this side of the wire: no answer, no usable configuration,
    /// an answer that does not parse. Its raw value is the error's `code`.
    public enum LocalFault: String, Sendable, CaseIterable {
        /// No HTTP response arrived (refused, reset, timed out).
        case transport = "TransportError"
        /// A request that is not safe to repeat was sent and its answer lost: it may have
        /// taken effect, so it is not retried (a create would make a second resource).
        case lostAnswer = "LostAnswer"
        /// Credentials, region or endpoint settings are missing or invalid.
        case configuration = "ConfigurationError"
        /// A response arrived but is not the XML or JSON the operation returns.
        case unparseableResponse = "UnparseableResponse"
    }

    /// The service error code (`ValidationError`, `ResourceNotFoundException`), or a
    /// `LocalFault`'s raw value for local faults.
    public var code: String
    public var message: String
    /// HTTP status, nil when no response arrived.
    public var status: Int?
    public var requestId: String?
    /// The service signing name the call went to.
    public var service: String
    /// The operation or action name.
    public var operation: String

    public init(code: String, message: String, status: Int? = nil, requestId: String? = nil, service: String = "", operation: String = "") {
        self.code = code
        self.message = message
        self.status = status
        self.requestId = requestId
        self.service = service
        self.operation = operation
    }

    /// A local fault with this message.
    public init(_ fault: LocalFault, message: String, status: Int? = nil, service: String = "", operation: String = "") {
        self.init(code: fault.rawValue, message: message, status: status, service: service, operation: operation)
    }

    /// The local fault this is, nil for an error the service returned.
    public var localFault: LocalFault? { LocalFault(rawValue: code) }

    public var description: String {
        var s = "\(service) \(operation) failed: \(code)"
        if !message.isEmpty { s += ": \(message)" }
        if let status { s += " (HTTP \(status))" }
        return s
    }

    /// Codes AWS uses for throttling; these are retried with backoff.
    public static let throttlingCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "TooManyRequestsException",
        "RequestLimitExceeded", "PriorRequestNotComplete", "RequestThrottled", "RequestThrottledException",
        "SlowDown", "ProvisionedThroughputExceededException", "BandwidthLimitExceeded",
    ]

    /// True for throttling codes and HTTP 429.
    public var isThrottling: Bool { AWSError.throttlingCodes.contains(code) || status == 429 }

    /// Throttling, 5xx and no-response failures may succeed when repeated; validation errors never.
    public var isRetryable: Bool {
        if isThrottling { return true }
        if localFault == .transport { return true }
        if let status, status >= 500 { return true }
        return false
    }

    /// Reads the code and message from an error response body: XML `<ErrorResponse><Error>`,
    /// `<ErrorResponse><Errors><Error>`, `<Response><Errors><Error>` or S3's bare `<Error>`;
    /// JSON `__type` (with or without a `namespace#` prefix) or the `x-amzn-ErrorType` header.
    public static func parse(_ response: HTTPResponse, service: String = "", operation: String = "") -> AWSError {
        let requestId = response.headers["x-amzn-requestid"] ?? response.headers["x-amz-request-id"]
        var code: String?
        var message: String?
        if let header = response.headers["x-amzn-errortype"] {
            code = String(header.split(separator: ":").first ?? Substring(header))
        }
        let first = response.body.first { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }
        if first == UInt8(ascii: "<"), let root = XMLReader.parse(response.body) {
            let error = root.first(named: "Error") ?? root
            code = error.string("Code") ?? code
            message = error.string("Message") ?? root.first(named: "Message")?.text
        } else if first == UInt8(ascii: "{"),
            let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any]
        {
            if let type = (object["__type"] as? String) ?? (object["code"] as? String) ?? (object["Code"] as? String) {
                code = String(type.split(separator: "#").last ?? Substring(type))
            }
            message = (object["message"] as? String) ?? (object["Message"] as? String) ?? (object["errorMessage"] as? String)
        }
        if code == nil {
            code =
                switch response.status {
                case 400: "BadRequest"
                case 403: "AccessDenied"
                case 404: "NotFound"
                case 412: "PreconditionFailed"
                case 429: "TooManyRequestsException"
                default: "HTTP\(response.status)"
                }
        }
        return AWSError(
            code: code!, message: message ?? "", status: response.status, requestId: requestId, service: service, operation: operation)
    }
}
