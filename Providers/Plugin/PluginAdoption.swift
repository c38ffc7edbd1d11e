import Foundation
import ProviderAPI

/// `landlord adopt` for a plugin's types (Providers/PROTOCOL.md, protocol 1.1): each lookup is
/// one `import` call with the natural key in `key` (the plugin returns what has that key and is
/// untagged or this address's, never another's), and an adopted resource of a taggable type is
/// tagged with the optional `tag` method. A plugin of protocol 1.0 ignores `key` and finds by
/// tags only, so what it did not make is "nothing found"; it has no `tag`.
extension PluginProvider: AdoptingProvider {
    public func lookUp(_ lookups: [KeyLookup]) async -> KeyLookupResponse {
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
