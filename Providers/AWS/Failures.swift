import AWSClient
import Foundation
import ProviderAPI

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
