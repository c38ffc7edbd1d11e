import Foundation
import LandlordCore
import LandlordHTTP

/// Health checks' GETs over the project's HTTP transport, each with a hard deadline: a server
/// that accepts and never answers is a failed try, not a stuck rollout.
public struct HTTPHealthProbe: HealthProbe {
    /// One transport for every check; each try's own deadline is enforced below.
    private let transport = CurlTransport(deadlines: HTTPDeadlines(connect: 10, stall: 30, total: 300))

    public init() {}

    /// GETs `url`; the status and the first 200 bytes of the body, or why there was none.
    public func get(_ url: String, timeout: Double) async -> HealthAnswer {
        guard let c = URLComponents(string: url), let scheme = c.scheme, let host = c.host else { return .error("'\(url)' is not a URL") }
        let request = HTTPRequest(
            method: "GET", scheme: scheme, host: host, port: c.port, path: c.percentEncodedPath.isEmpty ? "/" : c.percentEncodedPath,
            query: (c.queryItems ?? []).map { ($0.name, $0.value ?? "") }, headers: [("User-Agent", "landlord-health")], body: Data())
        let transport = self.transport
        return await withTaskGroup(of: HealthAnswer?.self) { group in
            group.addTask {
                do {
                    let r = try await transport.send(request)
                    return .status(r.status, body: String(decoding: r.body.prefix(200), as: UTF8.self))
                } catch {
                    return .error("\(error)")
                }
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(timeout))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? .error("no answer within \(String(format: "%.1f", timeout))s")
        }
    }
}
