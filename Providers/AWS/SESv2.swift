import AWSClient
import AWSSchema
import Foundation
import ProviderAPI

/// SES API v2 list management over REST-JSON.
extension AWSClient {
    /// Calls an SESv2 operation with a JSON body (nil: none) and parses the answer.
    func sesv2(_ operation: String, _ method: String, _ segments: [String], body: [String: Value]? = nil, query: [(String, String)] = [])
        async throws -> [String: Value]
    {
        let path = "/v2/email/" + segments.map { SigV4.uriEncode($0) }.joined(separator: "/")
        let data = try await restJSON(
            .sesv2, operation: operation, method: method, path: path, query: query,
            body: body.map { Data(JSON.serialize(.map($0), sortedKeys: true)) })
        if data.isEmpty { return [:] }
        return (try? JSON.parse(Array(data)))?.mapValue ?? [:]
    }

    /// The account id of the credentials in use (STS GetCallerIdentity), for building ARNs.
    func accountId() async throws -> String {
        let root = try await query(.sts, action: "GetCallerIdentity")
        guard let account = root.string("GetCallerIdentityResult", "Account") else {
            throw AWSError(.unparseableResponse, message: "GetCallerIdentity returned no Account", service: "sts", operation: "GetCallerIdentity")
        }
        return account
    }
}

/// `aws.sesv2_contact_list`: CreateContactList (tagged), description and topics changed in
/// place with UpdateContactList. SES allows one list per account; the schema declares that
/// quota, so the engine refuses a plan that would make a second. Found after a crash by its
/// name, adopted only when its `landlord:*` tags (ListTagsForResource) name the address.
struct ContactLists: ResourceHandler {
    let client: AWSClient
    static let type = AWSResourceTypes.contactList
    static let statuses: Set<String> = ["OPT_IN", "OPT_OUT"]

    func topics(_ inputs: Inputs) throws -> Value {
        var out: [Value] = []
        for (i, t) in (inputs.values["topics"]?.listValue ?? []).enumerated() {
            guard let m = t.mapValue, let name = m["name"]?.stringValue, !name.isEmpty else {
                throw InputError(attribute: "topics", message: "topic \(i + 1) needs a name: {name, displayName, defaultSubscriptionStatus}")
            }
            let status = (m["defaultSubscriptionStatus"]?.stringValue ?? "OPT_OUT").uppercased()
            guard Self.statuses.contains(status) else {
                throw InputError(attribute: "topics", message: "topic '\(name)': defaultSubscriptionStatus must be OPT_IN or OPT_OUT")
            }
            var topic: [String: Value] = [
                "TopicName": .string(name), "DisplayName": .string(m["displayName"]?.stringValue ?? name),
                "DefaultSubscriptionStatus": .string(status),
            ]
            if let d = m["description"]?.stringValue, !d.isEmpty { topic["Description"] = .string(d) }
            out.append(.map(topic))
        }
        return .list(out)
    }

    func create(_ request: ApplyRequest) async throws -> ResourceObject {
        let inputs = Inputs(request.inputs)
        let name = try inputs.string("name")
        var body: [String: Value] = ["ContactListName": .string(name), "Topics": try topics(inputs)]
        if let d = inputs.optionalString("description") { body["Description"] = .string(d) }
        body["Tags"] = tagList(request.identity.tags, keyName: "Key", valueName: "Value")
        do {
            _ = try await client.sesv2("CreateContactList", "POST", ["contact-lists"], body: body)
        } catch let e as AWSError where e.code == "AlreadyExistsException" || e.code == "LimitExceededException" {
            throw ProviderDiagnostic.error(
                "create \(Self.type) \(request.identity.address): the account already has a contact list",
                detail:
                    """
                    SES allows one contact list per account: use the existing list as a platform input and give each \
                    tenant an aws.sesv2_contact in it
                    """,
                attribute: "name", code: e.code)
        }
        return ResourceObject(type: Self.type, id: name, attributes: request.inputs)
    }

    func update(_ request: ApplyRequest, prior: ResourceObject) async throws -> ResourceObject {
        let inputs = Inputs(request.inputs)
        var body: [String: Value] = ["Topics": try topics(inputs)]
        body["Description"] = .string(inputs.optionalString("description") ?? "")
        _ = try await client.sesv2("UpdateContactList", "PUT", ["contact-lists", prior.id], body: body)
        return ResourceObject(type: Self.type, id: prior.id, attributes: request.inputs)
    }

    func delete(_ prior: ResourceObject) async throws {
        _ = try await unlessMissing(["NotFoundException"]) { try await client.sesv2("DeleteContactList", "DELETE", ["contact-lists", prior.id]) }
    }

