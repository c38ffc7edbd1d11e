import Foundation
import LandlordHTTP
import ProviderAPI
import StripeSchema

/// The Stripe provider: serves `stripe.customer` over Stripe's REST API.
///
/// Settings (platform.yaml `provider.stripe`): `apiKeyEnv`, the environment variable holding
/// the secret key (default `STRIPE_API_KEY`), and `apiBase` (default `https://api.stripe.com`;
/// a local server such as localstripe for tests). The key is read once, sent only in the
/// `Authorization` header and never shown in a message.
public struct StripeProvider: Provider {
    public let name = "stripe"
    /// The types this provider serves, without making one (for reading specs, no key needed).
    public static let resourceSchema = StripeResourceTypes.schema
    public var schema: ProviderSchema { Self.resourceSchema }

    /// The default environment variable of the secret key.
    public static let defaultKeyVariable = "STRIPE_API_KEY"
    /// The default API endpoint.
    public static let defaultAPIBase = "https://api.stripe.com"

    let customers: StripeCustomers?
    /// Why the provider cannot make calls (no key, a bad apiBase): every call answers with it.
    let configurationProblem: ProviderDiagnostic?

    /// A provider for platform.yaml's `provider.stripe` settings. A missing key or a bad
    /// `apiBase` does not throw: every call then answers with a diagnostic saying what to set.
    /// `transport`: a `CurlTransport` when nil (tests inject a fake); `retry`: how throttled, failed
    /// and unanswered calls are retried.
    public init(
        settings: [String: Value], environment: [String: String] = ProcessInfo.processInfo.environment, transport: HTTPTransport? = nil,
        retry: RetryPolicy = .stripe
    ) {
        let settings = settings.mapValues(\.revealed)
        let variable = settings["apiKeyEnv"]?.stringValue ?? Self.defaultKeyVariable
        let base = settings["apiBase"]?.stringValue ?? Self.defaultAPIBase
        do throws(ProviderDiagnostic) {
            guard let key = environment[variable], !key.isEmpty else {
                throw .error(
                    "the Stripe provider has no API key: \(variable) is not set",
                    detail:
                        "export \(variable) with a Stripe secret key (sk_...), or name another variable in platform.yaml's provider.stripe.apiKeyEnv",
                    code: "configuration")
            }
            let client = try StripeClient(apiBase: base, apiKey: key, transport: transport ?? CurlTransport(), retry: retry)
            customers = StripeCustomers(client: client, keyVariable: variable)
            configurationProblem = nil
        } catch {
            customers = nil
            configurationProblem = error
        }
    }

    func handler(_ type: String) -> Result<StripeCustomers, ProviderDiagnostic> {
        if let configurationProblem { return .failure(configurationProblem) }
        guard type == StripeResourceTypes.customer, let customers else {
            return .failure(.unknownType(type, provider: "Stripe", serves: schema.resources.keys))
        }
        return .success(customers)
    }

    public func read(_ request: ReadRequest) async -> ReadResponse {
        await request.readEach(
            lookup: handler, read: { h, resource in try await h.read(resource) },
            diagnose: { error, resource in diagnostic(error, action: "read", subject: "\(resource.type) \(resource.id)") })
    }

    public func apply(_ request: ApplyRequest) async -> ApplyResponse {
        await request.send(
            through: { handler($0).map { $0 as any ResourceLifecycle } },
            diagnose: { error in diagnostic(error, action: request.operation.rawValue, subject: "\(request.type) \(request.identity.address)") })
    }

    public func importResources(_ request: ImportRequest) async -> ImportResponse {
        await request.findEach(
            lookup: handler, find: { try await $0.find(request) },
            diagnose: { error in diagnostic(error, action: "look up", subject: "\(request.type) \(request.identity.address)") })
    }

    /// A thrown error as a diagnostic that says what to do next.
    func diagnostic(_ error: Error, action: String, subject: String) -> ProviderDiagnostic {
        if let d = error as? ProviderDiagnostic { return d }
        guard let e = error as? StripeError else {
            return .error("could not \(action) \(subject)", detail: customers?.client.redacted("\(error)") ?? "\(error)")
        }
        return StripeDiagnostics.diagnostic(e, action: action, subject: subject, keyVariable: customers?.keyVariable ?? Self.defaultKeyVariable)
    }
}
