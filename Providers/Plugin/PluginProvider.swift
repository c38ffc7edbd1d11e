import Foundation
import ProviderAPI
import Synchronization

/// What a plugin said about itself in `initialize`.
public struct PluginInfo: Sendable {
    /// The plugin's own name and version (`provider` in the answer).
    public var providerName: String
    /// The plugin's version (shown by `landlord providers`).
    public var providerVersion: String
    /// The protocol version it speaks.
    public var protocolVersion: String
    /// Calls it takes at once.
    public var maxConcurrency: Int
    /// `TYPE` (or `*`) -> attributes whose equal values mean two calls must not overlap.
    public var concurrencyKeys: [String: [String]]
}

/// A plugin that could not be started: it exited, did not answer, spoke another major version
/// or declared a schema Landlord cannot read. `detail` quotes its last stderr lines.
public struct PluginStartError: Error, Sendable, CustomStringConvertible {
    /// One line naming the plugin and what went wrong.
    public var summary: String
    /// The plugin's last stderr lines and what to do next.
    public var detail: String
    /// Summary and detail.
    public var description: String { summary + (detail.isEmpty ? "" : "\n" + detail) }
}

/// A provider served by a separate process speaking Landlord's provider protocol (JSON-RPC 2.0
/// over stdin/stdout, Providers/PROTOCOL.md). It is started, greeted (`initialize`) and asked
/// for its types (`schema`) by `start`; every Provider call is then one request, at most
/// `maxConcurrency` in flight. A plugin that misbehaves fails the calls it was asked with a
/// diagnostic quoting its stderr; it never throws into the engine or writes state.
public final class PluginProvider: CallCountingProvider {
    /// The configured name: the prefix of the types it serves.
    public let name: String
    /// The types the plugin declared in `schema`.
    public let schema: ProviderSchema
    /// What the plugin said in `initialize`.
    public let info: PluginInfo
    /// The settings it was started with.
    public let settings: PluginSettings
    let connection: PluginConnection
    let gate: PluginGate
    /// Scratch inputs per type for `landlord provider check`.
    let testInputs: [String: PluginCodec.TestInputs]
    /// Calls sent, by method (`read`, `apply`, ...): the refresh summary counts them as API calls.
    private let calls = Mutex<[APIOperation: Int]>([:])

    private init(
        settings: PluginSettings, info: PluginInfo, schema: ProviderSchema, tests: [String: PluginCodec.TestInputs], connection: PluginConnection
    ) {
        self.name = settings.name
        self.settings = settings
        self.info = info
        self.schema = schema
        self.testInputs = tests
        self.connection = connection
        gate = PluginGate(maxConcurrency: info.maxConcurrency, keys: info.concurrencyKeys)
    }

