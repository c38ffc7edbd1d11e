import AWSClient
import Foundation
import LandlordCore
import LandlordS3State
import Synchronization
import Testing

/// An in-memory S3 bucket behind `HTTPTransport` (path-style GET, PUT and DELETE with
/// `If-Match` and `If-None-Match: *`) that can lose answers: a request `losesAnswer` picks
/// takes effect, then the caller gets a transport error instead of the answer, the way a
/// connection closed or reset after the server did the work looks to a client.
final class LossyS3: HTTPTransport {
    private struct Bucket {
        var objects: [String: (body: Data, etag: String)] = [:]
        var version = 0
        /// Answers still to lose, by method.
        var toLose: [String: Int] = [:]
        var requests: [String] = []
    }
    private let bucket = Mutex(Bucket())

    /// Loses the answers of the next `count` requests with `method` (after they took effect).
    func loseAnswers(of method: String, count: Int = 1) { bucket.withLock { $0.toLose[method, default: 0] += count } }

    /// Every request so far, as `METHOD key`.
    var requests: [String] { bucket.withLock { $0.requests } }

    /// Writes `body` at `key` as another client would.
    func store(_ key: String, _ body: Data) {
        bucket.withLock {
            $0.version += 1
            $0.objects[key] = (body, "\"v\($0.version)\"")
        }
    }

    func body(_ key: String) -> Data? { bucket.withLock { $0.objects[key]?.body } }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        // Path-style: /BUCKET/KEY.
        let key = request.path.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: true).dropFirst().first.map {
            String($0).removingPercentEncoding ?? String($0)
        }
        let (answer, lost): (HTTPResponse, Bool) = bucket.withLock { b in
            b.requests.append("\(request.method) \(key ?? "")")
            let answer = Self.handle(request, key ?? "", &b)
            let lose = (b.toLose[request.method] ?? 0) > 0
            if lose { b.toLose[request.method]! -= 1 }
            return (answer, lose)
        }
        if lost { throw TransportError("connection closed by peer after the request (answer lost on purpose)") }
        return answer
    }

    private static func handle(_ request: HTTPRequest, _ key: String, _ b: inout Bucket) -> HTTPResponse {
        let current = b.objects[key]
        let ifMatch = request.header("If-Match")
        let ifNoneMatch = request.header("If-None-Match")
        switch request.method {
        case "GET":
            guard let current else { return error(404, "NoSuchKey") }
            return HTTPResponse(status: 200, headers: ["ETag": current.etag], body: current.body)
        case "PUT":
            if let ifMatch, current?.etag != ifMatch { return error(current == nil ? 404 : 412, current == nil ? "NoSuchKey" : "PreconditionFailed") }
            if ifNoneMatch == "*", current != nil { return error(412, "PreconditionFailed") }
            b.version += 1
            let etag = "\"v\(b.version)\""
            b.objects[key] = (request.body, etag)
            return HTTPResponse(status: 200, headers: ["ETag": etag])
        case "DELETE":
            // Like S3 for a conditional delete of an object that is gone: the condition fails.
            if let ifMatch, current?.etag != ifMatch { return error(412, "PreconditionFailed") }
            b.objects[key] = nil
            return HTTPResponse(status: 204)
        default:
            return error(405, "MethodNotAllowed")
        }
    }

    private static func error(_ status: Int, _ code: String) -> HTTPResponse {
        HTTPResponse(status: status, body: Data("<Error><Code>\(code)</Code><Message>\(code)</Message></Error>".utf8))
    }
}

/// Conditional writes whose answer was lost, then retried: each finds its own write by reading
/// back, so none reports a conflict with itself or waits for its own lock.
@Suite(.timeLimit(.minutes(1)))
struct LostAnswerTests {
    let s3 = LossyS3()
    let key = "fleet/tenants/acme.json"

