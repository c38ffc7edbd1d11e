/// One resource type's create, update and delete, for providers that carry out `apply` type by
/// type (the AWS and Stripe providers): `ApplyRequest.send(to:diagnose:)` turns a request into
/// the right call and every outcome into an `ApplyResponse`, so no provider writes that again.
public protocol ResourceLifecycle: Sendable {
    /// Creates the resource and returns its id and every attribute.
    func create(_ request: ApplyRequest) async throws -> ResourceObject
    /// Changes the resource in place (only attributes the schema does not force-replace).
    func update(_ request: ApplyRequest, prior: ResourceObject) async throws -> ResourceObject
    /// Deletes it; a resource that is already gone is a success.
    func delete(_ prior: ResourceObject) async throws
}

extension ApplyRequest {
    /// Carries this request out with `lifecycle`. An update without a prior object is refused
    /// (the engine always passes it); a delete without one has nothing to do. A thrown error
    /// becomes `diagnose(error)`, and the response keeps the prior object, which still exists.
    public func send(
        to lifecycle: some ResourceLifecycle, diagnose: (any Error) -> ProviderDiagnostic
    ) async -> ApplyResponse {
        do {
            switch operation {
            case .create:
                return ApplyResponse(resource: try await lifecycle.create(self))
            case .update:
                guard let prior else {
                    return ApplyResponse(
                        resource: nil,
                        diagnostics: [
                            .error(
                                "update \(type) \(identity.address): no prior state",
                                detail: "the engine must pass the recorded resource; run plan again")
                        ])
                }
                return ApplyResponse(resource: try await lifecycle.update(self, prior: prior))
            case .delete:
                guard let prior else { return ApplyResponse(resource: nil) }
                try await lifecycle.delete(prior)
                return ApplyResponse(resource: nil)
            }
        } catch {
            return ApplyResponse(resource: prior, diagnostics: [diagnose(error)])
        }
    }
}
