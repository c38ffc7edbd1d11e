import Foundation
import ProviderAPI

/// Reads platform.yaml.
enum PlatformReader {
    static let fields = [
        "apiVersion", "kind", "name", "description", "provider", "providers", "state", "inputs", "env", "api", "events", "rollout", "exports",
        "drift",
    ]

    /// `pools`: the pools schemas place tenants on, each read from `inputs.NAME`.
    static func read(_ root: YAMLNode, file: String, digest: String, pools: Set<PoolDeclaration> = []) -> (PlatformSpec?, Diagnostics) {
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
        var spec = PlatformSpec(name: name, providers: providers, state: state, inputs: inputs, file: file, digest: digest)
        if let i = r.mapping("inputs") {
            inputs = NodeValues.untyped(i).mapValue ?? [:]
            spec.inputs = inputs
            for pool in pools.sorted(by: { $0.name < $1.name }) {
                if let node = i[pool.name] { spec.pools[pool.name] = readPool(node, pool, &r) }
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

    /// A pool's members, as its declaration says platform.yaml lists them:
    /// `[{ID_KEY: ID, FIELD: VALUE, maxCAPACITY: N}]` (`id` unless the pool names another key).
    /// `maxSeats: 4` limits the capacity `seats` (absent: the pool's default, if any); other
    /// scalar keys are fields placed resources may copy (a closed pool allows only its own).
    static func readPool(_ node: YAMLNode, _ pool: PoolDeclaration, _ r: inout DocumentReader) -> [PoolMember] {
        let name = pool.name
        let keys = [pool.idKey] + pool.requiredFields.keys.sorted()
        let shape = keys.map { "\($0): ..." }.joined(separator: ", ") + (pool.closed ? "" : ", ...")
        guard let items = node.sequence else {
            r.diagnostics.append(.error("'\(name)' must be a list", detail: "write `\(name): [{\(shape)}]`", at: node.location))
            return []
        }
        var out: [PoolMember] = []
        for item in items {
            guard let fields = item.mapping else {
                r.diagnostics.append(
                    .error(
                        "a \(pool.member) must be a mapping with \(keys.joined(separator: " and "))", detail: "write `- {\(shape)}`",
                        at: item.location))
                continue
            }
            if pool.closed {
                let allowed = keys + pool.defaultLimits.keys.sorted().map(PoolDeclaration.limitKey)
                r.checkKeys(item, allowed: allowed, what: "\(pool.member) field")
            }
            guard let id = r.requiredString(pool.idKey, in: item, what: pool.idMeaning) else { continue }
            var member = PoolMember(id: id, limits: pool.defaultLimits)
            var complete = true
            for (field, meaning) in pool.requiredFields.sorted(by: { $0.key < $1.key }) {
                guard let value = r.requiredString(field, in: item, what: meaning) else {
                    complete = false
                    continue
                }
                member.fields[field] = value
            }
            guard complete else { continue }
            for (k, v) in fields {
                guard let key = k.scalar, key != pool.idKey, pool.requiredFields[key] == nil else { continue }
                if key.hasPrefix("max"), key.count > 3 {
                    let capacity = key.dropFirst(3)
                    let named = capacity.prefix(1).lowercased() + capacity.dropFirst()
                    guard !pool.closed || pool.defaultLimits[named] != nil else { continue }
                    guard let n = v.scalar.flatMap({ Int($0) }), n > 0 else {
                        r.diagnostics.append(.error("'\(key)' must be a positive integer", detail: pool.limitsHint, at: v.location))
                        continue
                    }
                    member.limits[named] = n
                } else if let value = v.scalar, !pool.closed {
                    member.fields[key] = value
                }
            }
            if out.contains(where: { $0.id == id }) {
                r.diagnostics.append(.error("\(pool.member) '\(id)' listed twice", detail: "remove the duplicate entry", at: item.location))
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
