/// What providers that serve their types through one handler a type share: the diagnostic for
/// a type they do not serve, and the read loop over a request's resources.
extension ProviderDiagnostic {
    /// `provider` serves no type `type`: names the types it does serve.
    public static func unknownType(_ type: String, provider: String, serves known: some Sequence<String>) -> ProviderDiagnostic {
        .error(
            "the \(provider) provider has no resource type '\(type)'",
            detail: "use one of: \(known.sorted().joined(separator: ", "))", code: "UnknownType")
    }
}

extension ReadRequest {
    /// Reads each resource, one after another, through the handler `lookup` finds for its type.
    /// A resource whose type has no handler, or whose read throws, comes back as it was with a
    /// diagnostic (`diagnose` turns a thrown error into one), so a refresh keeps what state recorded.
    public func readEach<Handler>(
        lookup: (String) -> Result<Handler, ProviderDiagnostic>,
        read: (Handler, ResourceObject) async throws -> ResourceObject?,
        diagnose: (any Error, ResourceObject) -> ProviderDiagnostic
    ) async -> ReadResponse {
        var out: [ResourceObject?] = []
        var diagnostics: [ProviderDiagnostic] = []
        for resource in resources {
            switch lookup(resource.type) {
            case .failure(let d):
                diagnostics.append(d)
                out.append(resource)
            case .success(let handler):
                do {
                    out.append(try await read(handler, resource))
                } catch {
                    diagnostics.append(diagnose(error, resource))
                    out.append(resource)
                }
            }
        }
        return ReadResponse(resources: out, diagnostics: diagnostics)
    }
}