    func read(_ resource: ResourceObject) async throws -> ResourceObject? { try await fetch(resource.id) }

    func fetch(_ name: String) async throws -> ResourceObject? {
        guard let out = try await unlessMissing(["NotFoundException"], { try await client.sesv2("GetContactList", "GET", ["contact-lists", name]) })
        else { return nil }
        let topics: [Value] = (out["Topics"]?.listValue ?? []).compactMap { t in
            guard let m = t.mapValue else { return nil }
            var topic: [String: Value] = [
                "name": m["TopicName"] ?? .null, "displayName": m["DisplayName"] ?? .null,
                "defaultSubscriptionStatus": m["DefaultSubscriptionStatus"] ?? .null,
            ]
            if let d = m["Description"]?.stringValue, !d.isEmpty { topic["description"] = .string(d) }
            return .map(topic)
        }
        let description = out["Description"]?.stringValue ?? ""
        let a: [String: Value] = ["name": .string(name), "description": description.isEmpty ? .null : .string(description), "topics": .list(topics)]
        return ResourceObject(type: Self.type, id: name, attributes: a)
    }

    func tags(_ name: String) async throws -> [String: String] {
        let account = try await client.accountId()
        let partition = client.region.hasPrefix("cn-") ? "aws-cn" : "aws"
        let arn = "arn:\(partition):ses:\(client.region):\(account):contact-list/\(name)"
        let out = try await client.sesv2("ListTagsForResource", "GET", ["tags"], query: [("ResourceArn", arn)])
        return tagMap(out["Tags"])
    }

    func find(_ request: ImportRequest) async throws -> [ResourceObject] {
        if let id = request.id { return try await fetch(id).map { [$0] } ?? [] }
        guard let list = try await fetch(try Inputs(request.inputs).string("name")), tagsMatch(try await tags(list.id), request.identity) else {
            return []
        }
        return [list]
    }
}

/// `aws.sesv2_contact`: a tenant's address in the platform's list. CreateContact; topic
/// preferences and attributes (sent as the JSON string `AttributesData`) change in place
/// with UpdateContact. Contacts carry no tags: the id is `LIST/EMAIL` and adoption finds the
/// contact by its address in the list. When GetContact returns no `AttributesData` the
/// recorded attributes are kept (moto 5.2.1 does not store them). After each write the contact
/// is read back once to record its `LastUpdatedTimestamp` (`lastUpdated`): a listing refresh
/// (ListContacts, which has no AttributesData) reads again only contacts whose timestamp moved.
struct Contacts: ResourceHandler {
    let client: AWSClient
    static let type = AWSResourceTypes.contact

    func key(_ inputs: Inputs) throws -> (list: String, email: String) {
        (try inputs.string("contactListName"), try inputs.string("email"))
    }

    func body(_ inputs: Inputs) throws -> [String: Value] {
        var prefs: [Value] = []
        for (topic, status) in (inputs.map("topicPreferences") ?? [:]).sorted(by: { $0.key < $1.key }) {
            let s = (status.stringValue ?? "").uppercased()
            guard ContactLists.statuses.contains(s) else {
                throw InputError(attribute: "topicPreferences", message: "topic '\(topic)': the preference must be OPT_IN or OPT_OUT")
            }
            prefs.append(["TopicName": .string(topic), "SubscriptionStatus": .string(s)])
        }
        var body: [String: Value] = ["TopicPreferences": .list(prefs), "UnsubscribeAll": false]
        if let attributes = inputs.map("attributes") { body["AttributesData"] = .string(JSON.string(.map(attributes))) }
        return body
    }

    func create(_ request: ApplyRequest) async throws -> ResourceObject {
        let inputs = Inputs(request.inputs)
        let (list, email) = try key(inputs)
        var b = try body(inputs)
        b["EmailAddress"] = .string(email)
        do {
            _ = try await client.sesv2("CreateContact", "POST", ["contact-lists", list, "contacts"], body: b)
        } catch let e as AWSError where e.code == "AlreadyExistsException" {
            throw ProviderDiagnostic.error(
                "create \(Self.type) \(request.identity.address): \(email) is already in list \(list)",
                detail: "import it (`landlord import`) or use another address", attribute: "email", code: e.code)
        }
        return try await written(request.inputs, list: list, email: email)
    }