    /// Starts the plugin, checks its protocol version and reads its schema.
    /// An empty `settings.name` takes the name the plugin gives itself (`provider check`).
    public static func start(_ settings: PluginSettings, hostVersion: String) async throws(PluginStartError) -> PluginProvider {
        var settings = settings
        let connection: PluginConnection
        do {
            connection = try PluginConnection(settings)
        } catch {
            throw PluginStartError(
                summary: "cannot start \(settings.called) (`\(settings.commandLine)`): \(error.localizedDescription)",
                detail: settings.missingFiles.isEmpty ? "check `command` in its provider settings" : settings.startHint)
        }
        // Starting can take longer than a call (an interpreter, a JIT): at least 30 s.
        let handshakeTimeout = max(settings.timeout, 30)
        func failed(_ summary: String) async -> PluginStartError {
            await connection.shutdown(grace: 1)
            return PluginStartError(
                summary: summary,
                detail: connection.log.quoted() + "\n" + settings.startHint)
        }
        let hello: Value = [
            "protocolVersion": .string(PluginProtocol.version), "host": ["name": "landlord", "version": .string(hostVersion)],
            "config": .map(settings.config),
        ]
        let answer: [String: Value]
        switch await connection.call("initialize", hello, timeout: handshakeTimeout) {
        case .failure(let f): throw await failed("\(settings.called) failed at start: \(f.summary)")
        case .success(let v):
            guard let m = v.mapValue else {
                throw await failed("\(settings.called) answered `initialize` with \(JSON.string(v).prefix(80))")
            }
            answer = m
        }
        let theirs = answer["protocolVersion"]?.stringValue ?? "(none)"
        guard theirs.split(separator: ".").first.flatMap({ Int($0) }) == PluginProtocol.major else {
            throw await failed(
                "\(settings.called) speaks provider protocol \(theirs), and this landlord speaks \(PluginProtocol.version): "
                    + "use a version of the plugin for protocol \(PluginProtocol.major).x, or a landlord that speaks \(theirs)")
        }
        let provider = answer["provider"]?.mapValue ?? [:]
        let caps = answer["capabilities"]?.mapValue ?? [:]
        let keys = (caps["concurrencyKeys"]?.mapValue ?? [:]).mapValues { ($0.listValue ?? []).compactMap(\.stringValue) }
        if settings.name.isEmpty { settings.name = provider["name"]?.stringValue ?? "" }
        let info = PluginInfo(
            providerName: provider["name"]?.stringValue ?? settings.name, providerVersion: provider["version"]?.stringValue ?? "unknown",
            protocolVersion: theirs, maxConcurrency: max(1, caps["maxConcurrency"]?.intValue ?? 1), concurrencyKeys: keys)
        let schemaAnswer: Value
        switch await connection.call("schema", [:], timeout: handshakeTimeout) {
        case .failure(let f): throw await failed("\(settings.called) failed to give its schema: \(f.summary)")
        case .success(let v): schemaAnswer = v
        }
        let (resources, tests, problems) = PluginCodec.schema(schemaAnswer, provider: settings.name)
        if !problems.isEmpty {
            throw await failed("\(settings.called)'s schema cannot be used: " + problems.joined(separator: "; "))
        }
        return PluginProvider(settings: settings, info: info, schema: ProviderSchema(resources: resources), tests: tests, connection: connection)
    }

    /// Asks the plugin to exit; kills it if it has not within 5 s.
    /// True when it exited by itself.
    @discardableResult
    public func shutdown() async -> Bool { await connection.shutdown(grace: 5) }

    /// The calls sent so far, as `NAME METHOD` (e.g. `localfs read`), for the refresh summary.
    public func apiCallCounts() -> [APIOperation: Int] { calls.withLock { $0 } }

    /// Sends one call through the connection, counting it.
    func send(_ method: String, _ params: Value, timeout: Double) async -> Result<Value, PluginFailure> {
        calls.withLock { $0[APIOperation(api: name, operation: method), default: 0] += 1 }
        return await connection.call(method, params, timeout: timeout)
    }

    /// The last lines the plugin wrote to stderr.
    public func stderrTail(_ n: Int = 10) -> [String] { connection.log.last(n) }

    // MARK: - Provider

    public func read(_ request: ReadRequest) async -> ReadResponse {
        let result = await gate.run(key: nil) { await send("read", PluginCodec.encode(request), timeout: settings.timeout) }
        return decode(result, method: "read") { m throws(PluginCodec.Malformed) in
            let list = m["resources"]?.listValue ?? []
            guard list.count == request.resources.count else {
                throw PluginCodec.Malformed(
                    message: "`read` must answer one entry per resource asked (\(request.resources.count)), got \(list.count)")
            }
            var out: [ResourceObject?] = []
            for (item, asked) in zip(list, request.resources) { out.append(try PluginCodec.resource(item, schema: schema.resources[asked.type])) }
            return ReadResponse(resources: out, diagnostics: PluginCodec.diagnostics(m["diagnostics"]))
        } failed: { d in
            // Unknown is not gone: a failed read must not look like a deleted resource.
            ReadResponse(resources: request.resources.map { Optional($0) }, diagnostics: [d])
        }
    }

