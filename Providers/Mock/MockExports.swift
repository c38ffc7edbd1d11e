import Foundation
import ProviderAPI

/// `deletion: snapshot` in the simulated cloud: the resource as the cloud holds it (type, id,
/// attributes, tags), as JSON. `LANDLORD_MOCK_FAIL_EXPORT=TEXT` fails the exports of addresses
/// containing TEXT, for tests of a failed export.
extension MockProvider: ExportingProvider {
    public func export(_ request: ExportRequest) async -> ExportResponse {
        await latency()
        count("export")
        if let m = settings.failExportMatch, request.identity.address.contains(m) {
            return ExportResponse(
                data: Data(),
                diagnostics: [
                    .error(
                        "injected export fault for \(request.identity.address)",
                        detail: "LANDLORD_MOCK_FAIL_EXPORT=\(m) is set; unset it to let the export through", code: "InjectedFault")
                ])
        }
        let r = request.resource
        do {
            let read = try cloud.read([(r.type, r.id)], also: { _, _ in () })
            guard let found = read.resources.first ?? nil else {
                return ExportResponse(
                    data: Data(), diagnostics: [.error("\(r.type) \(r.id) does not exist in the simulated cloud", detail: "nothing to export")])
            }
            let doc: Value = .map([
                "type": .string(found.type), "id": .string(found.id), "attributes": .map(found.attributes),
                "tags": .map(found.tags.mapValues { .string($0) }),
            ])
            return ExportResponse(data: Data(JSON.serialize(doc, sortedKeys: true, pretty: true)))
        } catch {
            return ExportResponse(data: Data(), diagnostics: [.error("simulated cloud unreadable", detail: "\(error)")])
        }
    }
}
