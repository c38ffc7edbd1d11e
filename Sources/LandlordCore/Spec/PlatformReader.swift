import Foundation
import ProviderAPI

/// Reads platform.yaml.
enum PlatformReader {
    static let fields = [
        "apiVersion", "kind", "name", "description", "provider", "providers", "state", "inputs", "env", "api", "events", "rollout", "exports",
        "drift",
    ]

    /// `pools`: names of pools schemas place tenants on, read from `inputs.NAME` besides
    /// `inputs.listeners`.
    static func read(_ root: YAMLNode, file: String, digest: String, pools: Set<String> = []) -> (PlatformSpec?, Diagnostics) {
        var r = DocumentReader(file: file, root: root)
        guard r.checkHeader(kind: "Platform", allowed: fields) else { return (nil, r.diagnostics) }
        let name = r.requiredString("name", what: "the platform's name, used in resource tags") ?? "platform"

        // `provider:` and `providers:` are two spellings of one map (the settings of each
        // provider, by name); an entry with a `command` is a plugin.
        var providers: [String: Value] = [:]
        var plugins: [String: PluginSpec] = [:]
        if root["provider"] != nil, let both = root["providers"] {
            r.diagnostics.append(
                .error(
                    "both 'provider' and 'providers' are set", detail: "they are two spellings of one setting: merge them under one key",
                    at: both.location))
        }
        if let p = r.mapping("provider") ?? r.mapping("providers") {
            providers = NodeValues.untyped(p).mapValue ?? [:]
            plugins = readPlugins(p, &r)
        }

        var state = StateBackendConfig()
        if let s = r.mapping("state") {
            r.checkKeys(
                s, allowed: ["backend", "bucket", "prefix", "region", "lockLeaseSeconds", "keyFile", "key", "keys", "encryption"],
                what: "state setting")
            state.keyFile = s["keyFile"]?.scalar
            state.keys = StateKeysReader.read(s, &r)
            if let e = s["encryption"] {
                switch e.scalar {
                case "required": state.encryptionRequired = true
                case "optional": state.encryptionRequired = false
                default:
                    r.diagnostics.append(
                        .error(
                            "'encryption' must be `required` or `optional`",
                            detail: "`required` refuses to run without a state key, so no sensitive value is written in clear", at: e.location))
                }
            }
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
        if let i = r.mapping("inputs") {
            for pool in pools.sorted() where pool != "listeners" {
                if let node = i[pool] { spec.otherPools[pool] = readPool(node, name: pool, &r) }
            }
        }
        spec.env = readEnv(root["env"], &r)
        spec.plugins = plugins
        spec.api = ServiceSettingsReader.readAPI(root["api"], &r)
        spec.events = ServiceSettingsReader.readEvents(root["events"], &r)
        spec.rollout = RolloutPolicyReader.read(root["rollout"], &r)
        if let e = root["exports"] { spec.exports = DeletionPolicyReader.readExports(e, &r) }
        spec.drift = DayTwoSettingsReader.readDrift(root["drift"], &r)
        return (spec, r.diagnostics)
    }

    /// A pool other than the listeners: `[{id: ID, maxCAPACITY: N, FIELD: VALUE}]`. `maxSeats: 4`
    /// limits the capacity `seats`; other scalar keys are fields placed resources may copy.
    static func readPool(_ node: YAMLNode, name: String, _ r: inout DocumentReader) -> [PoolMember] {
        guard let items = node.sequence else {
            r.diagnostics.append(.error("'\(name)' must be a list", detail: "write `\(name): [{id: ..., ...}]`", at: node.location))
            return []
        }
        var out: [PoolMember] = []
        for item in items {
            guard let fields = item.mapping else {
                r.diagnostics.append(.error("a member of '\(name)' must be a mapping with an id", at: item.location))
                continue
            }
            guard let id = r.requiredString("id", in: item, what: "the member's id") else { continue }
            var member = PoolMember(id: id)
            for (k, v) in fields {
                guard let key = k.scalar, key != "id" else { continue }
                if key.hasPrefix("max"), key.count > 3 {
                    guard let n = v.scalar.flatMap({ Int($0) }), n > 0 else {
                        r.diagnostics.append(.error("'\(key)' must be a positive integer", at: v.location))
                        continue
                    }
                    let capacity = key.dropFirst(3)
                    member.limits[capacity.prefix(1).lowercased() + capacity.dropFirst()] = n
                } else if let value = v.scalar {
                    member.fields[key] = value
                }
            }
            if out.contains(where: { $0.id == id }) {
                r.diagnostics.append(.error("member '\(id)' of '\(name)' listed twice", detail: "remove the duplicate entry", at: item.location))
            }
            out.append(member)
        }
        return out
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
