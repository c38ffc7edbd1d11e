import Foundation
import LandlordBasics
import LandlordCore
import ProviderAPI
import Synchronization

/// The provider calls a scheduled drift check makes, paced by one ``TokenBucket`` at the
/// platform's `drift.callsPerSecond` and counted: a resource read on its own is one call, a
/// group read by listing (`readMany`) one, a provider's preparation to read one.
final class DriftBudget: Sendable {
    let bucket: TokenBucket?
    private let times = Mutex<[Double]>([])
    private let started = Date()

    init(callsPerSecond: Double?) { bucket = callsPerSecond.map { TokenBucket(rate: $0) } }

    /// Waits for `n` calls' tokens, then counts them.
    func take(_ n: Int) async {
        for _ in 0..<n {
            await bucket?.take()
            let t = Date().timeIntervalSince(started)
            times.withLock { $0.append(t) }
        }
    }

    /// Calls made so far.
    var calls: Int { times.withLock { $0.count } }

    /// The most calls made within any one second.
    var peakPerSecond: Int {
        let t = times.withLock { $0 }.sorted()
        var best = 0
        var lo = 0
        for hi in t.indices {
            while t[hi] - t[lo] >= 1 { lo += 1 }
            best = max(best, hi - lo + 1)
        }
        return best
    }

    /// `providers` with every read going through this budget.
    func pace(_ providers: ProviderRegistry) -> ProviderRegistry { providers.mapped { PacedProvider(inner: $0, budget: self) } }
}

/// A provider whose reads take the drift budget's tokens first; everything else is the inner
/// provider's.
struct PacedProvider: ListReadingProvider {
    let inner: any Provider
    let budget: DriftBudget
    var name: String { inner.name }
    var schema: ProviderSchema { inner.schema }

    func read(_ request: ReadRequest) async -> ReadResponse {
        await budget.take(request.resources.count)
        return await inner.read(request)
    }

    func readGroup(for resource: ResourceObject) -> String? { (inner as? any ListReadingProvider)?.readGroup(for: resource) }

    func readMany(group: String, resources: [ResourceObject]) async -> ReadResponse {
        guard let lister = inner as? any ListReadingProvider else { return await read(ReadRequest(resources: resources)) }
        await budget.take(1)
        return await lister.readMany(group: group, resources: resources)
    }

    func prepareToRead() async {
        guard let lister = inner as? any ListReadingProvider else { return }
        await budget.take(1)
        await lister.prepareToRead()
    }

    func apply(_ request: ApplyRequest) async -> ApplyResponse { await inner.apply(request) }
    func importResources(_ request: ImportRequest) async -> ImportResponse { await inner.importResources(request) }
    func wait(_ request: WaitRequest) async -> WaitResponse { await inner.wait(request) }
}
