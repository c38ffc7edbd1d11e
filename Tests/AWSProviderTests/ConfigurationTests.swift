import AWSClient
import AWSProvider
import AWSSchema
import Foundation
import ProviderAPI
import Testing

@Suite struct ConfigurationTests {
    func tempDir() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("landlord-aws-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent(".aws"), withIntermediateDirectories: true)
        return dir
    }

    @Test func environmentCredentialsWin() throws {
        let c = try AWSConfiguration.resolve(environment: [
            "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "S", "AWS_SESSION_TOKEN": "T", "AWS_REGION": "eu-west-1", "HOME": "/nonexistent",
        ])
        #expect(c.credentials.accessKeyId == "AKID")
        #expect(c.credentials.sessionToken == "T")
        #expect(c.region == "eu-west-1")
        #expect(try c.endpoint(for: .elbv2).host == "elasticloadbalancing.eu-west-1.amazonaws.com")
        let r53 = try c.endpoint(for: .route53)
        #expect(r53.host == "route53.amazonaws.com")
        #expect(r53.signingRegion == "us-east-1")
    }

    @Test func profileFromSharedFiles() throws {
        let home = try tempDir()
        try """
        [default]\naws_access_key_id = DEF\naws_secret_access_key = DEFS\n\n[work]\naws_access_key_id = \
        WORK\naws_secret_access_key = WORKS\naws_session_token = WT\n
        """
        .write(to: home.appendingPathComponent(".aws/credentials"), atomically: true, encoding: .utf8)
        try "[default]\nregion = us-west-2\n[profile work]\nregion = ap-south-1\n"
            .write(to: home.appendingPathComponent(".aws/config"), atomically: true, encoding: .utf8)
        let work = try AWSConfiguration.resolve(environment: ["HOME": home.path, "AWS_PROFILE": "work"])
        #expect(work.credentials.accessKeyId == "WORK")
        #expect(work.credentials.sessionToken == "WT")
        #expect(work.region == "ap-south-1")
        let def = try AWSConfiguration.resolve(environment: ["HOME": home.path])
        #expect(def.credentials.accessKeyId == "DEF")
        #expect(def.region == "us-west-2")
        // platform.yaml's region beats the profile's.
        #expect(try AWSConfiguration.resolve(region: "us-east-2", environment: ["HOME": home.path]).region == "us-east-2")
    }

    @Test func missingCredentialsSayWhatToSet() {
        do {
            _ = try AWSConfiguration.resolve(environment: ["HOME": "/nonexistent", "AWS_REGION": "us-east-1"])
            Issue.record("resolution must fail without credentials")
        } catch let e as AWSError {
            #expect(e.code == "ConfigurationError")
            #expect(e.message.contains("AWS_ACCESS_KEY_ID"))
        } catch {
            Issue.record("unexpected \(error)")
        }
        let provider = AWSProvider(settings: [:], environment: ["HOME": "/nonexistent"])
        #expect(provider.name == "aws")
        #expect(provider.schema.resources.count == AWSResourceTypes.schema.resources.count)
    }

    @Test func unconfiguredProviderAnswersWithADiagnostic() async {
        let provider = AWSProvider(settings: [:], environment: ["HOME": "/nonexistent"])
        let t = ResourceIdentity(address: "acme/tg", tenant: "acme", platform: "p")
        let response = await provider.apply(
            ApplyRequest(operation: .create, type: AWSResourceTypes.targetGroup, identity: t, prior: nil, inputs: [:], clientToken: "c"))
        #expect(response.diagnostics.first?.code == "ConfigurationError")
        #expect(response.diagnostics.first?.detail.contains("AWS_ACCESS_KEY_ID") == true)
    }

    @Test func endpointOverridesPerServiceAsTheSDKsDo() throws {
        let base = ["AWS_ACCESS_KEY_ID": "A", "AWS_SECRET_ACCESS_KEY": "S", "AWS_REGION": "us-east-1", "HOME": "/nonexistent"]
        var env = base
        env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:5123"
        env["AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2"] = "http://localhost:4000/"
        env["AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"] = "https://idp.local"
        let c = try AWSConfiguration.resolve(environment: env)
        let elb = try c.endpoint(for: .elbv2)
        #expect(elb.host == "localhost" && elb.port == 4000 && elb.scheme == "http" && elb.basePath == "")
        #expect(try c.endpoint(for: .cognitoIdentityProvider).host == "idp.local")
        let ecs = try c.endpoint(for: .ecs)
        #expect(ecs.host == "127.0.0.1" && ecs.port == 5123 && ecs.isOverride)
        #expect(try c.endpoint(for: .route53).signingRegion == "us-east-1")
        env["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] = "true"
        #expect(try AWSConfiguration.resolve(environment: env).endpoint(for: .ecs).host == "ecs.us-east-1.amazonaws.com")
    }

    @Test func s3UsesPathStyleWithAnOverrideAndVirtualHostsOnAWS() async throws {
        let transport = ScriptedTransport([], then: HTTPResponse(status: 200, headers: ["ETag": "\"abc\""]))
        let aws = AWSClient(
            configuration: AWSConfiguration(credentials: AWSCredentials(accessKeyId: "A", secretAccessKey: "S"), region: "us-east-1"),
            transport: transport)
        let etag = try await aws.s3PutObject(bucket: "state", key: "tenants/acme.json", body: Data("{}".utf8), condition: .ifNoneMatch)
        #expect(etag == "\"abc\"")
        let local = AWSClient(
            configuration: AWSConfiguration(
                credentials: AWSCredentials(accessKeyId: "A", secretAccessKey: "S"), region: "us-east-1", endpointURL: "http://127.0.0.1:5123"),
            transport: transport)
        try await local.s3PutObject(bucket: "state", key: "tenants/acme.json", body: Data("{}".utf8), condition: .ifMatch("\"abc\""))
        try #require(transport.requests.count >= 2, "\(transport.requests.count) requests sent")
        let (first, second) = (transport.requests[0], transport.requests[1])
        #expect(first.host == "state.s3.us-east-1.amazonaws.com" && first.path == "/tenants/acme.json")
        #expect(first.header("If-None-Match") == "*")
        #expect(first.header("x-amz-content-sha256") == SigV4.sha256Hex(Data("{}".utf8)))
        #expect(second.host == "127.0.0.1" && second.path == "/state/tenants/acme.json")
        #expect(second.header("If-Match") == "\"abc\"")
    }
}
