import Foundation
import ProviderAPI

/// `api:` in platform.yaml: how `landlord serve` authenticates its callers.
public struct APISettings: Sendable, Hashable {
    /// The environment variable holding the accepted bearer tokens, comma-separated
    /// (`tokensEnv`); nil: no tokens, and the service listens on loopback only.
    public var tokensEnv: String?
    public init(tokensEnv: String? = nil) { self.tokensEnv = tokensEnv }
}

/// `events:` in platform.yaml: where tenant lifecycle events go.
public struct EventSinks: Sendable, Hashable {
    /// One webhook endpoint: its URL and the environment variable holding its signing secret
    /// (Standard Webhooks: `whsec_` and base64, or any text).
    public struct Webhook: Sendable, Hashable {
        public var url: String
        public var secretEnv: String?
        public init(url: String, secretEnv: String? = nil) {
            self.url = url
            self.secretEnv = secretEnv
        }
    }
    public var webhooks: [Webhook] = []
    /// `eventbridge: {bus: NAME}`.
    public var eventBridgeBus: String?
    /// `eventbridge: {format: sbt-aws}`: entries in the SaaS Builder Toolkit's detail-types
    /// and sources instead of CloudEvents types (`cloudevents`, the default).
    public var eventBridgeFormat = "cloudevents"
    public init(webhooks: [Webhook] = [], eventBridgeBus: String? = nil) {
        self.webhooks = webhooks
        self.eventBridgeBus = eventBridgeBus
    }
}

/// `onboarding:` in a blueprint: whether a tenant created through the service waits for an
/// operator's approval, and for how long.
public struct OnboardingSpec: Sendable, Hashable {
    /// `approval: required` (default: none).
    public var approvalRequired: Bool
    /// Seconds a tenant may wait for approval before it is timed out (`timeout: 24h`, the default).
    public var timeout: Double
    public init(approvalRequired: Bool = false, timeout: Double = 86_400) {
        self.approvalRequired = approvalRequired
        self.timeout = timeout
    }
}

/// Reads `api:` and `events:` of platform.yaml and `onboarding:` of a blueprint.
enum ServiceSettingsReader {
    static func readAPI(_ node: YAMLNode?, _ r: inout DocumentReader) -> APISettings {
        let example = "write `api: {tokensEnv: LANDLORD_API_TOKENS}`"
        guard let node = r.mapping(node, named: "api", example: example, allowed: ["tokensEnv"], what: "api setting") else { return APISettings() }
        var out = APISettings()
        if let t = node["tokensEnv"] {
            if let name = t.scalar, isEnvName(name) {
                out.tokensEnv = name
            } else {
                r.diagnostics.append(
                    .error(
                        "'tokensEnv' must name an environment variable", detail: "write `tokensEnv: LANDLORD_API_TOKENS`", at: t.location))
            }
        }
        return out
    }

    static func readEvents(_ node: YAMLNode?, _ r: inout DocumentReader) -> EventSinks {
        let example = "write `events: {webhooks: [{url: ..., secretEnv: ...}]}`"
        guard let node = r.mapping(node, named: "events", example: example, allowed: ["webhooks", "eventbridge"], what: "events sink") else {
            return EventSinks()
        }
        var out = EventSinks()
        if let eb = node["eventbridge"] {
            r.checkKeys(eb, allowed: ["bus", "format"], what: "eventbridge setting")
            out.eventBridgeBus = r.requiredString("bus", in: eb, what: "the event bus's name")
            if let f = eb["format"] {
                let known = ["cloudevents", "sbt-aws"]
                if let s = f.scalar, known.contains(s) {
                    out.eventBridgeFormat = s
                } else {
                    let found = f.scalar ?? f.kindName
                    r.diagnostics.append(
                        .error(
                            "unknown eventbridge format '\(found)'\(Suggest.didYouMean(found, in: known))",
                            detail: "write `format: cloudevents` (the default) or `format: sbt-aws` (the SaaS Builder Toolkit's events)",
                            at: f.location))
                }
            }
        }
        if let hooks = node["webhooks"] {
            guard let items = hooks.sequence else {
                r.diagnostics.append(
                    .error("'webhooks' must be a list", detail: "write `webhooks: [{url: https://..., secretEnv: NAME}]`", at: hooks.location))
                return out
            }
            for item in items {
                r.checkKeys(item, allowed: ["url", "secretEnv"], what: "webhook field")
                guard let url = r.requiredString("url", in: item, what: "the endpoint's http(s) URL") else { continue }
                guard let u = URL(string: url), u.scheme == "http" || u.scheme == "https", u.host != nil else {
                    r.diagnostics.append(
                        .error("'\(url)' is not an http(s) URL", detail: "write `url: https://example.com/hooks`", at: item["url"]?.location))
                    continue
                }
                var hook = EventSinks.Webhook(url: url)
                if let s = item["secretEnv"] {
                    if let name = s.scalar, isEnvName(name) {
                        hook.secretEnv = name
                    } else {
                        r.diagnostics.append(
                            .error("'secretEnv' must name an environment variable", detail: "write `secretEnv: WEBHOOK_SECRET`", at: s.location))
                    }
                }
                out.webhooks.append(hook)
            }
        }
        return out
    }

    static func readOnboarding(_ node: YAMLNode?, _ r: inout DocumentReader) -> OnboardingSpec {
        let example = "write `onboarding: {approval: required, timeout: 24h}`"
        guard let node = r.mapping(node, named: "onboarding", example: example, allowed: ["approval", "timeout"], what: "onboarding field") else {
            return OnboardingSpec()
        }
        var out = OnboardingSpec()
        if let a = node["approval"] {
            switch a.scalar {
            case "required": out.approvalRequired = true
            case "none": out.approvalRequired = false
            default:
                let text = a.scalar ?? a.kindName
                r.diagnostics.append(
                    .error(
                        "unknown approval '\(text)'\(Suggest.didYouMean(text, in: ["required", "none"]))",
                        detail: "use `approval: required` or `approval: none` (the default)", at: a.location))
            }
        }
        if let t = node["timeout"] {
            if let secs = t.scalar.flatMap(SpecDuration.seconds), secs > 0 {
                out.timeout = secs
            } else {
                r.diagnostics.append(
                    .error("invalid timeout '\(t.scalar ?? t.kindName)'", detail: "write a duration such as 90s, 10m or 24h", at: t.location))
            }
        }
        return out
    }

    private static func isEnvName(_ s: String) -> Bool {
        s.range(of: "^[A-Za-z_][A-Za-z0-9_]*$", options: .regularExpression) != nil
    }
}

extension SpecLoader {
    /// Reads one tenant document given as text, as if it were `file` of `fleet`: the same YAML
    /// reader, the same checks and the same diagnostics as `landlord validate` gives a tenant
    /// file (unknown parameters with did-you-mean, patterns, enums, missing parameters).
    public func readTenant(_ text: String, file: String, fleet: Fleet) -> (TenantSpec?, Diagnostics) {
        switch reader.read(text, file: file) {
        case .failure(let d): return (nil, Diagnostics([d]))
        case .success(let node):
            let env = EnvironmentAccess(declared: fleet.platform.env, values: environment, platformFile: fleet.platform.file)
            return TenantReader.read(
                node, file: file, digest: Digest.sha256Hex(text), blueprints: fleet.blueprints, blueprintErrors: [], env: env)
        }
    }
}
