import Foundation
import ProviderAPI

/// `landlord adopt` for a plugin's types (Providers/PROTOCOL.md, protocol 1.1): each lookup is
/// one `import` call with the natural key in `key` (the plugin returns what has that key and is
/// untagged or this address's, never another's), and an adopted resource of a taggable type is
/// tagged with the optional `tag` method. A plugin of protocol 1.0 would ignore `key` (finding
/// by tags only) and has no `tag`: its lookups are refused at plan time, before any call.
extension PluginProvider: AdoptingProvider {
    /// True when the plugin's protocol has `import` with `key` and `tag` (1.1 and later).
    var adoptsByKey: Bool {
        let parts = info.protocolVersion.split(separator: ".").compactMap { Int($0) }
        return parts.count == 2 && (parts[0] > 1 || parts[1] >= 1)
    }

    public func lookUp(_ lookups: [KeyLookup]) async -> KeyLookupResponse {
        guard adoptsByKey else {
            let d = ProviderDiagnostic.error(
                "the \(name) plugin speaks provider protocol \(info.protocolVersion), which cannot adopt by natural key",
                detail: "adoption needs protocol 1.1 (`import` with `key`, and `tag`; Providers/PROTOCOL.md): update the plugin, "
                    + "or let `landlord apply` create the resource",
                code: "NoNaturalKey")
            return KeyLookupResponse(matches: lookups.map { _ in [] }, diagnostics: [d])
        }
        let answers = await withTaskGroup(of: Keyed<Int, ImportResponse>.self) { group in
            for (i, l) in lookups.enumerated() {
                group.addTask {
                    var params = PluginCodec.encode(ImportRequest(type: l.type, identity: l.identity, inputs: l.inputs)).mapValue ?? [:]
                    params["key"] = Value.map(l.key).revealed
                    return Keyed(i, await self.importByKey(l, params: .map(params)))
                }
            }
            var out: [Int: ImportResponse] = [:]
            for await a in group { out[a.key] = a.value }
            return out
        }
        var matches: [[KeyMatch]] = []
        var diagnostics: [ProviderDiagnostic] = []
        for i in lookups.indices {
            let answer = answers[i] ?? ImportResponse(resources: [], diagnostics: [])
            diagnostics += answer.diagnostics
            // The protocol's rule: import never returns another address's resource, so what it
            // returns is free (untagged) or already this address's.
            matches.append(answer.resources.sorted { $0.id < $1.id }.map { KeyMatch(resource: $0) })
        }
        return KeyLookupResponse(matches: matches, diagnostics: diagnostics, calls: lookups.count)
    }

    func importByKey(_ l: KeyLookup, params: Value) async -> ImportResponse {
        let key = gate.key(type: l.type, attributes: l.inputs)
        let result = await gate.run(key: key) { await send("import", params, timeout: settings.timeout) }
        return decode(result, method: "import") { m throws(PluginCodec.Malformed) in
            var out: [ResourceObject] = []
            for item in m["resources"]?.listValue ?? [] {
                if let r = try PluginCodec.resource(item, schema: schema.resources[l.type]) { out.append(r) }
            }
            return ImportResponse(resources: out, diagnostics: PluginCodec.diagnostics(m["diagnostics"]))
        } failed: { d in
            ImportResponse(resources: [], diagnostics: [d])
        }
    }

    public func tag(_ resource: ResourceObject, identity: ResourceIdentity) async -> [ProviderDiagnostic] {
        let params: Value = ["resource": PluginCodec.encode(resource), "identity": PluginCodec.encode(identity)]
        let key = gate.key(type: resource.type, attributes: resource.attributes)
        let result = await gate.run(key: key) { await send("tag", params, timeout: settings.timeout) }
        if case .failure(let f) = result, f.kind == .rpcError(-32601) {
            return [
                .error(
                    "the \(name) plugin cannot tag \(resource.type) \(resource.id) for \(identity.address): it has no `tag` method",
                    detail: "a plugin adopts a taggable type only with `tag` (provider protocol 1.1, Providers/PROTOCOL.md); "
                        + "update the plugin, or let `landlord apply` create the resource",
                    code: "NotTaggable")
            ]
        }
        return decode(result, method: "tag") { m throws(PluginCodec.Malformed) in
            PluginCodec.diagnostics(m["diagnostics"])
        } failed: { d in
            [d]
        }
    }
}
