import ProviderAPI

/// Which environment variables spec files may read with `${env.NAME}`, and their values.
///
/// Only names platform.yaml declares (`env: [ACME_API_KEY, {name: IMAGE_TAG, sensitive: false}]`)
/// can be read: tenant files come from pull requests, and CI posts their plan as a comment, so
/// an undeclared `${env.AWS_SECRET_ACCESS_KEY}` must never be read, printed or stored. Declared
/// names are sensitive unless declared otherwise. The loader takes the environment as a value,
/// so tests and the service pass their own.
public struct EnvironmentAccess: Sendable {
    /// Declared names and whether each is sensitive.
    public var declared: [String: Bool]
    /// The process environment (or a test's).
    public var values: [String: String]
    /// platform.yaml's path, for messages.
    public var platformFile: String

    public init(declared: [String: Bool] = [:], values: [String: String] = [:], platformFile: String = "platform.yaml") {
        self.declared = declared
        self.values = values
        self.platformFile = platformFile
    }

    /// What `${env.NAME}` resolves to: the value (and whether it is sensitive), or why not.
    func resolve(_ name: String) -> Result<(value: String, sensitive: Bool), Problem> {
        guard let sensitive = declared[name] else {
            let known = declared.keys.sorted()
            let hint = known.isEmpty ? "platform.yaml declares none" : "declared: \(known.joined(separator: ", "))"
            return .failure(
                Problem(
                    "environment variable \(name) is not declared in \(platformFile), so it is not read (\(hint))"
                        + "\(Suggest.didYouMean(name, in: known)); "
                        + "if this fleet should read it, add `env: [\(name)]` to \(platformFile)"))
        }
        guard let value = values[name] else {
            return .failure(Problem("environment variable \(name) is not set; export it before running landlord"))
        }
        return .success((value, sensitive))
    }
}
