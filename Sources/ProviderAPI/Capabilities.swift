/// A provider that can apply many changes of a kind in one API call (Route53 takes up to 1,000
/// record changes per ChangeResourceRecordSets). Which types batch, by which attributes and how
/// many a call, its schema declares (`ResourceSchema.batching`); the engine holds ready
/// batchable changes back and sends them together: when a batch is full, or when nothing else
/// is left to run.
public protocol BatchingProvider: Provider {
    /// Applies the requests, one response per request in order. A batch the API refuses as a
    /// whole is split to find the bad request; the others still land.
    func applyBatch(_ requests: [ApplyRequest]) async -> [ApplyResponse]
}

/// The numbers of a pool's members held by resources Landlord does not own, as a
/// `CapacityReadingProvider` reads them.
public struct NumbersInUse: Sendable, Hashable {
    /// The numbers taken, by member id.
    public var numbers: [String: Set<Int>]
    public var diagnostics: [ProviderDiagnostic]

    public init(numbers: [String: Set<Int>] = [:], diagnostics: [ProviderDiagnostic] = []) {
        self.numbers = numbers
        self.diagnostics = diagnostics
    }
}

/// A provider that can tell which numbers of a pool's members (for AWS, a listener's rule
/// priorities) are held by resources Landlord does not own, so allocation avoids them.
public protocol CapacityReadingProvider: Provider {
    /// Numbers in use on each of `members` by resources not tagged as this platform's.
    func numbersInUse(members: [String], platform: String) async -> NumbersInUse
}

/// The resources of one type an account holds, as a `QuotaReadingProvider` lists them.
public struct ExistingResources: Sendable {
    /// Their ids, as `ResourceObject.id` gives them.
    public var ids: Set<String>
    public var diagnostics: [ProviderDiagnostic]
    public init(ids: Set<String>, diagnostics: [ProviderDiagnostic] = []) {
        self.ids = ids
        self.diagnostics = diagnostics
    }
}

/// A provider that can list every resource of a type with an account-wide quota
/// (`ResourceSchema.quotas`), so the engine counts those made outside Landlord too (the SES
/// contact list a platform made by hand is the account's one).
public protocol QuotaReadingProvider: Provider {
    /// Every resource of `type` in the account (and region) the provider is configured for.
    func existingResources(type: String) async -> ExistingResources
}
