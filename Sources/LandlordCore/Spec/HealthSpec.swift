import ProviderAPI

/// One of a blueprint's `health:` checks, run for each tenant after its changes are applied
/// (after every `wait:`): `- http: {url: "https://${subdomain}.${platform.domain}/health",
/// expect: [200], timeout: 5m, interval: 10s}`. The tenant is healthy when every check answers
/// one of `expect` within `timeout`, asking every `interval`.
public struct HealthCheck: Sendable {
    /// The URL, templated like properties (parameters, `${tenant.id}`, platform inputs,
    /// resource attributes).
    public var url: ValueTemplate
    /// The URL as written, for messages.
    public var text: String
    /// Status codes that count as healthy.
    public var expect: [Int]
    /// Seconds the check may take to pass.
    public var timeout: Double
    /// Seconds between tries.
    public var interval: Double
    /// Where the check is written.
    public var location: SourceLocation

    /// The defaults: `expect: [200]`, `timeout: 5m`, `interval: 10s`.
    public static let defaultExpect = [200]
    public static let defaultTimeout = 300.0
    public static let defaultInterval = 10.0
}

extension BlueprintReader {
    static let healthFields = ["url", "expect", "timeout", "interval"]

    /// Reads `health:`: a list of `{http: {url, expect, timeout, interval}}`, each URL's
    /// references checked as an output's are.
    func readHealth(
        _ node: YAMLNode, parameters: [String: ParameterSpec], resources byName: [String: ResourceTemplate], sequences: [String: Int],
        _ r: inout DocumentReader
    ) -> [HealthCheck] {
        let example = "write `health: [{http: {url: \"https://${subdomain}.${platform.domain}/health\", expect: [200], timeout: 5m}}]`"
        guard let items = node.sequence else {
            r.diagnostics.append(.error("'health' must be a list of checks", detail: example, at: node.location))
            return []
        }
        var out: [HealthCheck] = []
        for item in items {
            r.checkKeys(item, allowed: ["http"], what: "health check kind")
            guard let http = item["http"], http.mapping != nil else {
                r.diagnostics.append(.error("a health check needs `http:` with a `url:`", detail: example, at: item.location))
                continue
            }
            r.checkKeys(http, allowed: Self.healthFields, what: "http health check field")
            guard let urlNode = http["url"], let text = urlNode.scalar, !text.isEmpty else {
                r.diagnostics.append(.error("an http health check needs `url:`", detail: example, at: http.location))
                continue
            }
            guard let url = outputTemplate(urlNode, &r) else { continue }
            _ = checkReferences(url, parameters: parameters, resources: byName, sequences: sequences, &r)
            // A URL that starts with a reference gets its scheme from it, checked when it is run.
            if !text.hasPrefix("${"), !(text.hasPrefix("http://") || text.hasPrefix("https://")) {
                r.diagnostics.append(
                    .error("health check url '\(text)' is not an http:// or https:// URL", detail: example, at: urlNode.location))
            }
            var check = HealthCheck(
                url: url, text: text, expect: HealthCheck.defaultExpect, timeout: HealthCheck.defaultTimeout,
                interval: HealthCheck.defaultInterval, location: item.location)
            if let e = http["expect"] {
                let codes = (e.sequence ?? [e]).map { $0.scalar.flatMap { Int($0) } }
                if codes.isEmpty || codes.contains(where: { $0 == nil || !(100...599).contains($0!) }) {
                    r.diagnostics.append(
                        .error("'expect' must list HTTP status codes (100 to 599)", detail: "write `expect: [200, 204]`", at: e.location))
                } else {
                    check.expect = codes.compactMap { $0 }
                }
            }
            for (key, keyPath) in [("timeout", \HealthCheck.timeout), ("interval", \HealthCheck.interval)] {
                guard let t = http[key] else { continue }
                if let secs = t.scalar.flatMap(SpecDuration.seconds), secs > 0 {
                    check[keyPath: keyPath] = secs
                } else {
                    r.diagnostics.append(
                        .error(
                            "invalid \(key) '\(t.scalar ?? t.kindName)'", detail: "write a positive duration such as 10s, 5m or 1h",
                            at: t.location))
                }
            }
            out.append(check)
        }
        return out
    }
}
