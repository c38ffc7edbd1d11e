import Foundation
import ProviderAPI

/// Steps sent to a provider together (`BatchingProvider`): plain creates, updates and deletes
/// of a type whose schema declares a `BatchRule`. Replacements and creates left pending by an
/// interrupted run go alone.
/// The batch a step joins: its type and the values of the rule's key attributes (e.g. the
/// Route53 hosted zone), compared as values, never joined into text.
struct BatchKey: Hashable, Sendable {
    var type: String
    var values: [Value]
}

extension StepRunner {
    /// The batch a ready step joins, or nil when it runs alone.
    func batchKey(_ step: ApplyGraph.Step) -> BatchKey? {
        let change = tenants[step.tenant].changes[step.change]
        guard change.action != .replace, change.deletion == .delete, !options.adopt, [.create, .update, .delete].contains(step.kind),
            let provider = providers.provider(for: change.type), provider is any BatchingProvider,
            let rule = provider.schema.resources[change.type]?.batching
        else { return nil }
        let source = (step.kind == .delete ? change.before : change.after) ?? [:]
        var values: [Value] = []
        for attribute in rule.keyAttributes {
            // Not known until apply (or absent): the step cannot tell its batch, so it runs alone.
            guard let v = source[attribute]?.revealed, v.isKnown, v != .null else { return nil }
            values.append(v)
        }
        return BatchKey(type: change.type, values: values)
    }

    /// The most steps of one batch (the rule's `maxSize`).
    func batchLimit(_ key: BatchKey) -> Int {
        max(1, providers.provider(for: key.type)?.schema.resources[key.type]?.batching?.maxSize ?? 1)
    }

    func operation(_ kind: ApplyGraph.Kind) -> ApplyOperation {
        switch kind {
        case .create: return .create
        case .update: return .update
        default: return .delete
        }
    }

    /// What preparing one batched step gave: a request for the batch, a result already, or a
    /// step to run alone.
    enum Prepared: Sendable {
        case request(ResourceOps, ApplyRequest, [String: Value])
        case finished(StepResult)
        case alone
    }

    /// A batched step's outcome and how long it took since the batch began.
    struct TimedStepResult: Sendable {
        var result: StepResult
        var seconds: Double
    }

    /// Runs batched steps: intents recorded (all tenants at once), one provider call, each
    /// result recorded (again all at once; writes of one tenant share a group commit).
    func executeBatch(_ members: [(Int, ApplyGraph.Step)]) async -> [StepDone] {
        let t0 = Date()
        let prepared: [Keyed<Int, Prepared>] = await withTaskGroup(of: Keyed<Int, Prepared>.self) { group in
            for (k, (_, step)) in members.enumerated() {
                group.addTask { Keyed(k, await prepare(step)) }
            }
            var all: [Keyed<Int, Prepared>] = []
            for await r in group { all.append(r) }
            return all.sorted { $0.key < $1.key }
        }
        var out: [StepDone] = []
        var batch: [(index: Int, ops: ResourceOps, request: ApplyRequest, inputs: [String: Value])] = []
        var alone: [(Int, ApplyGraph.Step)] = []
        for answer in prepared {
            let (i, step) = members[answer.key]
            switch answer.value {
            case .request(let ops, let request, let inputs): batch.append((i, ops, request, inputs))
            case .finished(let r): out.append(StepDone(index: i, result: r, seconds: Date().timeIntervalSince(t0)))
            case .alone: alone.append((i, step))
            }
        }
        if let first = batch.first, let provider = first.ops.provider as? any BatchingProvider {
            let responses = await provider.applyBatch(batch.map(\.request))
            let finished: [Keyed<Int, TimedStepResult>] = await withTaskGroup(of: Keyed<Int, TimedStepResult>.self) { group in
                for (k, b) in batch.enumerated() {
                    let resp =
                        k < responses.count
                        ? responses[k] : ApplyResponse(resource: nil, diagnostics: [.error("the provider returned no answer for this change")])
                    group.addTask {
                        do {
                            try await b.ops.finish(b.request.operation, response: resp, inputs: b.inputs)
                            return Keyed(b.index, TimedStepResult(result: .done, seconds: Date().timeIntervalSince(t0)))
                        } catch let d as Diagnostic {
                            return Keyed(b.index, TimedStepResult(result: .failed(d), seconds: Date().timeIntervalSince(t0)))
                        } catch {
                            return Keyed(
                                b.index,
                                TimedStepResult(
                                    result: .failed(.error(error.text, address: b.ops.change.address)), seconds: Date().timeIntervalSince(t0)))
                        }
                    }
                }
                var all: [Keyed<Int, TimedStepResult>] = []
                for await r in group { all.append(r) }
                return all
            }
            out += finished.map { StepDone(index: $0.key, result: $0.value.result, seconds: $0.value.seconds) }
        }
        for (i, step) in alone {
            let s0 = Date()
            let r = await execute(step)
            out.append(StepDone(index: i, result: r, seconds: Date().timeIntervalSince(s0)))
        }
        return out
    }

    /// Records the intent of one batched step and builds its request.
    func prepare(_ step: ApplyGraph.Step) async -> Prepared {
        let tp = tenants[step.tenant]
        let change = tp.changes[step.change]
        guard let session = sessions[tp.tenant], let provider = providers.provider(for: change.type) else {
            return .finished(.failed(.error("no provider serves \(change.type)", address: change.address)))
        }
        if await session.pending(change.name) != nil { return .alone }  // an interrupted create: adopt-or-create, alone
        let ops = startedOps(step, provider: provider, session: session)
        do {
            // nil: nothing to send (a delete of what is already gone)
            guard let prepared = try await ops.prepare(operation(step.kind)) else { return .finished(.done) }
            return .request(ops, prepared.request, prepared.inputs)
        } catch let d as Diagnostic {
            return .finished(.failed(d))
        } catch {
            return .finished(.failed(.error(error.text, address: change.address)))
        }
    }
}
