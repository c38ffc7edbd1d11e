import AWSClient
import AWSProvider
import AWSSchema
import Foundation
import LandlordCore
import LandlordTestSupport
import ProviderAPI
import Testing

/// Sends to moto and records every request, except SESv2 update calls (UpdateContactList,
/// UpdateContact), which moto 5.2.1 answers with HTTP 500: those are answered `{}` without
/// reaching moto, so a test checks what the provider sends for an in-place update.
final class MotoRecordingTransport: HTTPTransport, @unchecked Sendable {
    // @unchecked: `recorded`, the only `var`, is read and written only under `lock`.
    private let lock = NSLock()
    private var recorded: [HTTPRequest] = []
    let inner = CurlTransport()

    /// Every request sent, in order.
    var sent: [HTTPRequest] { lock.withLock { recorded } }
    /// The SESv2 updates, answered here.
    var updates: [HTTPRequest] { sent.filter(Self.isSESv2Update) }

    static func isSESv2Update(_ request: HTTPRequest) -> Bool {
        request.method == "PUT" && request.path.hasPrefix("/v2/email/contact-lists/")
    }

    /// The JSON bodies of the JSON-protocol calls of one operation (`X-Amz-Target: ...Op`).
    func bodies(of operation: String) -> [[String: Value]] {
        sent.filter { r in r.headers.contains { $0.0.lowercased() == "x-amz-target" && $0.1.hasSuffix(".\(operation)") } }
            .compactMap { (try? JSON.parse(Array($0.body)))?.mapValue }
    }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        lock.withLock { recorded.append(request) }
        if Self.isSESv2Update(request) {
            return HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: Data("{}".utf8))
        }
        return try await inner.send(request)
    }
}

extension MotoTests {
    /// `aws.sesv2_contact_list` and `aws.sesv2_contact` against moto's SESv2, planned through
    /// the engine.
    @Suite struct SESv2Tests {
        func ses(_ operation: String, _ method: String, _ path: String, _ body: Value? = nil) async throws {
            _ = try await Moto.client().restJSON(
                .sesv2, operation: operation, method: method, path: path, body: body.map { Data(JSON.serialize($0)) })
        }

        static let topics: Value = [
            ["name": "news", "displayName": "Product news", "description": "What is new", "defaultSubscriptionStatus": "OPT_IN"],
            ["name": "billing", "displayName": "Billing", "defaultSubscriptionStatus": "OPT_OUT"],
        ]

        @Test func contactListLifecycle() async throws {
            try await Moto.reset()
            let transport = MotoRecordingTransport()
            let provider = AWSProvider(settings: ["region": "us-east-1"], environment: Moto.environment, transport: transport)
            let t = Tenant()
            let props: [String: Value] = ["name": "platform", "description": "Every tenant's contacts", "topics": Self.topics]
            let created = try await provider.applyOK(t.create(AWSResourceTypes.contactList, "list", props))
            #expect(created.id == "platform")
            #expect(try await provider.planned(created, props, tenant: t) == "noop")
            // The account's lists, for the one-list quota (a list made outside Landlord counts).
            try await ses("CreateContactList", "POST", "/v2/email/contact-lists", ["ContactListName": "made-by-hand"])
            let listed = await provider.existingResources(type: AWSResourceTypes.contactList)
            #expect(listed.ids == ["platform", "made-by-hand"] && listed.diagnostics.isEmpty)
            try await ses("DeleteContactList", "DELETE", "/v2/email/contact-lists/made-by-hand")

            // Update in place, as sent on the wire (moto 5.2.1 has no UpdateContactList).
            var changed = props
            changed["description"] = "Platform contacts"
            #expect(try await provider.planned(created, changed, tenant: t) == "update description")
            let updated = try await provider.applyOK(t.update(created, "list", changed))
            let put = try #require(transport.updates.last)
            #expect(put.path == "/v2/email/contact-lists/platform")
            let sent = try JSON.parse(Array(put.body))
            #expect(sent.mapValue?["Description"] == "Platform contacts")
            #expect(sent.mapValue?["Topics"]?.listValue?.first?.mapValue?["TopicName"] == "news")

            // Drift: moto cannot update, so the list is re-made by hand with another description.
            try await ses("DeleteContactList", "DELETE", "/v2/email/contact-lists/platform")
            try await ses(
                "CreateContactList", "POST", "/v2/email/contact-lists",
                ["ContactListName": "platform", "Description": "edited by hand", "Tags": tagListValue(t.identity("list").tags)])
            #expect(try await provider.planned(updated, changed, tenant: t) == "update description,topics")

            // Replacement: the name cannot change.
            var renamed = props
            renamed["name"] = "platform-2"
            #expect(try await provider.planned(updated, renamed, tenant: t) == "replace")

            // Adoption after lost state: by name, only with this address's tags.
            let found = await provider.importResources(ImportRequest(type: AWSResourceTypes.contactList, identity: t.identity("list"), inputs: props))
            #expect(found.resources.map(\.id) == ["platform"])
            let other = await provider.importResources(ImportRequest(type: AWSResourceTypes.contactList, identity: t.identity("x"), inputs: props))
            #expect(other.resources.isEmpty && other.diagnostics.isEmpty)

            // Gone: plan re-creates it.
            _ = try await provider.applyOK(t.delete(updated, "list"))
            #expect(await provider.readOne(updated) == nil)
            #expect(try await provider.planned(updated, props, tenant: t) == "create")
            _ = try await provider.applyOK(t.delete(updated, "list"))
        }

