import Foundation
import ProviderAPI

/// Reads recorded resources back from their providers, so a plan can report drift (changed or
/// deleted outside Landlord).
///
/// A provider that can list (`ListReadingProvider`) names a group for each resource it reads
/// with one list or batch call (a hosted zone's records, a listener's rules); each group is
/// read with one `readMany`. The other resources are sent to `read` in batches. Groups and
/// batches run a few at a time; the providers pace their own calls.
///
/// Each response is compared with what state records as it arrives, and only what differs is
/// kept (a resource gone, or an input the provider reports otherwise, as the planner's
/// `Drift` rule the planner uses): a read that matches state would plan the same as no read, so a
/// refresh of a fleet that has not drifted holds one group's reads at a time, not the fleet's.
public enum Refresher {
    /// Most resources sent in one `read` (resources without a group).
    public static let batchSize = 500
    /// Groups and batches read at once.
    public static let parallelism = 8

    /// What a refresh found.
    public struct Result: Sendable {
        /// The provider's view of each refreshed resource that drifted, by address: a nil
        /// entry means the resource no longer exists. A resource missing was either read and
        /// found as state records it (no input differs) or not read.
        public var refreshed: [String: ResourceObject?]
        /// The tenants with a resource in `refreshed`.
        public var driftedTenants: Set<String>
        public var diagnostics: Diagnostics
        /// What was read and what it cost.
        public var report: RefreshReport
    }

    /// One `readMany` (group) or one `read` batch (no group): where its resources are in the
    /// routing table (built when it runs, so the copying is spread over the tasks).
    struct Job: Sendable {
        var provider: Int
        var group: String?
        var refs: [Ref]
    }

    /// A resource's place in the routing table: its tenant's row, its position in the row.
    struct Ref: Sendable {
        var tenant: Int32
        var resource: Int32
    }

    /// A recorded resource, its tenant, the provider that reads it, and its group (nil: read
    /// on its own).
    struct Routed: Sendable {
        var provider: any Provider
        var group: String?
        var tenant: String
        var resource: RecordedResource
        var address: String { tenant + "/" + resource.name }
    }

    /// One provider's resources: by group, and those read on their own.
    struct Bucket {
        var provider: any Provider
        var groups: [String: [Ref]] = [:]
        var single: [Ref] = []
        var count = 0

        mutating func add(_ ref: Ref, group: String?) {
            count += 1
            if let group { groups[group, default: []].append(ref) } else { single.append(ref) }
        }
    }

    /// What one job found: the drifted resources, or the failure.
    struct JobResult: Sendable {
        var drifted: [Keyed<Ref, ResourceObject?>] = []
        var diagnostics: [ProviderDiagnostic] = []
    }

