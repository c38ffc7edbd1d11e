import Foundation
import LandlordHTTP
import ProviderAPI
import StripeSchema

/// `landlord adopt` for Stripe customers made outside Landlord: customers are listed once a
/// lookup call (`GET /v1/customers`, page by page; localstripe has no search) and matched by
/// email; an adopted customer is tagged with the `landlord:*` metadata keys.
extension StripeProvider: AdoptingProvider {
    public func lookUp(_ lookups: [KeyLookup]) async -> KeyLookupResponse {
        let h: StripeCustomers
        switch handler(StripeResourceTypes.customer) {
        case .failure(let d): return KeyLookupResponse(matches: lookups.map { _ in [] }, diagnostics: [d])
        case .success(let found): h = found
        }
        var byEmail: [String: [[String: Value]]] = [:]
        var calls = 0
        var after: String?
        do {
            repeat {
                var query = [("limit", String(StripeCustomers.pageSize))]
                if let after { query.append(("starting_after", after)) }
                let page = try await h.client.call("GET", "/v1/customers", query: query) ?? [:]
                calls += 1
                let data = page["data"]?.listValue ?? []
                for item in data {
                    guard let c = item.mapValue, c["deleted"]?.boolValue != true, let email = c["email"]?.stringValue else { continue }
                    byEmail[email.lowercased(), default: []].append(c)
                }
                after = page["has_more"]?.boolValue == true ? data.last?.mapValue?["id"]?.stringValue : nil
            } while after != nil
        } catch {
            return KeyLookupResponse(
                matches: lookups.map { _ in [] }, diagnostics: [diagnostic(error, action: "list", subject: "Stripe customers")], calls: calls)
        }
        let matches = lookups.map { l -> [KeyMatch] in
            let found = byEmail[(l.key["email"]?.stringValue ?? "").lowercased()] ?? []
            return found.map { doc in
                KeyMatch(
                    resource: h.object(doc, like: l.inputs),
                    owner: doc["metadata"]?.mapValue?[LandlordTag.address]?.stringValue)
            }.sorted { $0.resource.id < $1.resource.id }
        }
        return KeyLookupResponse(matches: matches, calls: calls)
    }

    public func tag(_ resource: ResourceObject, identity: ResourceIdentity) async -> [ProviderDiagnostic] {
        let h: StripeCustomers
        switch handler(resource.type) {
        case .failure(let d): return [d]
        case .success(let found): h = found
        }
        do {
            guard let doc = try await h.fetch(resource.id) else {
                return [.error("\(resource.type) \(resource.id) no longer exists", detail: "run adopt again", code: "NotFound")]
            }
            if let owner = doc["metadata"]?.mapValue?[LandlordTag.address]?.stringValue, owner != identity.address {
                return [.error("\(resource.type) \(resource.id) is tagged for \(owner)", detail: "it is not adopted", code: "OwnedElsewhere")]
            }
            let form = identity.tags.sorted { $0.key < $1.key }.map { ("metadata[\($0.key)]", $0.value) }
            _ = try await h.client.call("POST", "/v1/customers/\(PercentEncoding.encode(resource.id))", form: form)
            return []
        } catch {
            return [diagnostic(error, action: "tag", subject: "\(resource.type) \(identity.address)")]
        }
    }
}
