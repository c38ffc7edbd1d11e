import AWSClient
import AWSProvider
import AWSSchema
import Foundation
import ProviderAPI
import Testing

/// A transport that answers from a script, counting the requests it saw.
final class ScriptedTransport: HTTPTransport, @unchecked Sendable {
    private let lock = NSLock()
    private var script: [Result<HTTPResponse, TransportError>]
    private let fallback: HTTPResponse
    private(set) var requests: [HTTPRequest] = []

    init(_ script: [Result<HTTPResponse, TransportError>], then fallback: HTTPResponse) {
        self.script = script
        self.fallback = fallback
    }

    var attempts: Int { lock.withLock { requests.count } }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let next: Result<HTTPResponse, TransportError>? = lock.withLock {
            requests.append(request)
            return script.isEmpty ? nil : script.removeFirst()
        }
        switch next {
        case .none: return fallback
        case .success(let r): return r
        case .failure(let e): throw e
        }
    }
}

func xml(_ status: Int, _ body: String) -> HTTPResponse { HTTPResponse(status: status, body: Data(body.utf8)) }

let throttled = xml(
    400,
    """
    <ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate \
    exceeded</Message></Error><RequestId>r1</RequestId></ErrorResponse>
    """
)
let describeOK = xml(
    200,
    """
    <DescribeTargetGroupsResponse><DescribeTargetGroupsResult><TargetGroups><member>
    <TargetGroupArn>arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/1</TargetGroupArn><TargetGroupName>tg</TargetGroupName>
    <Port>80</Port><Protocol>HTTP</Protocol><VpcId>vpc-1</VpcId><HealthCheckPath>/health</HealthCheckPath>
    </member></TargetGroups></DescribeTargetGroupsResult></DescribeTargetGroupsResponse>
    """)

