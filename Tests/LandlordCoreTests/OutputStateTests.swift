import Foundation
import ProviderAPI
import Testing

@testable import LandlordCore

/// `TenantState.outputs` in state documents and journal entries: kept, sensitive ones sealed.
@Suite struct OutputStateTests {
    static let key = Data(repeating: 7, count: 32).base64EncodedString()

    func state() -> TenantState {
        var s = TenantState(tenant: "acme", blueprint: "saas")
        s.outputs = ["url": "https://acme.example.com", "replicas": 2, "secret": .sensitive("hunter2")]
        return s
    }

    @Test func outputsRoundTripThroughTheDocumentAndSecretsAreSealed() throws {
        let cipher = try StateCipher(base64: Self.key, source: "test")
        let bytes = state().encoded(cipher: cipher)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("https://acme.example.com"))
        #expect(!text.contains("hunter2"), "a sensitive output is sealed in the document")
        let back = try TenantState.decode(bytes, cipher: cipher, what: "acme")
        #expect(back.outputs == state().outputs)
    }

    @Test func aDocumentWithoutOutputsHasNoOutputsKey() throws {
        let text = String(decoding: TenantState(tenant: "a", blueprint: "b").encoded(cipher: nil), as: UTF8.self)
        #expect(!text.contains("\"outputs\""), "documents of blueprints without outputs keep their shape")
    }

    @Test func theOutputsChangeReplaysFromTheJournal() throws {
        var s = TenantState(tenant: "acme", blueprint: "saas")
        s.outputs = ["old": "gone"]
        let change = StateChange.outputs(state().outputs)
        let entry = JournalEntry(change, of: s)
        let cipher = try StateCipher(base64: Self.key, source: "test")
        let bytes = entry.encoded(cipher: cipher)
        #expect(!String(decoding: bytes, as: UTF8.self).contains("hunter2"))
        let decoded = try #require(try JournalEntry.decode(bytes, cipher: cipher, what: "journal"))
        decoded.change.apply(to: &s)
        #expect(s.outputs == state().outputs, "the change replaces every output")
    }
}
