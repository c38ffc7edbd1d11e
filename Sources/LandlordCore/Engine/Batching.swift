import Foundation
import ProviderAPI

/// Steps sent to a provider together (`BatchingProvider`): plain creates, updates and deletes
/// whose provider gives them a batch key. Replacements and creates left pending by an
/// interrupted run go alone.
extension StepRunner {
    /// The batch a ready step joins, or nil when it runs alone.
    func batchKey(_ step: ApplyGraph.Step) -> String? {
        let change = tenants[step.tenant].changes[step.change]
        guard change.action != .replace, !options.adopt, [.create, .update, .delete].contains(step.kind),
              let provider = providers.provider(for: change.type) as? any BatchingProvider
        else { return nil }
        let identity = ResourceIdentity(address: change.address, tenant: change.tenant, platform: options.platform)
        let probe = ApplyRequest(operation: operation(step.kind), type: change.type, identity: identity,
                                 prior: nil, inputs: (step.kind == .delete ? change.before : change.after) ?? [:], clientToken: "")
        return provider.batchKey(for: probe).map { change.type + "|" + $0 }
    }

    func batchLimit(_ step: ApplyGraph.Step, _ key: String) -> Int {
        let change = tenants[step.tenant].changes[step.change]
        guard let provider = providers.provider(for: change.type) as? any BatchingProvider else { return 1 }
        let providerKey = key.split(separator: "|", maxSplits: 1).last.map(String.init) ?? key
        return max(1, provider.maxBatchSize(for: providerKey))
    }

    func operation(_ kind: ApplyGraph.Kind) -> ApplyOperation {
        switch kind {
        case .create: return .create
        case .update: return .update
        default: return .delete
        }
    }

    /// Runs batched steps: intents recorded, one provider call, each result recorded.
    func executeBatch(_ members: [(Int, ApplyGraph.Step)]) async -> [(Int, StepResult, Double)] {
        let t0 = Date()
        var out: [(Int, StepResult, Double)] = []
        var prepared: [(index: Int, ops: ResourceOps, kind: ApplyGraph.Kind, request: ApplyRequest, inputs: [String: Value])] = []
        var alone: [(Int, ApplyGraph.Step)] = []
        for (i, step) in members {
            let tp = tenants[step.tenant]
            let change = tp.changes[step.change]
            guard let session = sessions[tp.tenant], let provider = providers.provider(for: change.type) else {
                out.append((i, .failed(.error("no provider serves \(change.type)", address: change.address)), 0))
                continue
            }
            if await session.pending(change.name) != nil {
                alone.append((i, step))  // an interrupted create: adopt-or-create, alone
                continue
            }
            observer.handle(.resourceStarted(address: change.address, action: action(step)))
            let identity = ResourceIdentity(address: change.address, tenant: tp.tenant, platform: options.platform)
            let ops = ResourceOps(provider: provider, session: session, change: change, identity: identity, schema: provider.schema.resources[change.type], adopt: options.adopt)
            do {
                if let (request, inputs) = try await ops.prepare(operation(step.kind)) {
                    prepared.append((i, ops, step.kind, request, inputs))
                } else {
                    out.append((i, .done, Date().timeIntervalSince(t0)))  // a delete of something already gone
                }
            } catch let d as Diagnostic {
                out.append((i, .failed(d), Date().timeIntervalSince(t0)))
            } catch {
                out.append((i, .failed(.error(error.text, address: change.address)), Date().timeIntervalSince(t0)))
            }
        }
        if let first = prepared.first, let provider = first.ops.provider as? any BatchingProvider {
            let responses = await provider.applyBatch(prepared.map(\.request))
            for (k, p) in prepared.enumerated() {
                let resp = k < responses.count ? responses[k] : ApplyResponse(resource: nil, diagnostics: [.error("the provider returned no answer for this change")])
                do {
                    try await p.ops.finish(p.request.operation, response: resp, inputs: p.inputs)
                    out.append((p.index, .done, Date().timeIntervalSince(t0)))
                } catch let d as Diagnostic {
                    out.append((p.index, .failed(d), Date().timeIntervalSince(t0)))
                } catch {
                    out.append((p.index, .failed(.error(error.text, address: p.ops.change.address)), Date().timeIntervalSince(t0)))
                }
            }
        }
        for (i, step) in alone {
            let s0 = Date()
            out.append((i, await execute(step), Date().timeIntervalSince(s0)))
        }
        return out
    }
}
