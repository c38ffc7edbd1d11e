import AWSSchema
import Foundation
import LandlordCore
import ProviderAPI

/// A fleet written file by file into a temporary directory.
struct SpecFixture {
    let dir: URL

    static let platform = """
        apiVersion: landlord/v1
        kind: Platform
        name: test
        provider: {aws: {region: us-east-1, use: mock}}
        inputs:
          domain: example.com
          vpcId: vpc-1
          listeners:
            - {arn: "arn:aws:elasticloadbalancing:us-east-1:1:listener/app/a/1/1", dnsName: a.elb.amazonaws.com}
        """

    static let blueprint = """
        apiVersion: landlord/v1
        kind: Blueprint
        name: web
        parameters:
          subdomain: {type: string, pattern: "^[a-z][a-z0-9-]{2,39}$"}
          tier: {type: string, enum: [basic, premium], default: basic}
          replicas: {type: int, default: 1}
        resources:
          tg:
            type: aws.lb_target_group
            properties: {name: "t-${tenant.id}", port: 80, protocol: HTTP, vpcId: "${platform.vpcId}"}
          rule:
            type: aws.lb_listener_rule
            properties: {listener: auto, priority: auto, hostHeader: "${subdomain}.${platform.domain}", targetGroupArn: "${tg.arn}"}
        """

    init(platform: String = SpecFixture.platform, blueprints: [String: String] = ["web": SpecFixture.blueprint], tenants: [String: String] = [:])
        throws
    {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("landlord-spec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("blueprints"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("tenants"), withIntermediateDirectories: true)
        try platform.write(to: dir.appendingPathComponent("platform.yaml"), atomically: true, encoding: .utf8)
        for (n, b) in blueprints { try b.write(to: dir.appendingPathComponent("blueprints/\(n).yaml"), atomically: true, encoding: .utf8) }
        for (n, t) in tenants { try t.write(to: dir.appendingPathComponent("tenants/\(n).yaml"), atomically: true, encoding: .utf8) }
    }

    static func tenant(_ id: String, _ params: String = "{subdomain: \"acme\"}", blueprint: String = "web") -> String {
        """
        apiVersion: landlord/v1
        kind: Tenant
        id: \(id)
        blueprint: \(blueprint)
        parameters: \(params)
        """
    }

    func load() -> (Fleet?, Diagnostics) { SpecLoader(schemas: AWSResourceTypes.schema.resources).load(directory: dir) }

    /// `file:line:col: summary` of every error, for compact assertions.
    func errors() -> [String] {
        load().1.sorted.filter { $0.severity == .error }.map { d in
            (d.location.map { "\($0.file):\($0.line):\($0.column): " } ?? "") + d.summary
        }
    }
}
