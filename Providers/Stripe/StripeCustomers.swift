import Foundation
import LandlordHTTP
import ProviderAPI
import StripeSchema

/// `stripe.customer` over `/v1/customers`.
struct StripeCustomers: ResourceLifecycle {
    let client: StripeClient
    /// The environment variable the key came from, for messages about the key.
    let keyVariable: String
    /// Customers by their landlord tags, listed once and shared by a run's adoption lookups.
    let index = CustomerIndex()
    /// Customers per page when listing (Stripe's largest page).
    static let pageSize = 100
    /// The scalar attributes sent as form fields as they are.
    static let fields = ["email", "name", "description"]

    /// The `Idempotency-Key` of a create: derived from the client token the engine recorded
    /// with the intent, so every retry of this create (and real Stripe's 24-hour replay) makes
    /// one customer.
    static func idempotencyKey(_ request: ApplyRequest) -> String { "landlord-\(request.operation.rawValue)-\(request.clientToken)" }

    func create(_ request: ApplyRequest) async throws -> ResourceObject {
        try check(request)
        var form: [(String, String)] = []
        for f in Self.fields {
            if let text = request.inputs[f]?.revealed.interpolationText, !text.isEmpty { form.append((f, text)) }
        }
        let metadata = StripeCustomerRules.metadata(request.inputs, identity: request.identity)
        for (k, v) in metadata.sorted(by: { $0.key < $1.key }) { form.append(("metadata[\(k)]", v)) }
        let doc = try await client.call("POST", "/v1/customers", form: form, idempotencyKey: Self.idempotencyKey(request))
        return object(doc ?? [:], like: request.inputs)
    }

    func update(_ request: ApplyRequest, prior: ResourceObject) async throws -> ResourceObject {
        try check(request)
        var form: [(String, String)] = []
        // Every field the spec sets is sent, changed or not: `prior` is the recorded object,
        // and a value changed outside Landlord (drift) must be put back although the record
        // still shows the spec's value. A field the spec dropped is sent empty, which unsets it.
        for f in Self.fields {
            let new = request.inputs[f]?.revealed.interpolationText ?? ""
            let old = prior.attributes[f]?.revealed.interpolationText ?? ""
            if !new.isEmpty || !old.isEmpty { form.append((f, new)) }
        }
        let metadata = StripeCustomerRules.metadata(request.inputs, identity: request.identity)
        // Stripe merges the metadata of an update into the customer's: a key is removed only by
        // sending it empty. Keys to remove are those recorded and those the customer holds now
        // (one added outside Landlord is drift: the recorded object does not know it).
        var held = Set(prior.attributes["metadata"]?.revealed.mapValue?.keys.map { $0 } ?? [])
        if let current = try await fetch(prior.id)?["metadata"]?.mapValue { held.formUnion(current.keys) }
        let removed = held.filter { metadata[$0] == nil && !$0.hasPrefix(StripeCustomerRules.reservedPrefix) }
        // The landlord:* keys go with every update, so an adopted customer carries them too.
        for (k, v) in metadata.sorted(by: { $0.key < $1.key }) { form.append(("metadata[\(k)]", v)) }
        for k in removed.sorted() { form.append(("metadata[\(k)]", "")) }  // an empty value deletes the key
        let doc = try await client.call(
            "POST", "/v1/customers/\(PercentEncoding.encode(prior.id))", form: form, idempotencyKey: Self.idempotencyKey(request))
        return object(doc ?? [:], like: request.inputs)
    }

    func delete(_ prior: ResourceObject) async throws {
        // A customer already gone (404) is deleted.
        _ = try await client.call("DELETE", "/v1/customers/\(PercentEncoding.encode(prior.id))", missingIsNil: true)
        await index.forget(prior.id)
    }

    /// The customer's JSON; nil when it is gone (404, or `{"deleted": true}`).
    func fetch(_ id: String) async throws -> [String: Value]? {
        guard let doc = try await client.call("GET", "/v1/customers/\(PercentEncoding.encode(id))", missingIsNil: true),
            doc["deleted"]?.boolValue != true
        else { return nil }
        return doc
    }

    /// The customer as Stripe has it; nil when it is gone.
    func read(_ resource: ResourceObject) async throws -> ResourceObject? {
        try await fetch(resource.id).map { object($0, like: resource.attributes, reportCleared: true) }
    }

