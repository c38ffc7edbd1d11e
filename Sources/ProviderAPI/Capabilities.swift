/// A provider that can apply many changes of a kind in one API call (Route53 takes up to 1,000
/// record changes per ChangeResourceRecordSets). The engine holds ready batchable changes back
/// and sends them together: when a batch is full, or when nothing else is left to run.
public protocol BatchingProvider: Provider {
    /// Requests that can share a call share a key (e.g. `route53:ZONEID`); nil: applied alone.
    func batchKey(for request: ApplyRequest) -> String?
    /// The most requests one call takes for that key.
    func maxBatchSize(for key: String) -> Int
    /// Applies the requests, one response per request in order. A batch the API refuses as a
    /// whole is split to find the bad request; the others still land.
    func applyBatch(_ requests: [ApplyRequest]) async -> [ApplyResponse]
}

/// A provider that can tell which listener rule priorities are held by rules Landlord does not
/// own, so allocation avoids them.
public protocol CapacityReadingProvider: Provider {
    /// Priorities in use on each listener by rules not tagged as this platform's.
    func occupiedPriorities(listeners: [String], platform: String) async -> (priorities: [String: Set<Int>], diagnostics: [ProviderDiagnostic])
}
