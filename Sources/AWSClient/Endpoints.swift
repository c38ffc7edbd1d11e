import Foundation

/// How the client addresses and signs one AWS service.
public struct AWSService: Sendable, Hashable {
    /// The SigV4 signing name (`elasticloadbalancing`).
    public var signingName: String
    /// The SDK service id, upper-snake-cased for `AWS_ENDPOINT_URL_<ID>` (`ELASTIC_LOAD_BALANCING_V2`).
    public var endpointId: String
    /// The host prefix of the default endpoint (`elasticloadbalancing`).
    public var hostPrefix: String
    /// A global service (Route53) signs in us-east-1 at a region-less host.
    public var isGlobal: Bool
    /// Query protocol API version, or JSON target prefix, where the protocol needs one.
    public var apiVersion: String
    /// `application/x-amz-json-1.0` or `-1.1` for JSON services.
    public var jsonVersion: String?

    public init(
        signingName: String, endpointId: String, hostPrefix: String, isGlobal: Bool = false, apiVersion: String = "", jsonVersion: String? = nil
    ) {
        self.signingName = signingName
        self.endpointId = endpointId
        self.hostPrefix = hostPrefix
        self.isGlobal = isGlobal
        self.apiVersion = apiVersion
        self.jsonVersion = jsonVersion
    }

    public static let elbv2 = AWSService(
        signingName: "elasticloadbalancing", endpointId: "ELASTIC_LOAD_BALANCING_V2", hostPrefix: "elasticloadbalancing", apiVersion: "2015-12-01")
    public static let ec2 = AWSService(signingName: "ec2", endpointId: "EC2", hostPrefix: "ec2", apiVersion: "2016-11-15")
    public static let route53 = AWSService(
        signingName: "route53", endpointId: "ROUTE_53", hostPrefix: "route53", isGlobal: true, apiVersion: "2013-04-01")
    public static let s3 = AWSService(signingName: "s3", endpointId: "S3", hostPrefix: "s3")
    public static let ecs = AWSService(
        signingName: "ecs", endpointId: "ECS", hostPrefix: "ecs", apiVersion: "AmazonEC2ContainerServiceV20141113", jsonVersion: "1.1")
    public static let cognitoIdentityProvider = AWSService(
        signingName: "cognito-idp", endpointId: "COGNITO_IDENTITY_PROVIDER", hostPrefix: "cognito-idp",
        apiVersion: "AWSCognitoIdentityProviderService", jsonVersion: "1.1")
    public static let cognitoIdentity = AWSService(
        signingName: "cognito-identity", endpointId: "COGNITO_IDENTITY", hostPrefix: "cognito-identity",
        apiVersion: "AWSCognitoIdentityService", jsonVersion: "1.1")
    /// IAM is global: signed for us-east-1 at iam.amazonaws.com.
    public static let iam = AWSService(signingName: "iam", endpointId: "IAM", hostPrefix: "iam", isGlobal: true, apiVersion: "2010-05-08")
    /// SES API v2 (REST-JSON at email.REGION.amazonaws.com).
    public static let sesv2 = AWSService(signingName: "ses", endpointId: "SESV2", hostPrefix: "email")
    /// STS, for the caller's account id (GetCallerIdentity) where an ARN must be built.
    public static let sts = AWSService(signingName: "sts", endpointId: "STS", hostPrefix: "sts", apiVersion: "2011-06-15")
    /// KMS (JSON 1.1, target prefix TrentService): the state keys' data keys.
    public static let kms = AWSService(signingName: "kms", endpointId: "KMS", hostPrefix: "kms", apiVersion: "TrentService", jsonVersion: "1.1")
    public static let dynamodb = AWSService(
        signingName: "dynamodb", endpointId: "DYNAMODB", hostPrefix: "dynamodb", apiVersion: "DynamoDB_20120810", jsonVersion: "1.0")
}

/// A resolved endpoint: where to send, and the region to sign for.
public struct ResolvedEndpoint: Sendable {
    public var scheme: String
    public var host: String
    public var port: Int?
    /// A path prefix from the override URL (usually empty).
    public var basePath: String
    public var signingRegion: String
    /// True when the endpoint came from an override (S3 then uses path-style addressing).
    public var isOverride: Bool
}

extension AWSConfiguration {
    /// The endpoint for a service: `AWS_ENDPOINT_URL_<ID>`, else `AWS_ENDPOINT_URL`, else AWS's
    /// default host for the region.
    public func endpoint(for service: AWSService) throws -> ResolvedEndpoint {
        let signingRegion = service.isGlobal ? (region.hasPrefix("cn-") ? "cn-northwest-1" : "us-east-1") : region
        if let override = serviceEndpointURLs[service.endpointId] ?? endpointURL {
            guard let components = URLComponents(string: override), let host = components.host, let scheme = components.scheme else {
                throw AWSError(
                    .configuration,
                    message:
                        """
                        endpoint override '\(override)' for \(service.signingName) is not a URL like http://127.0.0.1:5123: \
                        fix AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_\(service.endpointId)
                        """
                )
            }
            var base = components.percentEncodedPath
            while base.hasSuffix("/") { base.removeLast() }
            return ResolvedEndpoint(scheme: scheme, host: host, port: components.port, basePath: base, signingRegion: signingRegion, isOverride: true)
        }
        let suffix = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
        let host = service.isGlobal ? "\(service.hostPrefix).\(suffix)" : "\(service.hostPrefix).\(region).\(suffix)"
        return ResolvedEndpoint(scheme: "https", host: host, port: nil, basePath: "", signingRegion: signingRegion, isOverride: false)
    }
}
