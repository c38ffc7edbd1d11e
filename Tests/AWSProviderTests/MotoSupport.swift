import AWSClient
import AWSProvider
import Foundation
import LandlordTestSupport
import ProviderAPI
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

extension Moto {
    static func provider() -> AWSProvider {
        AWSProvider(settings: ["region": "us-east-1"], environment: environment)
    }

    /// Forgets everything moto holds (`POST /moto-api/reset`).
    static func reset() async throws {
        var request = URLRequest(url: URL(string: endpoint! + "/moto-api/reset")!)
        request.httpMethod = "POST"
        request.setValue("text/plain", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data()
        let (_, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200, "moto reset failed: is AWS_ENDPOINT_URL a moto_server?")
    }

    /// A name unique to one test run.
    static func unique(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }
}

struct FixtureError: Error, CustomStringConvertible {
    var description: String
}

/// Prerequisites the platform owns, made directly through AWSClient.
struct Fixtures {
    let client: AWSClient

    func vpc() async throws -> String {
        let root = try await client.query(.ec2, action: "CreateVpc", ["CidrBlock": "10.0.0.0/16"])
        guard let id = root.string("vpc", "vpcId") else { throw FixtureError(description: "CreateVpc returned no vpcId") }
        return id
    }

    func subnets(vpc: String) async throws -> [String] {
        var out: [String] = []
        for (i, az) in ["us-east-1a", "us-east-1b"].enumerated() {
            let root = try await client.query(.ec2, action: "CreateSubnet", ["VpcId": vpc, "CidrBlock": "10.0.\(i).0/24", "AvailabilityZone": az])
            guard let id = root.string("subnet", "subnetId") else { throw FixtureError(description: "CreateSubnet returned no subnetId") }
            out.append(id)
        }
        return out
    }

    /// An ALB with an HTTP listener: (listener ARN, load balancer DNS name).
    func listener(vpc: String) async throws -> (arn: String, dnsName: String) {
        let subnets = try await subnets(vpc: vpc)
        var p = ["Name": Moto.unique("alb"), "Type": "application", "Scheme": "internet-facing"]
        for (i, s) in subnets.enumerated() { p["Subnets.member.\(i + 1)"] = s }
        let lb = try await client.query(.elbv2, action: "CreateLoadBalancer", p)
        guard let member = lb.members("CreateLoadBalancerResult", "LoadBalancers").first, let lbArn = member.string("LoadBalancerArn"),
            let dns = member.string("DNSName")
        else { throw FixtureError(description: "CreateLoadBalancer returned no ARN") }
        let listener = try await client.query(
            .elbv2, action: "CreateListener",
            [
                "LoadBalancerArn": lbArn, "Protocol": "HTTP", "Port": "80",
                "DefaultActions.member.1.Type": "fixed-response", "DefaultActions.member.1.FixedResponseConfig.StatusCode": "404",
            ])
        guard let arn = listener.members("CreateListenerResult", "Listeners").first?.string("ListenerArn") else {
            throw FixtureError(description: "CreateListener returned no ARN")
        }
        return (arn, dns)
    }

    func targetGroup(vpc: String, name: String) async throws -> String {
        let root = try await client.query(
            .elbv2, action: "CreateTargetGroup",
            [
                "Name": name, "Protocol": "HTTP", "Port": "8080", "VpcId": vpc, "TargetType": "ip",
            ])
        guard let arn = root.members("CreateTargetGroupResult", "TargetGroups").first?.string("TargetGroupArn") else {
            throw FixtureError(description: "CreateTargetGroup returned no ARN")
        }
        return arn
    }

    /// A public hosted zone; returns its id without the `/hostedzone/` prefix.
    func hostedZone(_ name: String) async throws -> String {
        let body =
            "<CreateHostedZoneRequest xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">"
            + "<Name>\(name)</Name><CallerReference>\(UUID().uuidString)</CallerReference></CreateHostedZoneRequest>"
        let root = try await client.restXML(.route53, operation: "CreateHostedZone", method: "POST", path: "/2013-04-01/hostedzone", body: body).root
        guard let id = root?.string("HostedZone", "Id") else { throw FixtureError(description: "CreateHostedZone returned no Id") }
        return id.replacingOccurrences(of: "/hostedzone/", with: "")
    }

    func cluster(_ name: String) async throws -> String {
        let data = try await client.json(.ecs, operation: "CreateCluster", body: Data("{\"clusterName\":\"\(name)\"}".utf8))
        guard (try? JSON.parse(Array(data)))?.mapValue?["cluster"] != nil else { throw FixtureError(description: "CreateCluster failed") }
        return name
    }

    func table(_ name: String) async throws -> String {
        let body = """
            {"TableName":"\(name)","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],
             "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}
            """
        _ = try await client.json(.dynamodb, operation: "CreateTable", body: Data(body.utf8))
        return name
    }

    func userPool(_ name: String) async throws -> String {
        let data = try await client.json(.cognitoIdentityProvider, operation: "CreateUserPool", body: Data("{\"PoolName\":\"\(name)\"}".utf8))
        guard let id = (try? JSON.parse(Array(data)))?.mapValue?["UserPool"]?.mapValue?["Id"]?.stringValue else {
            throw FixtureError(description: "CreateUserPool returned no Id")
        }
        return id
    }
}

/// Builds apply requests for one tenant's resources.
struct Tenant {
    var id = Moto.unique("t")
    var platform = "test-platform"

    func identity(_ name: String) -> ResourceIdentity {
        ResourceIdentity(address: "\(id)/\(name)", tenant: id, platform: platform)
    }

    func create(_ type: String, _ name: String, _ inputs: [String: Value]) -> ApplyRequest {
        ApplyRequest(operation: .create, type: type, identity: identity(name), prior: nil, inputs: inputs, clientToken: UUID().uuidString)
    }

    func update(_ prior: ResourceObject, _ name: String, _ inputs: [String: Value]) -> ApplyRequest {
        ApplyRequest(operation: .update, type: prior.type, identity: identity(name), prior: prior, inputs: inputs, clientToken: UUID().uuidString)
    }

    func delete(_ prior: ResourceObject, _ name: String) -> ApplyRequest {
        ApplyRequest(operation: .delete, type: prior.type, identity: identity(name), prior: prior, inputs: [:], clientToken: UUID().uuidString)
    }
}

extension AWSProvider {
    /// Applies and requires success, returning the resource.
    func applyOK(_ request: ApplyRequest, sourceLocation: SourceLocation = #_sourceLocation) async throws -> ResourceObject {
        let response = await apply(request)
        #expect(response.diagnostics.isEmpty, "\(response.diagnostics)", sourceLocation: sourceLocation)
        if request.operation == .delete {
            #expect(response.resource == nil, sourceLocation: sourceLocation)
            return request.prior!
        }
        return try #require(response.resource, sourceLocation: sourceLocation)
    }

    /// Reads one resource, requiring no diagnostics.
    func readOne(_ resource: ResourceObject, sourceLocation: SourceLocation = #_sourceLocation) async -> ResourceObject? {
        let response = await read(ReadRequest(resources: [resource]))
        #expect(response.diagnostics.isEmpty, "\(response.diagnostics)", sourceLocation: sourceLocation)
        return response.resources.first ?? nil
    }
}

/// Every moto-backed suite hangs off this one, so they run one at a time and each test can
/// reset moto without disturbing another.
@Suite(.serialized, .enabled(if: Moto.available, Moto.disabledReason), .motoExclusive)
struct MotoTests {}
