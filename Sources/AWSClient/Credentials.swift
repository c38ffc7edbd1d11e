import Foundation

/// Reads `~/.aws/credentials`-style INI files: `[section]` headers and `key = value` lines.
public enum INIFile {
    /// Sections by name, keys lowercased. Unreadable files give an empty result.
    public static func parse(_ text: String) -> [String: [String: String]] {
        var sections: [String: [String: String]] = [:]
        var current: String?
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                current = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                sections[current!, default: [:]] = sections[current!] ?? [:]
                continue
            }
            guard let section = current, let eq = line.firstIndex(of: "=") else { continue }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            sections[section, default: [:]][key] = value
        }
        return sections
    }

    static func load(_ path: String) -> [String: [String: String]] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        return parse(String(decoding: data, as: UTF8.self))
    }
}

/// Where the client signs and sends: credentials, region, endpoint overrides.
///
/// Resolved as the AWS SDKs do: credentials from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` /
/// `AWS_SESSION_TOKEN`, else the profile (`AWS_PROFILE`, default `default`) in
/// `~/.aws/credentials` (or `AWS_SHARED_CREDENTIALS_FILE`) and `~/.aws/config` (or
/// `AWS_CONFIG_FILE`); region from the explicit setting, `AWS_REGION`, `AWS_DEFAULT_REGION`,
/// then the profile's `region`; endpoints from `AWS_ENDPOINT_URL_<SERVICE>`, then
/// `AWS_ENDPOINT_URL`, then the profile's `endpoint_url` (all ignored when
/// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`).
public struct AWSConfiguration: Sendable {
    public var credentials: AWSCredentials
    public var region: String
    /// A global endpoint override (`AWS_ENDPOINT_URL`).
    public var endpointURL: String?
    /// Per-service overrides keyed by the env suffix (`ELASTIC_LOAD_BALANCING_V2`, `S3`, ...).
    public var serviceEndpointURLs: [String: String]

    public init(credentials: AWSCredentials, region: String, endpointURL: String? = nil, serviceEndpointURLs: [String: String] = [:]) {
        self.credentials = credentials
        self.region = region
        self.endpointURL = endpointURL
        self.serviceEndpointURLs = serviceEndpointURLs
    }

    /// Resolves the configuration from the environment and the shared files.
    /// Throws an `AWSError` with code `ConfigurationError` saying what to set when credentials
    /// or the region cannot be found.
    public static func resolve(region explicitRegion: String? = nil, environment env: [String: String]) throws -> AWSConfiguration {
        let home = env["HOME"] ?? NSHomeDirectory()
        let profile = env["AWS_PROFILE"] ?? env["AWS_DEFAULT_PROFILE"] ?? "default"
        let credentialsFile = INIFile.load(env["AWS_SHARED_CREDENTIALS_FILE"] ?? "\(home)/.aws/credentials")
        let configFile = INIFile.load(env["AWS_CONFIG_FILE"] ?? "\(home)/.aws/config")
        let configSection = configFile[profile == "default" ? "default" : "profile \(profile)"] ?? configFile[profile] ?? [:]
        let credentialSection = credentialsFile[profile] ?? [:]

        let credentials: AWSCredentials
        if let key = env["AWS_ACCESS_KEY_ID"], !key.isEmpty, let secret = env["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty {
            credentials = AWSCredentials(
                accessKeyId: key, secretAccessKey: secret, sessionToken: env["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 })
        } else if let key = credentialSection["aws_access_key_id"] ?? configSection["aws_access_key_id"],
            let secret = credentialSection["aws_secret_access_key"] ?? configSection["aws_secret_access_key"]
        {
            credentials = AWSCredentials(
                accessKeyId: key, secretAccessKey: secret, sessionToken: credentialSection["aws_session_token"] ?? configSection["aws_session_token"])
        } else {
            throw AWSError(
                .configuration,
                message:
                    """
                    no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE naming a \
                    profile with aws_access_key_id in ~/.aws/credentials (profile '\(profile)' has none)
                    """
            )
        }

        let region = [explicitRegion, env["AWS_REGION"], env["AWS_DEFAULT_REGION"], configSection["region"]]
            .compactMap { $0 }.first { !$0.isEmpty }
        guard let region else {
            throw AWSError(
                .configuration,
                message: "no AWS region: set provider.aws.region in platform.yaml, AWS_REGION, or region in the '\(profile)' profile of ~/.aws/config"
            )
        }

        var endpoint: String?
        var perService: [String: String] = [:]
        if env["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"]?.lowercased() != "true" {
            endpoint = env["AWS_ENDPOINT_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? configSection["endpoint_url"]
            for (key, value) in env where key.hasPrefix("AWS_ENDPOINT_URL_") && !value.isEmpty {
                perService[String(key.dropFirst("AWS_ENDPOINT_URL_".count))] = value
            }
        }
        return AWSConfiguration(credentials: credentials, region: region, endpointURL: endpoint, serviceEndpointURLs: perService)
    }
}
