import AWSClient
import Foundation
import ProviderAPI

/// A described resource and its tags (which tell whose it is).
struct TaggedObject: Sendable {
    var object: ResourceObject
    var tags: [String: String]
}

extension AWSClient {
    /// Pages through a JSON-protocol list operation (`MaxResults` / `NextToken`), describes each
    /// listed item whose name matches, and keeps those tagged with the identity: how Cognito
    /// pools, which their list operations return without tags, are found by tag.
    func findTagged(
        _ service: AWSService, list operation: String, itemsKey: String, idKey: String, nameKey: String,
        name: String?, identity: ResourceIdentity,
        describe: (String) async throws -> TaggedObject?
    ) async throws -> [ResourceObject] {
        var found: [ResourceObject] = []
        var token: Value = .null
        repeat {
            var body: [String: Value] = ["MaxResults": 60]
            if token != .null { body["NextToken"] = token }
            let out = try await call(service, operation, body)
            for item in out[itemsKey]?.listValue ?? [] {
                guard let m = item.mapValue, let id = m[idKey]?.stringValue else { continue }
                if let name, m[nameKey]?.stringValue != name { continue }
                if let d = try await describe(id), tagsMatch(d.tags, identity) { found.append(d.object) }
            }
            token = out["NextToken"] ?? .null
        } while token != .null
        return found
    }

    /// Calls a JSON-protocol operation with a `Value` body and parses the answer.
    func call(_ service: AWSService, _ operation: String, _ body: [String: Value], retryUnanswered: Bool = true) async throws -> [String: Value] {
        let data = try await json(
            service, operation: operation, body: Data(JSON.serialize(.map(body), sortedKeys: true)), retryUnanswered: retryUnanswered)
        if data.isEmpty { return [:] }
        do {
            return try JSON.parse(Array(data)).mapValue ?? [:]
        } catch {
            throw AWSError(.unparseableResponse, message: "the \(operation) response is not JSON", service: service.signingName, operation: operation)
        }
    }
}
