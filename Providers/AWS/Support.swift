import AWSClient
import Foundation
import ProviderAPI

/// A problem with a request's inputs, raised before any call is made.
struct InputError: Error {
    var attribute: String
    var message: String
}

/// Typed access to an apply request's inputs (sensitive markers removed for sending).
struct Inputs {
    let values: [String: Value]
    init(_ values: [String: Value]) { self.values = values.mapValues(\.revealed) }

    func has(_ key: String) -> Bool {
        guard let v = values[key] else { return false }
        return v != .null
    }

    func string(_ key: String) throws -> String {
        guard let s = values[key]?.stringValue ?? values[key].flatMap({ $0.intValue.map(String.init) }), !s.isEmpty else {
            throw InputError(attribute: key, message: "'\(key)' is required and must be a non-empty string")
        }
        return s
    }

    func optionalString(_ key: String) -> String? {
        guard let s = values[key]?.stringValue, !s.isEmpty else { return nil }
        return s
    }

    func int(_ key: String) throws -> Int {
        guard let i = values[key]?.intValue else { throw InputError(attribute: key, message: "'\(key)' is required and must be an integer") }
        return i
    }

    func optionalInt(_ key: String) -> Int? { values[key]?.intValue }
    func optionalBool(_ key: String) -> Bool? { values[key]?.boolValue }
    func strings(_ key: String) -> [String] { values[key]?.listValue?.compactMap { $0.stringValue ?? $0.intValue.map(String.init) } ?? [] }
    func map(_ key: String) -> [String: Value]? { values[key]?.mapValue }
}

/// The resource name part of an address `TENANT/NAME`.
func resourceName(_ identity: ResourceIdentity) -> String {
    identity.address.split(separator: "/").last.map(String.init) ?? identity.address
}

/// True when `tags` carry exactly this identity's address and platform.
func tagsMatch(_ tags: [String: String], _ identity: ResourceIdentity) -> Bool {
    tags[LandlordTag.address] == identity.address && tags[LandlordTag.platform] == identity.platform
}

extension AWSClient {
    /// Pages through a JSON-protocol list operation (`MaxResults` / `NextToken`), describes each
    /// listed item whose name matches, and keeps those tagged with the identity: how Cognito
    /// pools, which their list operations return without tags, are found by tag.
    func findTagged(
        _ service: AWSService, list operation: String, itemsKey: String, idKey: String, nameKey: String,
        name: String?, identity: ResourceIdentity,
        describe: (String) async throws -> (ResourceObject, [String: String])?
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
                if let (object, tags) = try await describe(id), tagsMatch(tags, identity) { found.append(object) }
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

/// Query-protocol parameter building (`Tags.member.1.Key`).
struct QueryParams {
    var values: [String: String] = [:]
    subscript(_ key: String) -> String? {
        get { values[key] }
        set { values[key] = newValue }
    }
    mutating func tags(_ tags: [String: String], prefix: String = "Tags.member") {
        for (i, (k, v)) in tags.sorted(by: { $0.key < $1.key }).enumerated() {
            values["\(prefix).\(i + 1).Key"] = k
            values["\(prefix).\(i + 1).Value"] = v
        }
    }
    mutating func list(_ prefix: String, _ items: [String]) {
        for (i, item) in items.enumerated() { values["\(prefix).\(i + 1)"] = item }
    }
}

/// `[{key|Key, value|Value}]` from a tag map.
func tagList(_ tags: [String: String], keyName: String = "key", valueName: String = "value") -> Value {
    .list(tags.sorted { $0.key < $1.key }.map { .map([keyName: .string($0.key), valueName: .string($0.value)]) })
}

/// A tag map from `[{key, value}]` (either capitalisation).
func tagMap(_ list: Value?) -> [String: String] {
    var out: [String: String] = [:]
    for item in list?.listValue ?? [] {
        let m = item.mapValue ?? [:]
        if let k = (m["key"] ?? m["Key"])?.stringValue { out[k] = (m["value"] ?? m["Value"])?.stringValue ?? "" }
    }
    return out
}

/// Turns a failure into a diagnostic with a next step. Never includes input values.
func diagnostic(_ error: Error, action: String, type: String, address: String) -> ProviderDiagnostic {
    if let e = error as? InputError {
        return .error(
            "\(action) \(type) \(address): invalid '\(e.attribute)'", detail: "\(e.message); fix it in the blueprint and run plan again",
            attribute: e.attribute, code: "InvalidInput")
    }
    if let d = error as? ProviderDiagnostic { return d }
    guard let e = error as? AWSError else {
        return .error("\(action) \(type) \(address) failed", detail: "\(error); run plan again to see the resource's current state")
    }
    let hint: String
    switch e.code {
    case _ where e.isThrottling:
        hint = "AWS kept throttling after retries with backoff; rerun apply later or lower --parallelism"
    case AWSError.LocalFault.transport.rawValue:
        hint = "no answer from the \(e.service) endpoint; check the network, AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_* and rerun"
    case AWSError.LocalFault.lostAnswer.rawValue:
        hint =
            "the create was sent but its answer was lost, so it may exist without Landlord knowing its id (AWS would make a second one if it were "
            + "sent again); rerun apply: the next run finds it by its tags or name and adopts it"
    case AWSError.LocalFault.configuration.rawValue:
        hint = "fix the AWS configuration and rerun"
    case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "NotAuthorizedException", "UnrecognizedClientException",
        "InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException":
        hint = "the AWS credentials in use may not call \(e.service):\(e.operation); check AWS_PROFILE / AWS_ACCESS_KEY_ID and the IAM policy"
    case "DuplicateTargetGroupName":
        hint = "a target group with this name already exists with other settings; import it with `landlord import` or choose another name"
    case "PriorityInUse":
        hint = "another rule on the listener holds this priority; use `priority: auto` or pick a free one"
    case "TooManyTargetGroups", "TooManyRules", "LimitExceededException", "LimitExceeded":
        hint = "an AWS quota is reached; add a listener to the pool, remove unused resources or ask AWS for a higher quota"
    case "ResourceInUse", "ResourceInUseException":
        hint =
            "something still uses this resource; delete its dependents first (the engine orders deletes by dependency, so rerun once they are gone)"
    case "DeleteConflict":
        hint =
            "the role still has managed policies attached or sits in an instance profile, made outside Landlord; detach or remove them, then rerun"
    case "ConditionalCheckFailedException":
        hint = "the item's existence differs from what state says: run `landlord plan --refresh` (or import the existing item) before applying"
    default:
        hint = e.isRetryable ? "a transient AWS fault; rerun apply" : "fix the inputs the message names and run plan again"
    }
    let trimmed = e.message.trimmingCharacters(in: .whitespacesAndNewlines)
    let message = trimmed.isEmpty ? "" : trimmed.hasSuffix(".") ? "\(trimmed) " : "\(trimmed). "
    return .error(
        "\(action) \(type) \(address) failed: \(e.code) from \(e.service) \(e.operation)", detail: message + hint, code: e.code,
        retryable: e.isRetryable)
}

/// `body`'s result, or nil when AWS answers with one of `codes`: the one shape of "not found
/// means gone" (a delete of what is already deleted, a read of what is no longer there).
func unlessMissing<T>(_ codes: Set<String>, _ body: () async throws -> T) async throws -> T? {
    do { return try await body() } catch let e as AWSError where codes.contains(e.code) { return nil }
}
