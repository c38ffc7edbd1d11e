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

extension ApplyRequest {
    /// Carries this request out (``send(to:diagnose:)``) with the lifecycle `lookup` finds for
    /// its type; a type without one is answered with `lookup`'s diagnostic, the prior object kept.
    public func send(
        through lookup: (String) -> Result<any ResourceLifecycle, ProviderDiagnostic>, diagnose: (any Error) -> ProviderDiagnostic
    ) async -> ApplyResponse {
        switch lookup(type) {
        case .failure(let d): return ApplyResponse(resource: prior, diagnostics: [d])
        case .success(let lifecycle): return await send(to: lifecycle, diagnose: diagnose)
        }
    }
}

extension ImportRequest {
    /// The existing resources the handler `lookup` finds for this request's type finds (`find`);
    /// a type without a handler, or a search that throws (`diagnose` turns the error into a
    /// diagnostic), finds none.
    public func findEach<Handler>(
        lookup: (String) -> Result<Handler, ProviderDiagnostic>, find: (Handler) async throws -> [ResourceObject],
        diagnose: (any Error) -> ProviderDiagnostic
    ) async -> ImportResponse {
        switch lookup(type) {
        case .failure(let d): return ImportResponse(resources: [], diagnostics: [d])
        case .success(let h):
            do {
                return ImportResponse(resources: try await find(h))
            } catch {
                return ImportResponse(resources: [], diagnostics: [diagnose(error)])
            }
        }
    }
}
