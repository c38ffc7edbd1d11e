import Foundation
import LandlordHTTP
import ProviderAPI
import StripeProvider
import Testing

/// The provider's wire behaviour against a scripted transport: headers, form encoding, the
/// Idempotency-Key across retries, error answers as diagnostics, the key kept out of messages.
@Suite struct StripeClientTests {
    @Test func createSendsOneIdempotencyKeyOnEveryRetryAndFormEncodes() async throws {
        let transport = ScriptedStripe(
            [
                .success(FakeStripe.json(503, #"{"error": {"type": "api_error", "message": "try later"}}"#)),
                .failure(TransportError("connection reset")),
                .success(FakeStripe.json(429, #"{"error": {"type": "rate_limit_error", "message": "slow down"}}"#)),
            ], fallback: { _ in FakeStripe.json(200, FakeStripe.customer("cus_A", name: "A&B + C", metadata: ["plan": "gold"])) })
        let provider = FakeStripe.provider(transport)
        let response = await provider.apply(
            FakeStripe.create(["name": "A&B + C", "metadata": .map(["plan": "gold", "seats": .int(3)])], token: "7f3c-token"))
        #expect(response.diagnostics.isEmpty, "\(response.diagnostics)")
        #expect(response.resource?.id == "cus_A")
        let sent = transport.requests
        #expect(sent.count == 4)
        #expect(Set(sent.map { $0.header("Idempotency-Key") }) == ["landlord-create-7f3c-token"])
        for r in sent {
            #expect(r.method == "POST" && r.path == "/v1/customers")
            #expect(r.header("Authorization") == "Bearer \(FakeStripe.key)")
            #expect(r.header("Content-Type") == "application/x-www-form-urlencoded")
        }
        let body = String(decoding: sent[0].body, as: UTF8.self)
        // Brackets, colons, '&', '+' and spaces are percent-encoded, never sent raw.
        #expect(body.contains("name=A%26B%20%2B%20C"))
        #expect(body.contains("metadata%5Blandlord%3Aaddress%5D=acme%2Fbilling"))
        let form = FakeStripe.form(sent[0])
        #expect(form["metadata[plan]"] == "gold" && form["metadata[seats]"] == "3")
        #expect(form["metadata[landlord:tenant]"] == "acme" && form["metadata[landlord:platform]"] == "demo")
        #expect(form["email"] == nil, "an attribute the spec does not set is not sent")
    }

    @Test func updateSendsChangesAndEmptiesRemovedMetadataKeys() async throws {
        // The customer as Stripe holds it now: a key added outside Landlord, which the record does not know.
        let transport = ScriptedStripe(
            [], fallback: { _ in FakeStripe.json(200, FakeStripe.customer("cus_B", name: "New", metadata: ["plan": "gold", "note": "by hand"])) })
        let prior = ResourceObject(
            type: "stripe.customer", id: "cus_B",
            attributes: ["id": "cus_B", "name": "Old", "description": "kept", "metadata": .map(["plan": "gold", "legacy": "yes"])])
        let request = ApplyRequest(
            operation: .update, type: "stripe.customer", identity: FakeStripe.identity, prior: prior,
            inputs: ["name": "New", "description": "kept", "metadata": .map(["plan": "gold"])], clientToken: "upd-1")
        let response = await FakeStripe.provider(transport).apply(request)
        #expect(!response.diagnostics.hasErrors, "\(response.diagnostics)")
        #expect(transport.requests.map(\.method) == ["GET", "POST"], "the customer's metadata is read before the update")
        let r = try #require(transport.requests.last)
        #expect(r.method == "POST" && r.path == "/v1/customers/cus_B")
        let form = FakeStripe.form(r)
        #expect(form["name"] == "New")
        #expect(form["description"] == "kept", "every field the spec sets is sent: the record may not show drift")
        #expect(form["email"] == nil, "a field neither the spec nor the record has is not sent")
        #expect(form["metadata[legacy]"] == "", "a removed key is sent empty, which deletes it")
        #expect(form["metadata[note]"] == "", "so is a key added outside Landlord: Stripe merges the metadata of an update")
        #expect(form["metadata[plan]"] == "gold")
        #expect(form["metadata[landlord:address]"] == "acme/billing")
    }

    @Test func readOfDeletedOrMissingCustomerIsGoneAndDeleteOfMissingSucceeds() async throws {
        let transport = ScriptedStripe(
            [
                .success(FakeStripe.json(200, #"{"id": "cus_C", "object": "customer", "deleted": true}"#)),
                .success(
                    FakeStripe.json(
                        404,
                        #"{"error": {"type": "invalid_request_error","#
                            + #" "code": "resource_missing", "message": "No such customer"}}"#)),
                .success(
                    FakeStripe.json(
                        404,
                        #"{"error": {"type": "invalid_request_error","#
                            + #" "code": "resource_missing", "message": "No such customer"}}"#)),
            ], fallback: { _ in FakeStripe.json(500, "") })
        let provider = FakeStripe.provider(transport)
        let gone = ResourceObject(type: "stripe.customer", id: "cus_C", attributes: ["name": "x"])
        let read = await provider.read(ReadRequest(resources: [gone, gone]))
        #expect(read.diagnostics.isEmpty)
        #expect(read.resources.count == 2 && read.resources.allSatisfy { $0 == nil })
        let delete = await provider.apply(
            ApplyRequest(operation: .delete, type: "stripe.customer", identity: FakeStripe.identity, prior: gone, inputs: [:], clientToken: "d"))
        #expect(delete.diagnostics.isEmpty)
        #expect(transport.requests.last?.method == "DELETE")
    }

    @Test func findPagesThroughEveryCustomerAndMatchesLandlordMetadata() async throws {
        let mine = ["landlord:address": "acme/billing", "landlord:tenant": "acme", "landlord:platform": "demo"]
        let other = ["landlord:address": "acme/billing", "landlord:tenant": "acme", "landlord:platform": "other-platform"]
        let page1 =
            #"{"object": "list", "has_more": true, "data": [\#(FakeStripe.customer("cus_1", metadata: other)), \#(FakeStripe.customer("cus_2"))]}"#
        let page2 =
            #"{"object": "list", "has_more": false, "data": [\#(FakeStripe.customer("cus_3", metadata: mine)),"#
            + #" \#(FakeStripe.customer("cus_4", metadata: mine))]}"#
        // Each candidate is read back: cus_3 as listed, cus_4 re-tagged since the listing, cus_1 deleted since.
        let transport = ScriptedStripe(
            [.success(FakeStripe.json(200, page1)), .success(FakeStripe.json(200, page2))],
            fallback: { r in
                switch r.path {
                case "/v1/customers/cus_3": return FakeStripe.json(200, FakeStripe.customer("cus_3", metadata: mine))
                case "/v1/customers/cus_4": return FakeStripe.json(200, FakeStripe.customer("cus_4", metadata: other))
                default:
                    return FakeStripe.json(
                        404, #"{"error": {"type": "invalid_request_error", "code": "resource_missing", "message": "No such customer"}}"#)
                }
            })
        let provider = FakeStripe.provider(transport)
        let found = await provider.importResources(ImportRequest(type: "stripe.customer", identity: FakeStripe.identity))
        #expect(found.diagnostics.isEmpty)
        #expect(found.resources.map(\.id) == ["cus_3"])
        let lists = transport.requests.filter { $0.path == "/v1/customers" }.map { Dictionary($0.query, uniquingKeysWith: { a, _ in a }) }
        #expect(lists.count == 2)
        #expect(lists[0]["limit"] == "100" && lists[0]["starting_after"] == nil)
        #expect(lists[1]["starting_after"] == "cus_2")
        #expect(found.resources[0].attributes["metadata"] == nil || found.resources[0].attributes["metadata"] == .map([:]))

        // A second lookup (another tenant of the run) reuses the listing: no more list calls.
        let again = await provider.importResources(
            ImportRequest(type: "stripe.customer", identity: ResourceIdentity(address: "acme/billing", tenant: "acme", platform: "other-platform")))
        #expect(again.diagnostics.isEmpty)
        #expect(again.resources.isEmpty, "cus_1, listed for that platform, was deleted since: it is not adopted")
        #expect(transport.requests.filter { $0.path == "/v1/customers" }.count == 2)
    }

    @Test func stripeErrorsBecomeDiagnosticsThatSayWhatToDo() async throws {
        let invalid = ScriptedStripe(
            [
                .success(
                    FakeStripe.json(
                        400,
                        #"{"error": {"type": "invalid_request_error", "code": "email_invalid","#
                            + #" "param": "email", "message": "Invalid email address: x"}}"#
                    ))
            ],
            fallback: { _ in FakeStripe.json(500, "") })
        let bad = await FakeStripe.provider(invalid).apply(FakeStripe.create(["email": "x@y"]))
        let d = try #require(bad.diagnostics.first)
        #expect(invalid.requests.count == 1, "a 400 is not retried")
        #expect(d.attribute == "email" && d.code == "email_invalid")
        #expect(d.detail.contains("fix `email` in the blueprint"))

        let unauthorized = ScriptedStripe(
            [
                .success(
                    FakeStripe.json(401, #"{"error": {"type": "invalid_request_error", "message": "Invalid API Key provided: \#(FakeStripe.key)"}}"#))
            ],
            fallback: { _ in FakeStripe.json(500, "") })
        let denied = await FakeStripe.provider(unauthorized).apply(FakeStripe.create(["name": "n"]))
        let text = denied.diagnostics.map { "\($0.summary) \($0.detail)" }.joined()
        #expect(text.contains("STRIPE_API_KEY"))
        #expect(!text.contains(FakeStripe.key), "the API key never appears in a message")

        let down = ScriptedStripe([], fallback: { _ in FakeStripe.json(502, "bad gateway") })
        let failed = await FakeStripe.provider(down).apply(FakeStripe.create(["name": "n"]))
        #expect(down.requests.count == FakeStripe.quickRetry.maxAttempts)
        #expect(failed.diagnostics.first?.detail.contains("run apply again") == true)

        let keyInError = StripeProvider(
            settings: ["apiBase": "http://127.0.0.1:9"], environment: ["STRIPE_API_KEY": FakeStripe.key],
            transport: ThrowingTransport("could not send Bearer \(FakeStripe.key)"), retry: FakeStripe.quickRetry)
        let unreachable = await keyInError.apply(FakeStripe.create(["name": "n"]))
        let message = unreachable.diagnostics.map { "\($0.summary) \($0.detail)" }.joined()
        #expect(message.contains("apiBase"))
        #expect(!message.contains(FakeStripe.key))
    }

    @Test func missingKeyNamesTheVariableAndInvalidInputsAreRefusedBeforeAnyCall() async throws {
        let transport = ScriptedStripe([], fallback: { _ in FakeStripe.json(200, FakeStripe.customer("cus_X")) })
        let noKey = StripeProvider(settings: ["apiKeyEnv": "BILLING_KEY"], environment: [:], transport: transport)
        let answer = await noKey.apply(FakeStripe.create(["name": "n"]))
        let d = try #require(answer.diagnostics.first)
        #expect(d.summary.contains("BILLING_KEY is not set"))
        #expect(d.detail.contains("export BILLING_KEY"))

        let provider = FakeStripe.provider(transport)
        let tooMany = Value.map(Dictionary(uniqueKeysWithValues: (0..<48).map { ("k\($0)", Value.string("v")) }))
        for inputs: [String: Value] in [
            ["metadata": tooMany], ["metadata": .map(["landlord:address": "x"])], ["metadata": .map(["a[b]": "x"])],
            ["name": .string(String(repeating: "n", count: 257))], ["email": "not-an-address"],
        ] {
            let r = await provider.apply(FakeStripe.create(inputs))
            #expect(r.diagnostics.hasErrors, "\(inputs) should be refused")
        }
        #expect(transport.requests.isEmpty, "refused inputs never reach Stripe")
    }
}

/// A transport that never gets an answer.
struct ThrowingTransport: HTTPTransport {
    let message: String
    init(_ message: String) { self.message = message }
    func send(_ request: HTTPRequest) async throws -> HTTPResponse { throw TransportError(message) }
}

/// What reads back keeps the spec's types and sensitivity.
@Suite struct StripeReadShapeTests {
    @Test func readKeepsSpecTypesAndSensitivityAndReportsClearedFields() async throws {
        let doc =
            #"{"id": "cus_R", "object": "customer", "name": "changed", "email": null, "description": "d","#
            + #" "metadata": {"seats": "5", "token": "new", "landlord:address": "acme/billing", "gone": ""}}"#
        let transport = ScriptedStripe([], fallback: { _ in FakeStripe.json(200, doc) })
        let recorded = ResourceObject(
            type: "stripe.customer", id: "cus_R",
            attributes: [
                "name": .sensitive("secret name"), "email": "a@b.c", "description": "d",
                "metadata": .map(["seats": .int(5), "token": .sensitive("old")]),
            ])
        let read = try #require(await FakeStripe.provider(transport).read(ReadRequest(resources: [recorded])).resources.first ?? nil)
        #expect(read.attributes["name"] == .sensitive("changed"), "a drifted sensitive value stays sensitive")
        #expect(read.attributes["email"] == .null, "a field cleared outside Landlord reads as null, so drift shows")
        #expect(read.attributes["description"] == "d")
        #expect(read.attributes["metadata"] == .map(["seats": .int(5), "token": .sensitive("new")]))
    }
}