        @Test func contactLifecycle() async throws {
            try await Moto.reset()
            let transport = MotoRecordingTransport()
            let provider = AWSProvider(settings: ["region": "us-east-1"], environment: Moto.environment, transport: transport)
            let t = Tenant()
            try await ses(
                "CreateContactList", "POST", "/v2/email/contact-lists",
                [
                    "ContactListName": "platform",
                    "Topics": [
                        ["TopicName": "news", "DisplayName": "News", "DefaultSubscriptionStatus": "OPT_IN"],
                        ["TopicName": "billing", "DisplayName": "Billing", "DefaultSubscriptionStatus": "OPT_OUT"],
                    ],
                ])
            let email = "admin+\(t.id)@acme.example"
            let props: [String: Value] = [
                "contactListName": "platform", "email": .string(email), "topicPreferences": ["news": "OPT_IN", "billing": "OPT_OUT"],
                "attributes": ["tenant": .string(t.id), "tier": "premium"],
            ]
            let created = try await provider.applyOK(t.create(AWSResourceTypes.contact, "contact", props))
            #expect(created.id == "platform/\(email)")
            #expect(try await provider.planned(created, props, tenant: t) == "noop")

            // Update in place, as sent on the wire (moto 5.2.1 has no UpdateContact).
            var changed = props
            changed["topicPreferences"] = ["news": "OPT_OUT", "billing": "OPT_IN"]
            changed["attributes"] = ["tenant": .string(t.id), "tier": "basic"]
            #expect(try await provider.planned(created, changed, tenant: t) == "update attributes,topicPreferences")
            let updated = try await provider.applyOK(t.update(created, "contact", changed))
            let put = try #require(transport.updates.last)
            #expect(put.path == "/v2/email/contact-lists/platform/contacts/\(SigV4.uriEncode(email))")
            let sent = try JSON.parse(Array(put.body)).mapValue ?? [:]
            #expect(try JSON.parse(sent["AttributesData"]?.stringValue ?? "") == ["tenant": .string(t.id), "tier": "basic"])
            #expect(
                sent["TopicPreferences"] == [
                    ["TopicName": "billing", "SubscriptionStatus": "OPT_IN"], ["TopicName": "news", "SubscriptionStatus": "OPT_OUT"],
                ])

            // Drift: the contact re-made by hand with other preferences.
            try await ses("DeleteContact", "DELETE", "/v2/email/contact-lists/platform/contacts/\(SigV4.uriEncode(email))")
            try await ses(
                "CreateContact", "POST", "/v2/email/contact-lists/platform/contacts",
                ["EmailAddress": .string(email), "TopicPreferences": [["TopicName": "news", "SubscriptionStatus": "OPT_IN"]]])
            #expect(try await provider.planned(created, props, tenant: t) == "update topicPreferences")

            // Replacement: the address cannot change.
            var moved = props
            moved["email"] = "owner@acme.example"
            #expect(try await provider.planned(created, moved, tenant: t) == "replace")

            // Adoption after lost state: by address in the list; a second create is refused.
            let found = await provider.importResources(ImportRequest(type: AWSResourceTypes.contact, identity: t.identity("contact"), inputs: props))
            #expect(found.resources.map(\.id) == [created.id])

            _ = try await provider.applyOK(t.delete(updated, "contact"))
            #expect(await provider.readOne(updated) == nil)
            _ = try await provider.applyOK(t.delete(updated, "contact"))
        }
    }
}

/// `[{Key, Value}]` from a tag map, as SESv2 takes tags.
func tagListValue(_ tags: [String: String]) -> Value {
    .list(tags.sorted { $0.key < $1.key }.map { ["Key": .string($0.key), "Value": .string($0.value)] })
}