    /// The inputs plus `lastUpdated`: the timestamp GetContact reports right after the write,
    /// kept only when the contact reads back as written (a change made by someone else in
    /// between leaves it unset, so the next listing refresh reads the contact in full).
    func written(_ inputs: [String: Value], list: String, email: String) async throws -> ResourceObject {
        var a = inputs
        if let now = try await fetch(list: list, email: email), let stamp = now.attributes["lastUpdated"],
            (now.attributes["topicPreferences"]?.revealed ?? .map([:])) == Self.preferences(Inputs(inputs)),
            now.attributes["attributes"].map({ $0.revealed == (inputs["attributes"]?.revealed ?? .map([:])) }) ?? true
        {
            a["lastUpdated"] = stamp
        }
        return ResourceObject(type: Self.type, id: "\(list)/\(email)", attributes: a)
    }

    /// Topic preferences as GetContact and ListContacts report them (upper-cased statuses).
    static func preferences(_ inputs: Inputs) -> Value {
        .map((inputs.map("topicPreferences") ?? [:]).mapValues { .string(($0.stringValue ?? "").uppercased()) })
    }

    /// A LastUpdatedTimestamp as recorded: the JSON text of what SES returned (epoch seconds).
    static func stamp(_ v: Value?) -> Value {
        guard let v, v != .null else { return .null }
        return .string(v.stringValue ?? JSON.string(v))
    }

    func update(_ request: ApplyRequest, prior: ResourceObject) async throws -> ResourceObject {
        let inputs = Inputs(request.inputs)
        let (list, email) = try key(inputs)
        var b = try body(inputs)
        if b["AttributesData"] == nil { b["AttributesData"] = "{}" }
        _ = try await client.sesv2("UpdateContact", "PUT", ["contact-lists", list, "contacts", email], body: b)
        return try await written(request.inputs, list: list, email: email)
    }

    func delete(_ prior: ResourceObject) async throws {
        let (list, email) = try key(Inputs(prior.attributes))
        _ = try await unlessMissing(["NotFoundException"]) {
            try await client.sesv2("DeleteContact", "DELETE", ["contact-lists", list, "contacts", email])
        }
    }

    func read(_ resource: ResourceObject) async throws -> ResourceObject? {
        let (list, email) = try key(Inputs(resource.attributes))
        return try await fetch(list: list, email: email)
    }

    func fetch(list: String, email: String) async throws -> ResourceObject? {
        guard
            let out = try await unlessMissing(
                ["NotFoundException"], { try await client.sesv2("GetContact", "GET", ["contact-lists", list, "contacts", email]) })
        else { return nil }
        var prefs: [String: Value] = [:]
        for p in out["TopicPreferences"]?.listValue ?? [] {
            if let m = p.mapValue, let topic = m["TopicName"]?.stringValue { prefs[topic] = m["SubscriptionStatus"] ?? .null }
        }
        var a: [String: Value] = [
            "contactListName": .string(list), "email": .string(email), "topicPreferences": .map(prefs),
            "lastUpdated": Self.stamp(out["LastUpdatedTimestamp"]),
        ]
        if let data = out["AttributesData"]?.stringValue {
            a["attributes"] = (try? JSON.parse(data)).flatMap { $0.mapValue.map(Value.map) } ?? .map([:])
        }
        return ResourceObject(type: Self.type, id: "\(list)/\(email)", attributes: a)
    }

    func find(_ request: ImportRequest) async throws -> [ResourceObject] {
        var inputs = request.inputs
        if let id = request.id, let slash = id.firstIndex(of: "/") {
            inputs["contactListName"] = .string(String(id[..<slash]))
            inputs["email"] = .string(String(id[id.index(after: slash)...]))
        }
        let (list, email) = try key(Inputs(inputs))
        return try await fetch(list: list, email: email).map { [$0] } ?? []
    }
}

/// Lists the account's contact lists (ListContactLists), so the one-list quota counts a list
/// made outside Landlord, such as the platform's.
extension AWSProvider: QuotaReadingProvider {
    public func existingResources(type: String) async -> ExistingResources {
        guard type == AWSResourceTypes.contactList else { return ExistingResources(ids: []) }
        if let problem = configurationProblem { return ExistingResources(ids: [], diagnostics: [problem]) }
        guard let client else { return ExistingResources(ids: []) }
        var ids = Set<String>()
        var token: String?
        do {
            repeat {
                var query = [("PageSize", "100")]
                if let token { query.append(("NextToken", token)) }
                let out = try await client.sesv2("ListContactLists", "GET", ["contact-lists"], query: query)
                for item in out["ContactLists"]?.listValue ?? [] {
                    if let name = item.mapValue?["ContactListName"]?.stringValue { ids.insert(name) }
                }
                token = out["NextToken"]?.stringValue
            } while token != nil
        } catch {
            return ExistingResources(ids: [], diagnostics: [diagnostic(error, action: "list", type: type, address: "the account's contact lists")])
        }
        return ExistingResources(ids: ids)
    }
}
