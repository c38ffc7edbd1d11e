import Foundation
import ProviderAPI

/// `deletion: snapshot` of a plugin's type: the `export` method (Providers/PROTOCOL.md), asked
/// only for types whose schema declares `exportFormat`. The plugin answers
/// `{data: BASE64, diagnostics}`; an answer without data, or with an error, stops the delete.
extension PluginProvider: ExportingProvider {
    public func export(_ request: ExportRequest) async -> ExportResponse {
        let params: Value = ["resource": PluginCodec.encode(request.resource), "identity": PluginCodec.encode(request.identity)]
        let key = gate.key(type: request.resource.type, attributes: request.resource.attributes)
        let result = await gate.run(key: key) { await send("export", params, timeout: settings.timeout) }
        return decode(result, method: "export") { m throws(PluginCodec.Malformed) in
            let diagnostics = PluginCodec.diagnostics(m["diagnostics"])
            if diagnostics.hasErrors { return ExportResponse(data: Data(), diagnostics: diagnostics) }
            guard let text = m["data"]?.stringValue, let data = Data(base64Encoded: text) else {
                throw PluginCodec.Malformed(message: "`export` must answer `data` as base64 text, or an error diagnostic")
            }
            return ExportResponse(data: data, diagnostics: diagnostics)
        } failed: { d in
            ExportResponse(data: Data(), diagnostics: [d])
        }
    }
}
