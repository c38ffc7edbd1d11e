import Foundation
import ProviderAPI
import Testing

@testable import LandlordCore

@Suite struct PendingIntentFormTests {
    /// An intent's inputs are what a crashed create is looked up by: a sensitive input must come
    /// back as the value it was, not as its `{"$sensitive": ...}` written form.
    @Test func sensitiveInputsOfAnIntentSurviveTheRoundTrip() throws {
        var s = TenantState(tenant: "acme", blueprint: "web")
        s.pending["pool"] = PendingIntent(
            type: "aws.cognito_user_pool", clientToken: "t", startedAt: Date(),
            inputs: ["name": .string("acme"), "secret": .sensitive(.string("hunter2"))])
        let back = try TenantState.decode(s.encoded(cipher: nil), cipher: nil, what: "test")
        #expect(back.pending["pool"]?.inputs["secret"] == .sensitive(.string("hunter2")))
        #expect(back.pending["pool"]?.inputs["secret"]?.revealed == .string("hunter2"))
    }
}
