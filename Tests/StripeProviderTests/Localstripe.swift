import Foundation
import LandlordHTTP
import ProviderAPI
import StripeProvider
import Testing

/// The localstripe server named by LANDLORD_STRIPE_URL (`scripts/localstripe.sh start`, or
/// `scripts/test.sh`, which starts one).
enum Localstripe {
    static let url: String? = ProcessInfo.processInfo.environment["LANDLORD_STRIPE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    static var available: Bool { url != nil }
    static let disabledReason: Comment =
        "needs localstripe: run `LANDLORD_STRIPE_PORT=8420 scripts/localstripe.sh start` and export LANDLORD_STRIPE_URL=http://127.0.0.1:8420"
    /// localstripe accepts any key that starts with `sk_`.
    static let key = "sk_test_landlord"

    static func provider() -> StripeProvider {
        StripeProvider(settings: ["apiBase": .string(url!)], environment: ["STRIPE_API_KEY": key])
    }

    /// One raw call, as an out-of-band client (the dashboard, another integration) would make.
    static func call(_ method: String, _ path: String, form: [(String, String)] = []) async throws -> (status: Int, json: [String: Value]) {
        let base = URLComponents(string: url!)!
        var request = HTTPRequest(method: method, scheme: base.scheme!, host: base.host!, port: base.port, path: path)
        request.setHeader("Authorization", "Bearer \(key)")
        if method == "POST" {
            request.setHeader("Content-Type", "application/x-www-form-urlencoded")
            request.body = Data(PercentEncoding.form(form).utf8)
        }
        let response = try await CurlTransport().send(request)
        return (response.status, (try? JSON.parse(Array(response.body)))?.mapValue ?? [:])
    }

    /// A platform name unique to one test, so tests sharing the server never see each other's customers.
    static func uniquePlatform() -> String { "p-" + UUID().uuidString.prefix(8).lowercased() }
}
