/// A provider that can read many recorded resources with one API call (a list or batch read),
/// so a refresh costs calls per group rather than per resource: Route53 lists a hosted zone's
/// records 300 at a time, ELBv2 describes a listener's rules in one call, ECS describes ten
/// services per call.
///
/// The engine asks for each recorded resource's group and reads each group with one
/// `readMany`; resources without a group (types with no list or batch read) are read with
/// `read` as before. The provider decides per type (and may decide per resource, e.g. by zone).
public protocol ListReadingProvider: Provider {
    /// The group this resource is read with (e.g. `route53:ZONEID`, `elbv2-rules:LISTENER`);
    /// nil: read it on its own through `read`.
    func readGroup(for resource: ResourceObject) -> String?
    /// Current attributes of every resource of one group, one entry per resource in order,
    /// nil where the resource no longer exists; with the same shape `read` returns. A failure
    /// is a diagnostic (the resources' entries are then their recorded objects).
    func readMany(group: String, resources: [ResourceObject]) async -> ReadResponse
    /// Called as a refresh begins, while the engine is still reading state: load or connect
    /// what the reads will need (the mock loads its cloud's index), so that work overlaps the
    /// engine's instead of delaying the first read. The default does nothing.
    func prepareToRead() async
}

extension ListReadingProvider {
    public func prepareToRead() async {}
}

/// One API operation a provider called, for refresh reports (`route53` `ListResourceRecordSets`).
public struct APIOperation: Sendable, Hashable, Comparable {
    /// The API (service), e.g. `route53`, `elasticloadbalancing`.
    public var api: String
    /// The operation, e.g. `ListResourceRecordSets`.
    public var operation: String
    public init(api: String, operation: String) {
        self.api = api
        self.operation = operation
    }
    public static func < (a: APIOperation, b: APIOperation) -> Bool { (a.api, a.operation) < (b.api, b.operation) }
}

/// A provider that counts the requests it sends per API and operation (retries included), so
/// the engine can report what a refresh cost.
public protocol CallCountingProvider: Provider {
    /// Requests sent so far by this provider (cumulative for its lifetime).
    func apiCallCounts() -> [APIOperation: Int]
}

/// What a refresh read and what it cost, by provider API call.
public struct RefreshReport: Sendable {
    /// Recorded resources read.
    public var resources: Int
    /// Groups read with one `readMany` each.
    public var groups: Int
    /// Resources read on their own (types without a list read).
    public var single: Int
    /// Requests sent during the refresh, per API and operation (providers that count them).
    public var calls: [APIOperation: Int]
    /// Wall-clock seconds the refresh took.
    public var seconds: Double
    /// Resources read that were gone or reported inputs other than state records.
    public var drifted: Int
    /// Resources read through providers that do not count their calls (no
    /// ``CallCountingProvider``), by provider name: their calls are not in `calls`.
    public var uncounted: [String: Int]
    public init(
        resources: Int = 0, groups: Int = 0, single: Int = 0, calls: [APIOperation: Int] = [:], seconds: Double = 0, drifted: Int = 0,
        uncounted: [String: Int] = [:]
    ) {
        self.resources = resources
        self.uncounted = uncounted
        self.drifted = drifted
        self.groups = groups
        self.single = single
        self.calls = calls
        self.seconds = seconds
    }

    /// Every request counted.
    public var totalCalls: Int { calls.values.reduce(0, +) }
}
