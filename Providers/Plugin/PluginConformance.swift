import Foundation
import ProviderAPI
import Synchronization

/// `landlord provider check`: a conformance suite run against a plugin before any user runs it.
/// Handshake, schema, then per type a create / read / import / update / delete cycle on the
/// scratch resource the type's schema marks safe for tests (`test: {create, update}`), then
/// malformed requests, then shutdown.
public enum PluginConformance {
    /// One check and how it went.
    public struct Check: Sendable {
        /// What was checked, e.g. `localfs.file: update`.
        public var name: String
        /// The plugin did what the protocol asks.
        public var passed: Bool
        /// What failed and what to do, or a short note on success.
        public var detail: String
    }

    /// Runs the suite; `report` is called as each check finishes.
    public static func run(_ settings: PluginSettings, hostVersion: String, report: @escaping @Sendable (Check) -> Void) async -> [Check] {
        let checks = Checks(report: report)
        let plugin: PluginProvider
        do throws(PluginStartError) {
            plugin = try await PluginProvider.start(settings, hostVersion: hostVersion)
        } catch {
            checks.add("handshake and schema", false, error.description)
            return checks.all
        }
        checks.add(
            "handshake", true,
            """
            \(plugin.info.providerName) \(plugin.info.providerVersion), protocol \
            \(plugin.info.protocolVersion), maxConcurrency \(plugin.info.maxConcurrency)
            """
        )
        checks.add("schema", true, plugin.schema.resources.keys.sorted().joined(separator: ", "))
        for type in plugin.schema.resources.keys.sorted() {
            await lifecycle(plugin, type: type, checks)
        }
        await malformed(plugin, checks)
        // A plugin that had already crashed or broke the protocol was stopped by landlord: its
        // exit says nothing about how it handles `shutdown`.
        let stoppedBefore = plugin.connection.broken
        let exited = await plugin.shutdown()
        if let stoppedBefore {
            checks.add("shutdown", false, "not checked: the plugin had already stopped (\(stoppedBefore.summary)); fix that first")
        } else {
            checks.add("shutdown", exited, exited ? "exited" : "did not exit within 5 s of `shutdown` and end of input; it was killed")
        }
        return checks.all
    }

    private final class Checks: Sendable {
        let report: @Sendable (Check) -> Void
        let list = Mutex<[Check]>([])
        init(report: @escaping @Sendable (Check) -> Void) { self.report = report }
        func add(_ name: String, _ passed: Bool, _ detail: String) {
            let c = Check(name: name, passed: passed, detail: detail)
            list.withLock { $0.append(c) }
            report(c)
        }
        var all: [Check] { list.withLock { $0 } }
    }

    private static func errors(_ d: [ProviderDiagnostic]) -> String? {
        let e = d.filter { $0.severity == .error }
        return e.isEmpty ? nil : e.map { $0.summary + ($0.detail.isEmpty ? "" : " (\($0.detail))") }.joined(separator: "; ")
    }