    func store() throws -> S3StateStore {
        let env = [
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1", "HOME": "/nonexistent",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        ]
        let client = AWSClient(
            configuration: try AWSConfiguration.resolve(environment: env), transport: s3,
            retry: RetryPolicy(maxAttempts: 4, baseDelay: 0.001, maxDelay: 0.01, maxTotalTime: 3600))
        return S3StateStore(client: client, bucket: "state", prefix: "fleet")
    }

    @Test func aCreateWhoseAnswerWasLostIsNotAConflict() async throws {
        let store = try store()
        s3.loseAnswers(of: "PUT")
        try await store.saveTenant(tenantState("acme"))
        #expect(s3.requests.filter { $0 == "PUT \(key)" }.count == 2)  // sent, answer lost, sent again: 412
        // The ETag it read back is the one it replaces next time.
        var next = tenantState("acme", image: "backend:2")
        next.serial = 2
        try await store.saveTenant(next)
        #expect(try await store.loadTenant("acme")?.serial == 2)
    }

    @Test func anUpdateWhoseAnswerWasLostIsNotAConflict() async throws {
        let store = try store()
        try await store.saveTenant(tenantState("acme"))
        var next = tenantState("acme", image: "backend:2")
        next.serial = 2
        s3.loseAnswers(of: "PUT")
        try await store.saveTenant(next)
        #expect(try await store.loadTenant("acme")?.serial == 2)
    }

    @Test func anotherRunsWriteIsStillAConflict() async throws {
        let store = try store()
        try await store.saveTenant(tenantState("acme"))
        var theirs = tenantState("acme", image: "backend:theirs")
        theirs.serial = 5
        s3.store(key, Data(theirs.encoded(cipher: nil)))
        var mine = tenantState("acme", image: "backend:2")
        mine.serial = 2
        await #expect(throws: StateError.self) { try await store.saveTenant(mine) }
        #expect(s3.body(key) == Data(theirs.encoded(cipher: nil)))
    }

    @Test func aLockWhoseAnswerWasLostIsHeldAtOnce() async throws {
        let store = try store()
        let holder = LockHolder(operation: .apply)
        s3.loseAnswers(of: "PUT")
        // A 0 s timeout: waiting for its own lock would throw `locked` here instead.
        let diagnostics = try await store.acquireLock(tenant: "acme", holder: holder, lease: 300, timeout: 0)
        #expect(diagnostics.isEmpty)
        #expect(try await store.lockInfo(tenant: "acme")?.holder.id == holder.id)
    }

    @Test func aRenewalWhoseAnswerWasLostKeepsTheLock() async throws {
        let store = try store()
        let holder = LockHolder(operation: .apply)
        _ = try await store.acquireLock(tenant: "acme", holder: holder, lease: 300, timeout: 0)
        s3.loseAnswers(of: "PUT")
        try await store.renewLock(tenant: "acme", holder: holder, lease: 600)
        #expect(try await store.lockInfo(tenant: "acme")?.holder.id == holder.id)
    }

    @Test func deletesWhoseAnswerWasLostSucceed() async throws {
        let store = try store()
        let holder = LockHolder(operation: .destroy)
        try await store.saveTenant(tenantState("acme"))
        _ = try await store.acquireLock(tenant: "acme", holder: holder, lease: 300, timeout: 0)
        s3.loseAnswers(of: "DELETE", count: 2)
        try await store.deleteTenant("acme")
        try await store.releaseLock(tenant: "acme", holder: holder)
        #expect(try await store.loadTenant("acme") == nil)
        #expect(try await store.lockInfo(tenant: "acme") == nil)
    }

    @Test func aPlatformChangeWhoseAnswerWasLostIsMadeOnce() async throws {
        let store = try store()
        let calls = Mutex(0)
        s3.loseAnswers(of: "PUT")
        try await store.updatePlatform { state in
            calls.withLock { $0 += 1 }
            state.sequences["priority", default: 1] += 1
        }
        #expect(calls.withLock { $0 } == 1)
        #expect(try await store.loadPlatform().sequences["priority"] == 2)
    }
}