@Suite struct RetryTests {
    let env = ["AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "us-east-1", "HOME": "/nonexistent"]
    // A generous time budget: only the attempt count may stop these retries, even on a loaded
    // machine whose sleeps run long (the time budget has a test of its own).
    let fast = RetryPolicy(maxAttempts: 6, baseDelay: 0.001, maxDelay: 0.01, maxTotalTime: 3600)

    func client(_ transport: ScriptedTransport, retry: RetryPolicy? = nil) throws -> AWSClient {
        AWSClient(configuration: try AWSConfiguration.resolve(environment: env), transport: transport, retry: retry ?? fast)
    }

    @Test(arguments: ["Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded", "PriorRequestNotComplete"])
    func throttlingIsRetriedUntilItSucceeds(code: String) async throws {
        let error = xml(400, "<ErrorResponse><Error><Code>\(code)</Code><Message>slow down</Message></Error></ErrorResponse>")
        let transport = ScriptedTransport([.success(error), .success(error), .success(error)], then: describeOK)
        let root = try await client(transport).query(.elbv2, action: "DescribeTargetGroups")
        #expect(transport.attempts == 4)
        #expect(root.members("DescribeTargetGroupsResult", "TargetGroups").count == 1)
    }

    @Test func jsonThrottlingAnd5xxAndConnectionErrorsAreRetried() async throws {
        let jsonThrottle = HTTPResponse(
            status: 400, body: Data(#"{"__type":"com.amazonaws.ecs#ThrottlingException","message":"Rate exceeded"}"#.utf8))
        let transport = ScriptedTransport(
            [.success(jsonThrottle), .success(xml(503, "")), .failure(TransportError("connection refused"))],
            then: HTTPResponse(status: 200, body: Data("{}".utf8)))
        _ = try await client(transport).json(.ecs, operation: "ListClusters", body: Data())
        #expect(transport.attempts == 4)
    }

    /// A create AWS does not deduplicate is not sent again after its answer was lost (it may
    /// have made the resource: the engine then finds it by its tags); one never sent is.
    @Test func aCallNotSafeToRepeatIsNotRetriedAfterItsAnswerWasLost() async throws {
        let ok = HTTPResponse(status: 200, body: Data("{}".utf8))
        let lost = ScriptedTransport([.failure(TransportError("connection closed with no answer"))], then: ok)
        do {
            _ = try await client(lost).json(.cognitoIdentityProvider, operation: "CreateUserPool", body: Data(), retryUnanswered: false)
            Issue.record("a lost answer must be thrown")
        } catch let e as AWSError {
            #expect(e.localFault == .lostAnswer)
            #expect(!e.isRetryable)
        }
        #expect(lost.attempts == 1)
        #expect(lost.requests.first?.safeToRepeat == false)
        let refused = ScriptedTransport([.failure(TransportError("connection refused", mayHaveTakenEffect: false))], then: ok)
        _ = try await client(refused).json(.cognitoIdentityProvider, operation: "CreateUserPool", body: Data(), retryUnanswered: false)
        #expect(refused.attempts == 2)
    }

    @Test func validationErrorsAreNotRetried() async throws {
        let invalid = xml(400, "<ErrorResponse><Error><Code>ValidationError</Code><Message>Port is invalid</Message></Error></ErrorResponse>")
        let transport = ScriptedTransport([.success(invalid)], then: describeOK)
        do {
            _ = try await client(transport).query(.elbv2, action: "CreateTargetGroup", ["Port": "99999"])
            Issue.record("a validation error must be thrown")
        } catch let e as AWSError {
            #expect(e.code == "ValidationError")
            #expect(e.message == "Port is invalid")
            #expect(!e.isRetryable)
        }
        #expect(transport.attempts == 1)
    }

    @Test func retriesStopAtMaxAttempts() async throws {
        let transport = ScriptedTransport([], then: throttled)
        await #expect(throws: AWSError.self) { try await client(transport).query(.elbv2, action: "DescribeTargetGroups") }
        #expect(transport.attempts == 6)
    }

    @Test func retriesStopAtTheTimeBudget() async throws {
        let transport = ScriptedTransport([], then: throttled)
        let slow = RetryPolicy(maxAttempts: 1000, baseDelay: 0.05, maxDelay: 0.05, maxTotalTime: 0.2)
        await #expect(throws: AWSError.self) { try await client(transport, retry: slow).query(.elbv2, action: "DescribeTargetGroups") }
        // 0.2 s of budget at waits drawn from [0, 0.05] s (full jitter, 0.025 s on average):
        // about 8 attempts, and 50 would need 49 waits averaging under 4 ms, so the budget, not
        // the 1,000 allowed attempts, must have stopped it. (Counted, not timed: a loaded
        // machine only makes the waits longer; an -O build makes each attempt cheaper, which
        // is how the old bound of 10 failed on the release build with 17.)
        #expect(transport.attempts < 50)
    }

    @Test func fullJitterStaysUnderTheCap() {
        let policy = RetryPolicy(maxAttempts: 10, baseDelay: 0.1, maxDelay: 1, maxTotalTime: 60)
        for retry in 0..<10 {
            let d = policy.delay(beforeRetry: retry)
            #expect(d >= 0 && d <= min(1, 0.1 * pow(2, Double(retry))))
        }
    }

    @Test func providerAnswersThrottlingWithBackoffThenSucceeds() async throws {
        let transport = ScriptedTransport([.success(throttled), .success(throttled)], then: describeOK)
        let provider = AWSProvider(settings: ["region": "us-east-1"], environment: env, transport: transport)
        let prior = ResourceObject(
            type: AWSResourceTypes.targetGroup, id: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/1",
            attributes: ["name": "tg", "healthCheckPath": "/health"])
        let response = await provider.read(ReadRequest(resources: [prior]))
        #expect(response.diagnostics.isEmpty)
        #expect(response.resources.first??.attributes["healthCheckPath"] == "/health")
        #expect(transport.attempts == 3)
        // Every attempt is signed for ELBv2 in the region.
        #expect(transport.requests.allSatisfy { $0.header("Authorization")?.contains("/us-east-1/elasticloadbalancing/aws4_request") == true })
    }
}

@Suite struct ErrorParsingTests {
    @Test func queryErrorResponse() {
        let e = AWSError.parse(
            xml(
                400,
                """
                <ErrorResponse xmlns=\"x\"><Error><Type>Sender</Type><Code>PriorityInUse</Code><Message>Priority \
                '5' is in use</Message></Error></ErrorResponse>
                """
            ))
        #expect(e.code == "PriorityInUse")
        #expect(e.message == "Priority '5' is in use")
    }

    @Test func errorsWrappedErrorResponse() {
        let e = AWSError.parse(
            xml(
                400, "<ErrorResponse><Errors><Error><Code>InvalidChangeBatch</Code><Message>already exists</Message></Error></Errors></ErrorResponse>"
            ))
        #expect(e.code == "InvalidChangeBatch")
        #expect(e.message == "already exists")
    }

    @Test func ec2AndS3Shapes() {
        #expect(
            AWSError.parse(xml(400, "<Response><Errors><Error><Code>InvalidVpcID.NotFound</Code><Message>m</Message></Error></Errors></Response>"))
                .code == "InvalidVpcID.NotFound")
        #expect(AWSError.parse(xml(404, "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>gone</Message></Error>")).code == "NoSuchKey")
        #expect(AWSError.parse(xml(412, "")).code == "PreconditionFailed")
    }

    @Test func jsonType() {
        let e = AWSError.parse(
            HTTPResponse(
                status: 400,
                body: Data(
                    #"{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"}"#.utf8)
            ))
        #expect(e.code == "ConditionalCheckFailedException")
        #expect(e.message == "The conditional request failed")
        let plain = AWSError.parse(HTTPResponse(status: 400, body: Data(#"{"__type":"ResourceNotFoundException","Message":"no pool"}"#.utf8)))
        #expect(plain.code == "ResourceNotFoundException")
        #expect(plain.message == "no pool")
        let header = AWSError.parse(HTTPResponse(status: 400, headers: ["x-amzn-ErrorType": "ValidationException:http://internal"], body: Data()))
        #expect(header.code == "ValidationException")
    }
}
