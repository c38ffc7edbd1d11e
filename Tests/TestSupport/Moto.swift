import AWSClient
import Foundation
import Testing

/// The moto_server named by AWS_ENDPOINT_URL (`scripts/moto.sh start`, or `scripts/test.sh`).
/// Test targets add what they make with it (`extension Moto`).
public enum Moto {
    public static let endpoint: String? = ProcessInfo.processInfo.environment["AWS_ENDPOINT_URL"].flatMap { $0.isEmpty ? nil : $0 }
    public static var available: Bool { endpoint != nil }
    public static let disabledReason: Comment = "needs moto: run `scripts/moto.sh start` and export AWS_ENDPOINT_URL=http://127.0.0.1:5123"

    /// The environment with dummy credentials and a region filled in where unset.
    public static var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        if env["AWS_ACCESS_KEY_ID"] == nil { env["AWS_ACCESS_KEY_ID"] = "testing" }
        if env["AWS_SECRET_ACCESS_KEY"] == nil { env["AWS_SECRET_ACCESS_KEY"] = "testing" }
        if env["AWS_REGION"] == nil && env["AWS_DEFAULT_REGION"] == nil { env["AWS_REGION"] = "us-east-1" }
        return env
    }

    /// A client for moto in us-east-1.
    public static func client() throws -> AWSClient {
        AWSClient(configuration: try AWSConfiguration.resolve(region: "us-east-1", environment: environment))
    }
}