    /// Reads every recorded resource of `tenants` (nil: all): those of `recorded` (as
    /// `StateStore.loadRecordedResources` reads them) and of the documents in `states`. With
    /// `listing` false, every resource is read on its own (what a list cannot show is then read
    /// too, at a call per resource).
    public static func refresh(
        _ states: [String: TenantState], recorded: [String: [RecordedResource]] = [:], tenants: Set<String>?, providers: ProviderRegistry,
        listing: Bool = true
    ) async -> Result {
        let started = Date()
        // Where each recorded resource is read (its provider, and its group when the provider
        // lists), worked out a share of the tenants per core.
        let ids = Set(states.keys).union(recorded.keys).filter { tenants?.contains($0) ?? true }.sorted()
        let routed = ParallelMap.map(ids) { id -> [Routed] in
            let resources = recorded[id] ?? states[id]?.recordedResources ?? []
            var out: [Routed] = []
            out.reserveCapacity(resources.count)
            for r in resources {
                guard let p = providers.provider(for: r.object.type) else { continue }
                let group = listing ? (p as? any ListReadingProvider)?.readGroup(for: r.object) : nil
                out.append(Routed(provider: p, group: group, tenant: id, resource: r))
            }
            return out
        }
        var buckets: [Bucket] = []
        var bucketOf: [String: Int] = [:]
        for (t, row) in routed.enumerated() {
            for (i, r) in row.enumerated() {
                let b: Int
                if let known = bucketOf[r.provider.name] {
                    b = known
                } else {
                    b = buckets.count
                    bucketOf[r.provider.name] = b
                    buckets.append(Bucket(provider: r.provider))
                }
                buckets[b].add(Ref(tenant: Int32(t), resource: Int32(i)), group: r.group)
            }
        }
        buckets.sort { $0.provider.name < $1.provider.name }
        var jobs: [Job] = []
        var report = RefreshReport()
        for (b, bucket) in buckets.enumerated() {
            jobs += bucket.groups.sorted { $0.key < $1.key }.map { Job(provider: b, group: $0.key, refs: $0.value) }
            var start = 0
            while start < bucket.single.count {
                jobs.append(Job(provider: b, group: nil, refs: Array(bucket.single[start..<min(bucket.single.count, start + batchSize)])))
                start += batchSize
            }
            report.resources += bucket.count
            report.groups += bucket.groups.count
            report.single += bucket.single.count
        }
        let readers = buckets.map(\.provider)
        let counters = Dictionary(readers.compactMap { p in (p as? any CallCountingProvider).map { (p.name, $0) } }) { a, _ in a }
        for bucket in buckets where counters[bucket.provider.name] == nil { report.uncounted[bucket.provider.name, default: 0] += bucket.count }
        let before = counters.mapValues { $0.apiCallCounts() }

        let results = await run(jobs, providers: readers, routed: routed)
        var diags = Diagnostics()
        var out: [String: ResourceObject?] = [:]
        var driftedTenants = Set<String>()
        for (job, result) in zip(jobs, results) {
            if result.diagnostics.hasErrors {
                // Name what was being read: one resource by its address, a group by its first few.
                let addresses = job.refs.prefix(4).map { routed[Int($0.tenant)][Int($0.resource)].address }
                let what =
                    addresses.count == 1
                    ? ""
                    : " of \(job.refs.count) resources (\(addresses.joined(separator: ", "))\(job.refs.count > addresses.count ? ", ..." : ""))"
                for d in result.diagnostics where d.severity == .error {
                    let next = "plan again once it can be read, or with --refresh=false to skip reading the providers"
                    diags.append(
                        Diagnostic.error(
                            "refresh\(what) failed: \(d.summary)", detail: d.detail.isEmpty ? next : d.detail + "\n" + next,
                            address: addresses.count == 1 ? addresses[0] : nil
                        ).naming(d))
                }
                continue
            }
            for d in result.drifted {
                let r = routed[Int(d.key.tenant)][Int(d.key.resource)]
                out[r.address] = .some(d.value)
                driftedTenants.insert(r.tenant)
            }
        }
        for (name, counter) in counters {
            let prior = before[name] ?? [:]
            for (op, n) in counter.apiCallCounts() where n > prior[op] ?? 0 {
                report.calls[op, default: 0] += n - (prior[op] ?? 0)
            }
        }
        report.seconds = Date().timeIntervalSince(started)
        report.drifted = out.count
        // The routing table holds a copy of every recorded resource; the caller need not
        // wait while it is freed.
        releaseInBackground(routed)
        return Result(refreshed: out, driftedTenants: driftedTenants, diagnostics: diags, report: report)
    }

    /// Runs the jobs `parallelism` at a time, the largest first (so no large one is left
    /// running alone at the end); one result per job, in the jobs' order.
    static func run(_ jobs: [Job], providers: [any Provider], routed: [[Routed]]) async -> [JobResult] {
        var responses = [JobResult?](repeating: nil, count: jobs.count)
        let order = jobs.indices.sorted { jobs[$0].refs.count > jobs[$1].refs.count || (jobs[$0].refs.count == jobs[$1].refs.count && $0 < $1) }
        await withTaskGroup(of: Keyed<Int, JobResult>.self) { group in
            var next = 0
            func start() {
                let index = order[next]
                let job = jobs[index]
                group.addTask { Keyed(index, await read(job, provider: providers[job.provider], routed: routed)) }
                next += 1
            }
            while next < min(parallelism, jobs.count) { start() }
            while let done = await group.next() {
                responses[done.key] = done.value
                if next < jobs.count { start() }
            }
        }
        return responses.map { $0 ?? JobResult() }
    }

    /// Reads a job's resources and keeps those that drifted.
    static func read(_ job: Job, provider: any Provider, routed: [[Routed]]) async -> JobResult {
        // Each resource taken from the table once, through borrowed rows: the rows are shared
        // by the jobs on every core, and copying a row or a whole entry out of it would
        // retain and release what other cores retain too.
        var recorded: [RecordedResource] = []
        recorded.reserveCapacity(job.refs.count)
        routed.withUnsafeBufferPointer { rows in
            for ref in job.refs {
                rows[Int(ref.tenant)].withUnsafeBufferPointer { row in recorded.append(row[Int(ref.resource)].resource) }
            }
        }
        let resources = recorded.map(\.object)
        let response: ReadResponse
        if let group = job.group, let lister = provider as? any ListReadingProvider {
            response = await lister.readMany(group: group, resources: resources)
        } else {
            response = await provider.read(ReadRequest(resources: resources))
        }
        if response.diagnostics.hasErrors { return JobResult(diagnostics: response.diagnostics) }
        var result = JobResult()
        for (i, now) in zip(recorded.indices, response.resources) where recorded[i].drifted(now) {
            result.drifted.append(Keyed(job.refs[i], now))
        }
        return result
    }
}
