import ProviderAPI

/// Reads platform.yaml.
enum PlatformReader {
    static let fields = ["apiVersion", "kind", "name", "description", "provider", "state", "inputs"]

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
            r.checkKeys(s, allowed: ["backend", "bucket", "prefix", "region", "lockLeaseSeconds"], what: "state setting")
            state.location = s.location
            if let b = s["backend"]?.scalar { state.backend = b }
            if !["local", "s3"].contains(state.backend) {
                r.diagnostics.append(.error("unknown state backend '\(state.backend)'\(Suggest.didYouMean(state.backend, in: ["local", "s3"]))",
                                            detail: "use `backend: local` or `backend: s3` with a bucket", at: s["backend"]?.location ?? s.location))
            }
            state.bucket = s["bucket"]?.scalar
            state.prefix = s["prefix"]?.scalar
            state.region = s["region"]?.scalar
            if let l = s["lockLeaseSeconds"] {
                if let v = l.scalar.flatMap(Double.init), v >= 10 { state.lockLeaseSeconds = v } else {
                    r.diagnostics.append(.error("'lockLeaseSeconds' must be a number of seconds, at least 10", detail: "the lease is renewed every third of it while an apply runs; 120 is the default", at: l.location))
                }
            }
            if state.backend == "s3" && state.bucket == nil {
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
                            r.diagnostics.append(.error("a listener must be a mapping with arn and dnsName", detail: "write `- {arn: ..., dnsName: ...}`", at: item.location))
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
                                r.diagnostics.append(.error("'\(key)' must be a positive integer", detail: "AWS's defaults are 100 rules and 100 target groups per load balancer", at: n.location))
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
                    r.diagnostics.append(.error("'listeners' must be a list", detail: "write `listeners: [{arn: ..., dnsName: ...}]`", at: l.location))
                }
            }
        }
        let spec = PlatformSpec(name: name, providers: providers, state: state, inputs: inputs, listeners: listeners, file: file, digest: digest)
        return (spec, r.diagnostics)
    }
}
