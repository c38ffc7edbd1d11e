import AWSClient
import Foundation
import LandlordCore

/// How a conditional write ended.
enum WriteOutcome: Sendable {
    /// Written; the object's new ETag.
    case written(String?)
    /// The condition failed: the object changed, appeared or disappeared since it was read.
    case lostRace
}

/// Object reads and writes with errors turned into `StateError`s that say what to do.
extension S3StateStore {
    func get(_ key: String) async throws -> S3Object? {
        try await call("read", key) { try await client.s3GetObject(bucket: bucket, key: key) }
    }

    /// A conditional PutObject. 412 PreconditionFailed and 409 ConditionalRequestConflict (a
    /// concurrent conditional write) are a lost race, as is 404 for `If-Match` on a deleted key,
    /// unless the object now holds exactly `body`: then the race was lost to this very write.
    /// When an attempt's answer is lost (a connection closed or reset after S3 took the write)
    /// the client sends the write again, and its condition fails against the first attempt's
    /// object; reading back tells the two apart, so a run never conflicts with itself nor waits
    /// for its own lock until the lease runs out.
    func put(_ key: String, _ body: Data, _ condition: S3WriteCondition, metadata: [String: String] = [:]) async throws -> WriteOutcome {
        defer { forgetListing() }
        do {
            return .written(try await client.s3PutObject(bucket: bucket, key: key, body: body, condition: condition, metadata: metadata))
        } catch let error as StateError {
            throw error
        } catch let error as AWSError where Self.isLostRace(error, condition: condition) {
            if let current = try await get(key), current.body == body { return .written(current.etag) }
            return .lostRace
        } catch {
            throw stateError(error, doing: "write", key: key)
        }
    }

    /// Deletes `key`, only if its ETag is still `ifMatch` when given. Throws
    /// `StateError.conflict` when it changed. A failed condition on an object that is gone is
    /// success: a delete sent again after its answer was lost finds its own work done.
    func delete(_ key: String, ifMatch: String?, what: String) async throws {
        defer { forgetListing() }
        do {
            try await client.s3DeleteObject(bucket: bucket, key: key, ifMatch: ifMatch)
        } catch let error as StateError {
            throw error
        } catch let error as AWSError where ifMatch != nil && Self.isLostRace(error, condition: .ifMatch("")) {
            if error.status == 404 { return }  // already gone
            if try await get(key) == nil { return }
            throw StateError.conflict("\(what) at \(uri(key)) was changed by another run; it was not deleted")
        } catch let error as AWSError where ifMatch != nil && (error.code == "NotImplemented" || error.status == 501) {
            // An S3-compatible store without conditional deletes: the caller has just read the
            // object and checked it, so delete it plainly.
            try await call("delete", key) { try await client.s3DeleteObject(bucket: bucket, key: key) }
        } catch {
            throw stateError(error, doing: "delete", key: key)
        }
    }

    static func isLostRace(_ error: AWSError, condition: S3WriteCondition) -> Bool {
        if error.status == 412 || error.code == "PreconditionFailed" { return true }
        if error.status == 409 && error.code == "ConditionalRequestConflict" { return true }
        if case .ifMatch = condition, error.code == "NoSuchKey" { return true }
        return false
    }

    /// Runs an S3 call, turning its failure into a `StateError` naming the object.
    func call<T>(_ doing: String, _ key: String, _ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let error as StateError { throw error } catch { throw stateError(error, doing: doing, key: key) }
    }

    func stateError(_ error: any Error, doing: String, key: String) -> StateError {
        let target = uri(key)
        guard let aws = error as? AWSError else { return .io("could not \(doing) \(target): \(error). Check the S3 endpoint and run again") }
        switch aws.code {
        case "NoSuchBucket":
            return .io(
                "the state bucket '\(bucket)' does not exist: create it with versioning on "
                    + "(`aws s3api create-bucket --bucket \(bucket)` then "
                    + "`aws s3api put-bucket-versioning --bucket \(bucket) --versioning-configuration Status=Enabled`), "
                    + "or fix `state: {bucket: ...}` in platform.yaml")
        case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken":
            return .io(
                "could not \(doing) \(target): \(aws.code) \(aws.message). Give these credentials s3:GetObject, s3:PutObject, s3:DeleteObject "
                    + "and s3:ListBucket on arn:aws:s3:::\(bucket) and arn:aws:s3:::\(bucket)/\(base)*, or fix AWS_PROFILE / AWS_ACCESS_KEY_ID")
        case "PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException":
            return .io(
                """
                could not \(doing) \(target): the bucket is in another region (\(aws.message)). Set `state: \
                {region: ...}` in platform.yaml to the bucket's region
                """
            )
        default:
            return .io("could not \(doing) \(target): \(aws). State already written is intact; check the network and the endpoint, then run again")
        }
    }

    /// A document that does not parse: reported with how to restore an earlier version.
    func damaged(_ key: String, _ message: String) -> StateError {
        .io(
            "state object \(uri(key)) is damaged: \(message). Nothing was changed. "
                + "If the bucket is versioned, list its earlier versions with `aws s3api list-object-versions --bucket \(bucket) --prefix \(key)` "
                + "and restore the last good one with "
                + "`aws s3api copy-object --bucket \(bucket) --key \(key) --copy-source '\(bucket)/\(key)?versionId=ID'`; "
                + "otherwise restore it from your backups")
    }
}
