import Foundation
import ProviderAPI

/// Reads recorded resources back from their providers, so a plan can report drift (changed or
/// deleted outside Landlord).
///
/// A provider that can list (`ListReadingProvider`) names a group for each resource it reads
/// with one list or batch call (a hosted zone's records, a listener's rules); each group is
/// read with one `readMany`. The other resources are sent to `read` in batches. Groups and
/// batches run a few at a time; the providers pace their own calls.
public enum Refresher {
    /// Most resources sent in one `read` (resources without a group).
    public static let batchSize = 500
    /// Groups and batches read at once.
    public static let parallelism = 8

    /// What a refresh found.
    public struct Result: Sendable {
        /// The current view of every refreshed resource by address; a nil entry means the
        /// resource no longer exists. Addresses missing were not refreshed.
        public var refreshed: [String: ResourceObject?]
        public var diagnostics: Diagnostics
        /// What was read and what it cost.
        public var report: RefreshReport
    }

    /// One `readMany` (group) or one `read` batch (no group).
    struct Job: Sendable {
        var provider: any Provider
        var group: String?
        var addresses: [String]
        var resources: [ResourceObject]
    }

    /// Reads every recorded resource of `tenants` (nil: all); with `listing` false, every
    /// resource on its own (what a list cannot show is then read too, at a call per resource).
    public static func refresh(_ states: [String: TenantState], tenants: Set<String>?, providers: ProviderRegistry, listing: Bool = true) async
        -> Result
    {
        let started = Date()
        var byProvider: [String: (provider: any Provider, items: [(address: String, object: ResourceObject)])] = [:]
        for (id, st) in states.sorted(by: { $0.key < $1.key }) where tenants?.contains(id) ?? true {
            for (name, r) in st.resources.sorted(by: { $0.key < $1.key }) {
                guard let p = providers.provider(for: r.type) else { continue }
                byProvider[p.name, default: (p, [])].items.append((id + "/" + name, r.object))
            }
        }
        var jobs: [Job] = []
        var report = RefreshReport()
        for (_, entry) in byProvider.sorted(by: { $0.key < $1.key }) {
            var groups: [String: Job] = [:]
            var single: [(address: String, object: ResourceObject)] = []
            let lister = listing ? entry.provider as? any ListReadingProvider : nil
            for item in entry.items {
                if let lister, let group = lister.readGroup(for: item.object) {
                    groups[group, default: Job(provider: entry.provider, group: group, addresses: [], resources: [])].addresses.append(item.address)
                    groups[group]?.resources.append(item.object)
                } else {
                    single.append(item)
                }
            }
            jobs += groups.sorted { $0.key < $1.key }.map(\.value)
            var start = 0
            while start < single.count {
                let batch = single[start..<min(single.count, start + batchSize)]
                jobs.append(Job(provider: entry.provider, group: nil, addresses: batch.map(\.address), resources: batch.map(\.object)))
                start += batchSize
            }
            report.resources += entry.items.count
            report.groups += groups.count
            report.single += single.count
        }
        let counters = Dictionary(byProvider.values.compactMap { e in (e.provider as? any CallCountingProvider).map { (e.provider.name, $0) } }) {
            a, _ in a
        }
        let before = counters.mapValues { $0.apiCallCounts() }

        let responses = await run(jobs)
        var diags = Diagnostics()
        var out: [String: ResourceObject?] = [:]
        for (job, resp) in zip(jobs, responses) {
            if resp.diagnostics.hasErrors {
                for d in resp.diagnostics where d.severity == .error {
                    diags.append(
                        .error(
                            "refresh failed: \(d.summary)",
                            detail: d.detail.isEmpty ? "plan with --refresh=false to skip reading the providers" : d.detail))
                }
                continue
            }
            for (i, address) in job.addresses.enumerated() where i < resp.resources.count {
                out[address] = .some(resp.resources[i])
            }
        }
        for (name, counter) in counters {
            let prior = before[name] ?? [:]
            for (op, n) in counter.apiCallCounts() where n > prior[op] ?? 0 {
                report.calls[op, default: 0] += n - (prior[op] ?? 0)
            }
        }
        report.seconds = Date().timeIntervalSince(started)
        return Result(refreshed: out, diagnostics: diags, report: report)
    }

    /// Runs the jobs `parallelism` at a time; one response per job, in order.
    static func run(_ jobs: [Job]) async -> [ReadResponse] {
        var responses = [ReadResponse?](repeating: nil, count: jobs.count)
        await withTaskGroup(of: Keyed<Int, ReadResponse>.self) { group in
            var next = 0
            while next < min(parallelism, jobs.count) {
                let index = next
                let job = jobs[index]
                group.addTask { Keyed(index, await read(job)) }
                next += 1
            }
            while let done = await group.next() {
                responses[done.key] = done.value
                if next < jobs.count {
                    let index = next
                    let job = jobs[index]
                    group.addTask { Keyed(index, await read(job)) }
                    next += 1
                }
            }
        }
        return responses.map { $0 ?? ReadResponse(resources: []) }
    }

    static func read(_ job: Job) async -> ReadResponse {
        if let group = job.group, let lister = job.provider as? any ListReadingProvider {
            return await lister.readMany(group: group, resources: job.resources)
        }
        return await job.provider.read(ReadRequest(resources: job.resources))
    }
}
