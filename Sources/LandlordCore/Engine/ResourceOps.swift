import Foundation
import ProviderAPI

/// The provider calls for one step, with state written around each: intent before a create,
/// the result after it, the removal after a delete.
struct ResourceOps {
    let provider: any Provider
    let session: TenantSession
    let change: ResourceChange
    let identity: ResourceIdentity
    let schema: ResourceSchema?
    /// Look every create up by its tags first and adopt what exists (`apply --adopt`, after
    /// state was lost).
    var adopt = false
    /// Where `deletion: snapshot` stores exports.
    var exports: (any ExportStore)? = nil

    func fail(_ summary: String, _ diags: [ProviderDiagnostic] = [], detail: String = "") -> Diagnostic {
        let first = diags.first { $0.severity == .error }
        var s = summary
        if let first { s += ": " + first.summary }
        var d = detail
        if let first, !first.detail.isEmpty { d = first.detail + (d.isEmpty ? "" : "\n" + d) }
        if d.isEmpty { d = "fix the cause and run apply again; what was done is recorded" }
        return Diagnostic.error(s, detail: d, address: change.address).naming(first)
    }

    /// The planned inputs with every deferred reference resolved against recorded state.
    func resolvedInputs() async throws -> [String: Value] {
        let attrs = await session.attributes()
        var out: [String: Value] = [:]
        for (k, v) in change.after ?? [:] {
            switch DeferredResolver.resolve(v, { name, path in Self.lookup(attrs, name, path) }) {
            case .success(let r): out[k] = r
            case .failure(let p): throw fail("cannot resolve '\(k)'", detail: "\(p.text); a resource it depends on did not record that attribute")
            }
        }
        return out
    }

    static func lookup(_ attrs: [String: [String: Value]], _ name: String, _ path: [String]) -> Value? {
        attrs[name]?[path[0]]?.at(path.dropFirst())
    }

    /// Splits a provider's view of a resource into recorded inputs and outputs.
    func record(_ obj: ResourceObject, inputs: [String: Value]) -> ResourceState {
        var outputs: [String: Value] = [:]
        for (k, v) in obj.attributes where inputs[k] == nil {
            outputs[k] = schema?.attributes[k]?.sensitive == true && !v.isSensitive ? .sensitive(v) : v
        }
        var r = ResourceState(
            type: change.type, id: obj.id, inputs: inputs, outputs: outputs, dependencies: change.dependencies, protect: change.protect)
        r.deletion = change.deletion
        return r
    }

    /// Creates the resource: prepare (intent recorded), one provider call, finish. Batched
    /// creates take the same path, with one call for the batch (`StepRunner.executeBatch`).
    func create(replacing: Bool) async throws {
        guard let prepared = try await prepare(.create, replacing: replacing) else { return }
        try await finish(.create, response: await provider.apply(prepared.request), inputs: prepared.inputs)
    }

    /// Looks the resource up by its tags (or natural key) and, when found, records it and
    /// brings it to the planned inputs. Extra copies are deleted. False when nothing was found.
    func adoptExisting(_ plain: [String: Value], _ inputs: [String: Value], why: String) async throws -> Bool {
        let found = await provider.importResources(ImportRequest(type: change.type, identity: identity, inputs: plain))
        if found.diagnostics.hasErrors { throw fail("could not look up \(change.address) \(why)", found.diagnostics) }
        // The old object of a create-before-destroy replacement carries the same address tag
        // and is recorded as NAME#deposed: never adopt it (nor delete it as an extra).
        let recorded = await session.recordedIDs(type: change.type)
        let candidates = found.resources.filter { !recorded.contains($0.id) }
        guard let adopted = candidates.first else { return false }
        for extra in candidates.dropFirst() {
            _ = await provider.apply(
                ApplyRequest(operation: .delete, type: change.type, identity: identity, prior: extra, inputs: [:], clientToken: UUID().uuidString))
        }
        try await session.record(change.name, record(adopted, inputs: [:]))
        let upd = await provider.apply(
            ApplyRequest(operation: .update, type: change.type, identity: identity, prior: adopted, inputs: plain, clientToken: UUID().uuidString))
        guard let obj = upd.resource, !upd.diagnostics.hasErrors else { throw fail("could not update adopted \(change.type)", upd.diagnostics) }
        try await session.record(change.name, record(obj, inputs: inputs))
        try await waitIfAsked(obj)
        return true
    }

    func update() async throws {
        guard let prepared = try await prepare(.update) else { return }
        try await finish(.update, response: await provider.apply(prepared.request), inputs: prepared.inputs)
    }