    /// Create, read, import (by tags and by id), update, delete, read and delete again.
    private static func lifecycle(_ plugin: PluginProvider, type: String, _ checks: Checks) async {
        guard let test = plugin.testInputs[type] else {
            // `test` is optional (Providers/PROTOCOL.md): a type without one is not exercised.
            checks.add(
                "\(type): lifecycle", true,
                "skipped: its schema has no `test: {create: {...}, update: {...}}` (optional); "
                    + "add one, naming a scratch resource safe to create and delete, to have its lifecycle checked")
            return
        }
        let schema = plugin.schema.resources[type]!
        let identity = ResourceIdentity(address: "landlord-check/scratch-\(type)", tenant: "landlord-check", platform: "landlord-check")
        let created = await plugin.apply(
            ApplyRequest(operation: .create, type: type, identity: identity, prior: nil, inputs: test.create, clientToken: UUID().uuidString))
        guard let resource = created.resource, errors(created.diagnostics) == nil else {
            checks.add("\(type): create", false, errors(created.diagnostics) ?? "answered no resource and no error")
            return
        }
        let missing = test.create.keys.filter { resource.attributes[$0] == nil }.sorted()
        checks.add(
            "\(type): create", missing.isEmpty && resource.type == type && !resource.id.isEmpty,
            missing.isEmpty ? "id \(resource.id)" : "the created resource lacks the inputs \(missing.joined(separator: ", "))")
        let read = await plugin.read(ReadRequest(resources: [resource]))
        let readOK = errors(read.diagnostics) == nil && read.resources.first??.id == resource.id
        checks.add(
            "\(type): read", readOK,
            readOK ? "ok" : errors(read.diagnostics) ?? "answered \(read.resources.first??.id ?? "nothing") for id \(resource.id)")
        if schema.taggable {
            let found = await plugin.importResources(ImportRequest(type: type, identity: identity, inputs: test.create))
            let foundOK = errors(found.diagnostics) == nil && found.resources.map(\.id) == [resource.id]
            checks.add(
                "\(type): import by tags", foundOK,
                foundOK ? "ok" : errors(found.diagnostics) ?? "found \(found.resources.map(\.id)) for the address's tags, expected [\(resource.id)]")
        }
        if schema.taggable {
            // The same natural key asked for another tenant's address: what it finds is tagged for
            // the scratch address, so adopting it would hand one tenant's resource to another.
            let other = ResourceIdentity(address: "landlord-check-other/scratch-\(type)", tenant: "landlord-check-other", platform: "landlord-check")
            let stolen = await plugin.importResources(ImportRequest(type: type, identity: other, inputs: test.create))
            let adopted = stolen.resources.contains { $0.id == resource.id }
            checks.add(
                "\(type): import never adopts another address's resource", !adopted,
                adopted
                    ? "`import` for \(other.address) returned \(resource.id), which is tagged for \(identity.address); "
                        + "import must skip what is tagged for another tenant or address (Providers/PROTOCOL.md, import)"
                    : "ok")
        }
        let byID = await plugin.importResources(ImportRequest(type: type, identity: identity, id: resource.id))
        let byIDOK = errors(byID.diagnostics) == nil && byID.resources.map(\.id) == [resource.id]
        checks.add(
            "\(type): import by id", byIDOK, byIDOK ? "ok" : errors(byID.diagnostics) ?? "found \(byID.resources.map(\.id)) for id \(resource.id)")
        var current = resource
        if let update = test.update {
            let inputs = test.create.merging(update) { _, b in b }
            let updated = await plugin.apply(
                ApplyRequest(operation: .update, type: type, identity: identity, prior: resource, inputs: inputs, clientToken: UUID().uuidString))
            let wrong = update.keys.filter { updated.resource?.attributes[$0]?.revealed != update[$0]?.revealed }.sorted()
            checks.add(
                "\(type): update", errors(updated.diagnostics) == nil && wrong.isEmpty && updated.resource != nil,
                errors(updated.diagnostics)
                    ?? (wrong.isEmpty ? "ok" : "after the update, \(wrong.joined(separator: ", ")) do not hold the new values"))
            if let r = updated.resource { current = r }
            let reread = await plugin.read(ReadRequest(resources: [current]))
            let stale = update.keys.filter { reread.resources.first??.attributes[$0]?.revealed != update[$0]?.revealed }.sorted()
            checks.add(
                "\(type): read after update", errors(reread.diagnostics) == nil && stale.isEmpty,
                errors(reread.diagnostics) ?? (stale.isEmpty ? "ok" : "read answers old values of \(stale.joined(separator: ", "))"))
        }
        let deleted = await plugin.apply(
            ApplyRequest(operation: .delete, type: type, identity: identity, prior: current, inputs: [:], clientToken: UUID().uuidString))
        checks.add(
            "\(type): delete", errors(deleted.diagnostics) == nil && deleted.resource == nil,
            errors(deleted.diagnostics) ?? (deleted.resource == nil ? "ok" : "a delete must answer `resource: null`"))
        let gone = await plugin.read(ReadRequest(resources: [current]))
        let goneOK = errors(gone.diagnostics) == nil && gone.resources.count == 1 && gone.resources[0] == nil
        checks.add("\(type): read after delete", goneOK, goneOK ? "ok" : errors(gone.diagnostics) ?? "a deleted resource must read as null")
        let again = await plugin.apply(
            ApplyRequest(operation: .delete, type: type, identity: identity, prior: current, inputs: [:], clientToken: UUID().uuidString))
        checks.add(
            "\(type): delete when already gone", errors(again.diagnostics) == nil,
            errors(again.diagnostics).map { "deleting a resource that is gone must succeed (a retried delete): \($0)" } ?? "ok")
    }

    /// A line that is not JSON, an unknown method and a request without its params: each must
    /// get a JSON-RPC error, and the plugin must go on answering.
    private static func malformed(_ plugin: PluginProvider, _ checks: Checks) async {
        let connection = plugin.connection
        let answer = await connection.sendRawAwaitingNullIDAnswer(Array("{this is not json".utf8), timeout: 5)
        let code = answer?.mapValue?["error"]?.mapValue?["code"]?.intValue
        checks.add(
            "malformed: a line that is not JSON", code == -32700,
            code == -32700 ? "answered -32700" : "expected an answer {\"id\": null, \"error\": {\"code\": -32700, ...}} within 5 s")
        let unknown = await connection.call("landlord.no_such_method", [:], timeout: 5)
        var ok = false
        if case .failure(let f) = unknown, f.kind == .rpcError(-32601) { ok = true }
        checks.add(
            "malformed: an unknown method", ok, ok ? "answered -32601" : "expected a JSON-RPC error -32601 (method not found); \(described(unknown))")
        let bad = await connection.call("apply", ["operation": "create"], timeout: 5)
        ok = false
        switch bad {
        case .failure(let f) where f.kind == .rpcError(-32602): ok = true
        case .success(let v): ok = PluginCodec.diagnostics(v.mapValue?["diagnostics"]).hasErrors
        default: break
        }
        checks.add(
            "malformed: `apply` without its params", ok,
            ok ? "refused" : "expected a JSON-RPC error -32602 (invalid params) or an error diagnostic; \(described(bad))")
        let alive = await connection.call("schema", [:], timeout: 5)
        if case .success = alive {
            checks.add("still answering after malformed requests", true, "ok")
        } else {
            checks.add("still answering after malformed requests", false, described(alive))
        }
    }

    /// What a call came back with, in words (never Swift's debug text).
    static func described(_ result: Result<Value, PluginFailure>) -> String {
        switch result {
        case .success(let v): return "it answered \(JSON.string(v).prefix(160))"
        case .failure(let f): return f.summary
        }
    }
}