    /// By id when given; else every customer whose `landlord:*` metadata names this address
    /// and platform, found by listing every page (localstripe has no search endpoint, and
    /// Stripe's lags writes by up to a minute where listing does not). The listing is shared
    /// by the lookups of a run (`CustomerIndex`); each candidate is read back, so a customer
    /// deleted or re-tagged since is never adopted.
    func find(_ request: ImportRequest) async throws -> [ResourceObject] {
        if let id = request.id {
            return try await read(ResourceObject(type: request.type, id: id, attributes: request.inputs)).map { [$0] } ?? []
        }
        let identity = request.identity
        let client = self.client
        let candidates = try await index.lookup(CustomerIndex.key(platform: identity.platform, address: identity.address)) {
            try await Self.listAll(client)
        }
        var found: [ResourceObject] = []
        for id in candidates {
            guard let doc = try await fetch(id), let meta = doc["metadata"]?.mapValue,
                meta[LandlordTag.address]?.stringValue == identity.address, meta[LandlordTag.platform]?.stringValue == identity.platform
            else { continue }
            found.append(object(doc, like: request.inputs))
        }
        return found.sorted { $0.id < $1.id }
    }

    /// Every customer with `landlord:*` metadata, by `CustomerIndex.key`, listed page by page
    /// (`GET /v1/customers?limit=100&starting_after=LAST`).
    static func listAll(_ client: StripeClient) async throws -> [String: [String]] {
        var out: [String: [String]] = [:]
        var after: String?
        while true {
            var query = [("limit", String(pageSize))]
            if let after { query.append(("starting_after", after)) }
            let page = try await client.call("GET", "/v1/customers", query: query) ?? [:]
            let data = page["data"]?.listValue ?? []
            for item in data {
                guard let c = item.mapValue, c["deleted"]?.boolValue != true, let id = c["id"]?.stringValue,
                    let meta = c["metadata"]?.mapValue, let address = meta[LandlordTag.address]?.stringValue,
                    let platform = meta[LandlordTag.platform]?.stringValue
                else { continue }
                out[CustomerIndex.key(platform: platform, address: address), default: []].append(id)
            }
            guard page["has_more"]?.boolValue == true, let last = data.last?.mapValue?["id"]?.stringValue else { break }
            after = last
        }
        return out
    }

    func check(_ request: ApplyRequest) throws {
        if let first = StripeCustomerRules.problems(request.inputs, identity: request.identity).first { throw first }
    }

    /// What Stripe holds, as the spec wrote it when the text is the same (an int stays an int),
    /// and sensitive whenever the spec's value was.
    static func held(_ text: String, wrote: Value?) -> Value {
        guard let wrote else { return .string(text) }
        if wrote.revealed.interpolationText == text { return wrote }
        return wrote.isSensitive ? .sensitive(.string(text)) : .string(text)
    }

    /// A customer's JSON as a resource: `id`, the scalar fields Stripe holds, and the spec's
    /// metadata (Landlord's keys left out), each value kept as the spec wrote it when Stripe
    /// holds the same text (a spec's `3` is Stripe's `"3"`). `reportCleared`: a field the spec
    /// set that Stripe no longer holds reads as null, so drift shows.
    func object(_ doc: [String: Value], like spec: [String: Value], reportCleared: Bool = false) -> ResourceObject {
        let id = doc["id"]?.stringValue ?? ""
        var attrs: [String: Value] = ["id": .string(id)]
        for f in Self.fields {
            if let text = doc[f]?.stringValue, !text.isEmpty {
                attrs[f] = Self.held(text, wrote: spec[f])
            } else if let wrote = spec[f] {
                // Stripe holds no empty text: a spec's "" is as written; a value it lost was cleared.
                if wrote.revealed.interpolationText.isEmpty {
                    attrs[f] = wrote
                } else if reportCleared {
                    attrs[f] = .null
                }
            }
        }
        let held = (doc["metadata"]?.mapValue ?? [:]).compactMapValues { $0.stringValue }.filter {
            !$0.key.hasPrefix(StripeCustomerRules.reservedPrefix) && !$0.value.isEmpty  // localstripe keeps removed keys as ""
        }
        var wrote = spec["metadata"]?.mapValue
        // A sensitive map: every value in it is.
        if case .sensitive = spec["metadata"] { wrote = wrote?.mapValues { $0.isSensitive ? $0 : .sensitive($0) } }
        if !held.isEmpty || wrote != nil {
            var meta: [String: Value] = [:]
            for (k, text) in held { meta[k] = Self.held(text, wrote: wrote?[k]) }
            // A key the spec set to "" is no key on Stripe: it is as written.
            for (k, v) in wrote ?? [:] where v.revealed.interpolationText.isEmpty && held[k] == nil { meta[k] = v }
            attrs["metadata"] = .map(meta)
        }
        return ResourceObject(type: StripeResourceTypes.customer, id: id, attributes: attrs)
    }
}