    func delete(key: String) async throws {
        if key == change.name, change.deletion != .delete, try await followPolicy() { return }
        if let prior = await session.resource(key) {
            let resp = await provider.apply(
                ApplyRequest(
                    operation: .delete, type: prior.type, identity: identity, prior: prior.object, inputs: [:], clientToken: UUID().uuidString))
            if resp.diagnostics.hasErrors { throw fail("could not delete \(prior.type) \(prior.id)", resp.diagnostics) }
            try await session.forget(key)
            return
        }
        // A create that was interrupted: delete whatever it made.
        if let p = await session.pending(key) {
            let found = await provider.importResources(ImportRequest(type: p.type, identity: identity, inputs: p.inputs.mapValues(\.revealed)))
            if found.diagnostics.hasErrors { throw fail("could not look up \(change.address) left by an interrupted apply", found.diagnostics) }
            let recorded = await session.recordedIDs(type: p.type)
            for obj in found.resources where !recorded.contains(obj.id) {
                let resp = await provider.apply(
                    ApplyRequest(operation: .delete, type: p.type, identity: identity, prior: obj, inputs: [:], clientToken: UUID().uuidString))
                if resp.diagnostics.hasErrors { throw fail("could not delete \(p.type) \(obj.id)", resp.diagnostics) }
            }
        }
        try await session.forget(key)
    }

    // MARK: Every create and update, alone or batched: prepare, one provider call, finish.

    /// A request ready to send, with the inputs to record with its answer.
    struct PreparedRequest: Sendable {
        var request: ApplyRequest
        var inputs: [String: Value]
    }

    /// The request for a create, update or delete; nil when there is nothing to send (a create
    /// that adopted what exists, a delete of a resource no longer recorded).
    func prepare(_ op: ApplyOperation, replacing: Bool = false) async throws -> PreparedRequest? {
        switch op {
        case .create:
            return try await prepareCreate(replacing: replacing)
        case .update:
            let inputs = try await resolvedInputs()
            guard let prior = await session.resource(change.name) else { throw fail("\(change.address) is no longer in state", detail: "plan again") }
            let request = ApplyRequest(
                operation: .update, type: change.type, identity: identity, prior: prior.object, inputs: inputs.mapValues(\.revealed),
                clientToken: UUID().uuidString)
            return PreparedRequest(request: request, inputs: inputs)
        case .delete:
            guard let prior = await session.resource(change.name) else { return nil }
            let request = ApplyRequest(
                operation: .delete, type: prior.type, identity: identity, prior: prior.object, inputs: [:], clientToken: UUID().uuidString)
            return PreparedRequest(request: request, inputs: [:])
        }
    }

    /// Everything a create does before its request may be sent. The old object of a
    /// create-before-destroy replacement is deposed; an object an interrupted run (or
    /// `--adopt`) finds by its tags is adopted instead of created (nil). Otherwise the intent,
    /// with the request's client token, is recorded durably first: a run killed after the
    /// provider made the object finds the intent and adopts the object, never makes a second.
    func prepareCreate(replacing: Bool) async throws -> PreparedRequest? {
        let inputs = try await resolvedInputs()
        let plain = inputs.mapValues(\.revealed)
        if replacing { try await session.depose(change.name) }
        // An interrupted create of an earlier run: adopt what it made instead of making another.
        let earlier = await session.pending(change.name)
        let interrupted = earlier != nil
        if adopt || interrupted,
            try await adoptExisting(plain, inputs, why: interrupted ? "left by an interrupted apply" : "before creating it (--adopt)")
        {
            return nil
        }
        // The same create sent again (a failed or crashed run, same inputs) keeps the token of
        // its intent: a provider that deduplicates by it (Stripe's Idempotency-Key, clientToken
        // APIs) then makes one object however many times the create was sent. New inputs get
        // a new token, since such APIs refuse a reused token with other parameters.
        let token =
            earlier.flatMap { $0.type == change.type && $0.inputs == inputs ? $0.clientToken : nil } ?? UUID().uuidString.lowercased()
        try await session.recordIntent(change.name, type: change.type, token: token, inputs: inputs)
        let request = ApplyRequest(operation: .create, type: change.type, identity: identity, prior: nil, inputs: plain, clientToken: token)
        return PreparedRequest(request: request, inputs: inputs)
    }

    /// Records the provider's answer to a prepared request.
    func finish(_ op: ApplyOperation, response: ApplyResponse, inputs: [String: Value]) async throws {
        switch op {
        case .create, .update:
            guard let obj = response.resource, !response.diagnostics.hasErrors else {
                // A resource carrying this address's tags already exists (state lost or restored
                // from an old backup): it is ours, so adopt it rather than fail on the duplicate.
                if op == .create, schema?.taggable == true,
                    (try? await adoptExisting(inputs.mapValues(\.revealed), inputs, why: "already tagged with this address")) == true
                {
                    return
                }
                throw fail("could not \(op.rawValue) \(change.type)", response.diagnostics)
            }
            try await session.record(change.name, record(obj, inputs: inputs))
            try await waitIfAsked(obj)
        case .delete:
            if response.diagnostics.hasErrors { throw fail("could not delete \(change.type) \(change.priorID ?? "")", response.diagnostics) }
            try await session.forget(change.name)
        }
    }

    func waitIfAsked(_ obj: ResourceObject) async throws {
        guard let w = change.wait else { return }
        let resp = await provider.wait(WaitRequest(resource: obj, condition: w.until, timeout: w.timeout))
        if resp.diagnostics.hasErrors {
            throw fail(
                "\(change.address) did not become \(w.until) within \(Int(w.timeout))s", resp.diagnostics,
                detail: "its dependents were not applied; check the service, then run apply again")
        }
    }
}
