import Foundation
import ProviderAPI

/// Reads platform.yaml.
enum PlatformReader {
    static let fields = ["apiVersion", "kind", "name", "description", "provider", "state", "inputs", "env"]

    static func read(_ root: YAMLNode, file: String, digest: String) -> (PlatformSpec?, Diagnostics) {
        var r = DocumentReader(file: file, root: root)
        guard r.checkHeader(kind: "Platform", allowed: fields) else { return (nil, r.diagnostics) }
        let name = r.requiredString("name", what: "the platform's name, used in resource tags") ?? "platform"

        var providers: [String: Value] = [:]
        if let p = r.mapping("provider") {
            providers = NodeValues.untyped(p).mapValue ?? [:]
        }

        var state = StateBackendConfig()
        if let s = r.mapping("state") {
            r.checkKeys(s, allowed: ["backend", "bucket", "prefix", "region", "lockLeaseSeconds", "keyFile"], what: "state setting")
            state.keyFile = s["keyFile"]?.scalar
            state.location = s.location
            if let b = s["backend"]?.scalar {
                if let kind = StateBackendKind(rawValue: b) {
                    state.backend = kind
                } else {
                    let known = StateBackendKind.allCases.map(\.rawValue)
                    r.diagnostics.append(
                        .error(
                            "unknown state backend '\(b)'\(Suggest.didYouMean(b, in: known))",
                            detail: "use `backend: local` or `backend: s3` with a bucket", at: s["backend"]?.location ?? s.location))
                }
            }
            state.bucket = s["bucket"]?.scalar
            state.prefix = s["prefix"]?.scalar
            state.region = s["region"]?.scalar
            if let l = s["lockLeaseSeconds"] {
                if let v = l.scalar.flatMap(Double.init), v >= 10 {
                    state.lockLeaseSeconds = v
                } else {
                    r.diagnostics.append(
                        .error(
                            "'lockLeaseSeconds' must be a number of seconds, at least 10",
                            detail: "the lease is renewed every third of it while an apply runs; 120 is the default", at: l.location))
                }
            }
            if state.backend == .s3 && state.bucket == nil {
                r.diagnostics.append(.error("the s3 state backend needs a bucket", detail: "add `bucket: NAME` under state", at: s.location))
            }
        }

        var inputs: [String: Value] = [:]
        var listeners: [ListenerSpec] = []
        if let i = r.mapping("inputs") {
            inputs = NodeValues.untyped(i).mapValue ?? [:]
            if let l = i["listeners"] {
                if let items = l.sequence {
                    for item in items {
                        guard item.mapping != nil else {
                            r.diagnostics.append(
                                .error(
                                    "a listener must be a mapping with arn and dnsName", detail: "write `- {arn: ..., dnsName: ...}`",
                                    at: item.location))
                            continue
                        }
                        r.checkKeys(item, allowed: ["arn", "dnsName", "maxRules", "maxTargetGroups"], what: "listener field")
                        guard let arn = r.requiredString("arn", in: item, what: "the listener ARN"),
                            let dns = r.requiredString("dnsName", in: item, what: "the load balancer's DNS name")
                        else { continue }
                        var spec = ListenerSpec(arn: arn, dnsName: dns)
                        for key in ["maxRules", "maxTargetGroups"] {
                            guard let n = item[key] else { continue }
                            guard let v = n.scalar.flatMap({ Int($0) }), v > 0 else {
                                r.diagnostics.append(
                                    .error(
                                        "'\(key)' must be a positive integer",
                                        detail: "AWS's defaults are 100 rules and 100 target groups per load balancer", at: n.location))
                                continue
                            }
                            if key == "maxRules" { spec.maxRules = v } else { spec.maxTargetGroups = v }
                        }
                        if listeners.contains(where: { $0.arn == arn }) {
                            r.diagnostics.append(.error("listener listed twice", detail: "remove the duplicate entry", at: item.location))
                        }
                        listeners.append(spec)
                    }
                } else {
                    r.diagnostics.append(
                        .error("'listeners' must be a list", detail: "write `listeners: [{arn: ..., dnsName: ...}]`", at: l.location))
                }
            }
        }
        var spec = PlatformSpec(name: name, providers: providers, state: state, inputs: inputs, listeners: listeners, file: file, digest: digest)
        spec.env = readEnv(root["env"], &r)
        return (spec, r.diagnostics)
    }

    /// `env: [NAME, {name: NAME, sensitive: false}]`: the environment variables spec files may
    /// read; each is sensitive unless it says otherwise.
    static func readEnv(_ node: YAMLNode?, _ r: inout DocumentReader) -> [String: Bool] {
        guard let node, !node.isNull else { return [:] }
        guard let items = node.sequence else {
            r.diagnostics.append(
                .error(
                    "'env' must be a list of variable names", detail: "write `env: [ACME_API_KEY, {name: IMAGE_TAG, sensitive: false}]`",
                    at: node.location))
            return [:]
        }
        var out: [String: Bool] = [:]
        for item in items {
            var name = item.scalar
            var sensitive = true
            if item.mapping != nil {
                r.checkKeys(item, allowed: ["name", "sensitive"], what: "env field")
                name = r.requiredString("name", in: item, what: "the environment variable's name")
                if let s = item["sensitive"] {
                    if case .success(Value.bool(let b)) = NodeValues.typed(s, as: .bool) {
                        sensitive = b
                    } else {
                        r.diagnostics.append(.error("'sensitive' must be true or false", at: s.location))
                    }
                }
            }
            guard let name else {
                if item.mapping == nil { r.diagnostics.append(.error("an env entry must be a name or {name, sensitive}", at: item.location)) }
                continue
            }
            guard name.range(of: "^[A-Za-z_][A-Za-z0-9_]*$", options: .regularExpression) != nil else {
                r.diagnostics.append(
                    .error(
                        "'\(name)' is not an environment variable name", detail: "use letters, digits and underscores, not starting with a digit",
                        at: item.location))
                continue
            }
            if out[name] != nil {
                r.diagnostics.append(.error("environment variable \(name) is declared twice", detail: "remove one entry", at: item.location))
            }
            out[name] = sensitive
        }
        return out
    }
}