    public func apply(_ request: ApplyRequest) async -> ApplyResponse {
        let key = gate.key(type: request.type, attributes: request.inputs.isEmpty ? (request.prior?.attributes ?? [:]) : request.inputs)
        let result = await gate.run(key: key) { await send("apply", PluginCodec.encode(request), timeout: settings.timeout) }
        return decode(result, method: "apply") { m throws(PluginCodec.Malformed) in
            let resource = try PluginCodec.resource(m["resource"], schema: schema.resources[request.type])
            var diagnostics = PluginCodec.diagnostics(m["diagnostics"])
            if resource == nil && request.operation != .delete && !diagnostics.hasErrors {
                // A create or update that made nothing and says nothing would fail with no reason.
                diagnostics.append(
                    .error(
                        "the \(name) plugin answered `apply` (\(request.operation.rawValue)) for \(request.identity.address) "
                            + "with `resource: null` and no error diagnostic",
                        detail: "a plugin answers a create or update with the resource, or with an error diagnostic saying why not; "
                            + "fix the plugin (check it with `\(settings.checkCommandLine)`) and run again",
                        code: "PluginFailure"))
            }
            return ApplyResponse(resource: resource, diagnostics: diagnostics)
        } failed: { d in
            // What exists is unknown: keep the prior resource (nil for a create; the next run adopts through import).
            ApplyResponse(resource: request.prior, diagnostics: [d])
        }
    }

    public func importResources(_ request: ImportRequest) async -> ImportResponse {
        let key = gate.key(type: request.type, attributes: request.inputs)
        let result = await gate.run(key: key) { await send("import", PluginCodec.encode(request), timeout: settings.timeout) }
        return decode(result, method: "import") { m throws(PluginCodec.Malformed) in
            var out: [ResourceObject] = []
            for item in m["resources"]?.listValue ?? [] {
                if let r = try PluginCodec.resource(item, schema: schema.resources[request.type]) { out.append(r) }
            }
            return ImportResponse(resources: out, diagnostics: PluginCodec.diagnostics(m["diagnostics"]))
        } failed: { d in
            ImportResponse(resources: [], diagnostics: [d])
        }
    }

    public func wait(_ request: WaitRequest) async -> WaitResponse {
        let key = gate.key(type: request.resource.type, attributes: request.resource.attributes)
        // A wait may take as long as its own timeout, plus a margin for the plugin to say so.
        let timeout = max(settings.timeout, request.timeout + 30)
        let result = await gate.run(key: key) { await send("wait", PluginCodec.encode(request), timeout: timeout) }
        return decode(result, method: "wait") { m throws(PluginCodec.Malformed) in
            WaitResponse(
                resource: try PluginCodec.resource(m["resource"], schema: schema.resources[request.resource.type]),
                diagnostics: PluginCodec.diagnostics(m["diagnostics"]))
        } failed: { d in
            WaitResponse(resource: nil, diagnostics: [d])
        }
    }

    /// Turns a call's outcome into a response: the decoded result, or `failed` with one
    /// diagnostic quoting the plugin's stderr.
    func decode<R>(
        _ result: Result<Value, PluginFailure>, method: String, _ body: ([String: Value]) throws(PluginCodec.Malformed) -> R,
        failed: (ProviderDiagnostic) -> R
    ) -> R {
        switch result {
        case .success(let v):
            do throws(PluginCodec.Malformed) {
                return try body(try PluginCodec.map(v, method: method))
            } catch {
                return failed(diagnostic("the \(name) plugin answered `\(method)` wrongly: \(error.message)", kind: .fault))
            }
        case .failure(let f):
            return failed(diagnostic(f.summary, kind: f.kind))
        }
    }

    private func diagnostic(_ summary: String, kind: PluginFailure.Kind) -> ProviderDiagnostic {
        let next: String
        switch kind {
        case .fault:
            next =
                """
                the plugin is stopped for the rest of this run; fix it (check it with \
                `\(settings.checkCommandLine)`) and run again: resources it may have made are adopted through \
                `import`
                """
        case .timeout:
            next =
                """
                raise `timeout` in the \(name) provider settings if the call is slow, or run again (a create that \
                did land is adopted through `import`)
                """
        case .rpcError:
            next = "the plugin refused the request; fix the plugin or the request and run again"
        }
        return .error(summary, detail: connection.log.quoted() + "\n" + next, code: "PluginFailure", retryable: kind == .timeout)
    }
}
