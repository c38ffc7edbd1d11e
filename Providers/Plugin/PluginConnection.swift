import Foundation
import ProviderAPI
import Synchronization

/// Why a call to a plugin failed.
public struct PluginFailure: Error, Sendable, CustomStringConvertible {
    /// How the call failed, which decides what the diagnostic advises.
    public enum Kind: Sendable, Equatable {
        /// The plugin broke the protocol or died: it is stopped and no later call is sent.
        case fault
        /// No answer within the timeout; the plugin goes on serving other calls.
        case timeout
        /// The plugin answered with a JSON-RPC `error` object (code).
        case rpcError(Int)
    }

    /// How it failed.
    public var kind: Kind
    /// One line saying what happened, naming the plugin.
    public var summary: String
    /// The summary.
    public var description: String { summary }
}

/// JSON-RPC 2.0 over a plugin's stdin and stdout, one object per line: many requests in flight,
/// matched to answers by id, each with its own timeout. A protocol fault (a line that is not
/// JSON-RPC, an answer to an id never asked or already answered, the process ending) fails every
/// call in flight and every later one with the same failure, and stops the process.
final class PluginConnection: Sendable {
    private struct Pending: Sendable {
        var continuation: CheckedContinuation<Result<Value, PluginFailure>, Never>
        var timer: Task<Void, Never>?
    }

    private struct State: Sendable {
        var nextID = 1
        var pending: [Int: Pending] = [:]
        /// Calls that timed out: a late answer to one is dropped, not a fault.
        var abandoned: Set<Int> = []
        var broken: PluginFailure?
        var shuttingDown = false
        /// Waiting for an answer with `"id": null` (a parse error reply, `provider check`).
        var nullIDWaiters: [Keyed<Int, CheckedContinuation<Value?, Never>>] = []
        var nextWaiter = 0
    }

    let name: String
    let log: StderrLog
    private let state = Mutex(State())
    /// Set once, right after the process starts (the process needs the connection's callbacks).
    private let process = Mutex<PluginProcess?>(nil)

    /// Starts the plugin process and connects to it.
    init(_ settings: PluginSettings) throws {
        name = settings.name.isEmpty ? "the" : settings.name
        log = StderrLog(echo: settings.stderrEcho)
        let p = try PluginProcess(settings, log: log, onLine: { [weak self] in self?.receive($0) }, onEnd: { [weak self] in self?.ended($0) })
        process.withLock { $0 = p }
    }

    /// The running process (set in init).
    private var child: PluginProcess? { process.withLock { $0 } }

    /// The failure that stopped the plugin, if one did.
    var broken: PluginFailure? { state.withLock { $0.broken } }

    /// Sends a request and waits for its answer (the `result`), at most `timeout` seconds.
    func call(_ method: String, _ params: Value, timeout: Double) async -> Result<Value, PluginFailure> {
        await withCheckedContinuation { (cont: CheckedContinuation<Result<Value, PluginFailure>, Never>) in
            let id: Int? = state.withLock { s in
                if let b = s.broken {
                    cont.resume(returning: .failure(b))
                    return nil
                }
                let id = s.nextID
                s.nextID += 1
                s.pending[id] = Pending(continuation: cont)
                return id
            }
            guard let id else { return }
            let timer = Task { [weak self] in
                try? await Task.sleep(nanoseconds: UInt64(max(0.001, timeout) * 1e9))
                if !Task.isCancelled { self?.timedOut(id, method: method, after: timeout) }
            }
            state.withLock { s in
                if s.pending[id] != nil { s.pending[id]?.timer = timer } else { timer.cancel() }
            }
            let message: Value = ["jsonrpc": "2.0", "id": .int(id), "method": .string(method), "params": params]
            if !send(JSON.serialize(message, sortedKeys: false)) {
                fail("\(name) plugin closed its input while `\(method)` was being sent (it \(child?.ended ?? "stopped reading"))")
            }
        }
    }

    /// Writes raw bytes and a newline (`provider check`'s malformed requests).
    /// Sends `bytes` as one line and waits up to `timeout` seconds for the next answer with
    /// `"id": null` (what JSON-RPC answers to a request it could not parse); nil when none came
    /// or the line could not be sent. The waiter is registered before the line goes out: a
    /// plugin that answers at once must not find nobody waiting.
    func sendRawAwaitingNullIDAnswer(_ bytes: [UInt8], timeout: Double) async -> Value? {
        await withCheckedContinuation { (cont: CheckedContinuation<Value?, Never>) in
            let token = state.withLock { s in
                s.nextWaiter += 1
                s.nullIDWaiters.append(Keyed(s.nextWaiter, cont))
                return s.nextWaiter
            }
            let giveUp: @Sendable (Double) async -> Void = { [weak self] delay in
                if delay > 0 { try? await Task.sleep(nanoseconds: UInt64(delay * 1e9)) }
                // Still waiting (not answered, not failed): give up on this waiter only.
                let expired = self?.state.withLock { s in
                    s.nullIDWaiters.firstIndex { $0.key == token }.map { s.nullIDWaiters.remove(at: $0).value }
                }
                expired?.resume(returning: nil)
            }
            guard send(bytes) else {
                Task { await giveUp(0) }
                return
            }
            Task { await giveUp(timeout) }
        }
    }

    private func send(_ bytes: [UInt8]) -> Bool {
        guard let child else { return false }
        return child.write(bytes + [0x0A])
    }

    /// Asks the plugin to exit (`shutdown`, then end of input); kills it after `grace` seconds.
    /// True when it exited by itself.
    @discardableResult
    func shutdown(grace: Double = 5) async -> Bool {
        let alreadyBroken = state.withLock { s in
            s.shuttingDown = true
            return s.broken != nil
        }
        guard let child else { return false }
        if !alreadyBroken { _ = await call("shutdown", [:], timeout: grace) }
        child.closeInput()
        let exited = await Task.detached { child.waitForExit(seconds: grace) }.value
        if exited == nil {
            log.append("landlord: killed the plugin (pid \(child.pid)): it did not exit within \(Int(grace)) s of shutdown")
            child.kill()
            return false
        }
        return true
    }

    /// Kills the process at once.
    func kill() { child?.kill() }

    // MARK: - Incoming

    private func receive(_ line: [UInt8]) {
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return }
        let message: Value
        do {
            message = try JSON.parse(line)
        } catch {
            let text = String(decoding: line.prefix(120), as: UTF8.self)
            fail(
                """
                \(name) plugin wrote a line to stdout that is not JSON (\(error)): `\(text)`; stdout carries \
                protocol messages only, logs go to stderr
                """
            )
            return
        }
        guard let m = message.mapValue, m["jsonrpc"]?.stringValue == "2.0" else {
            fail("\(name) plugin wrote a message that is not a JSON-RPC 2.0 object: `\(JSON.string(message).prefix(120))`")
            return
        }
        if m["method"] != nil {
            // A notification (no id) is allowed and ignored; requests from the plugin are not part of 1.x.
            if m["id"] != nil { fail("\(name) plugin sent a request (`\(m["method"]?.stringValue ?? "?")`); plugins only answer requests") }
            return
        }
        guard let idValue = m["id"] else {
            fail("\(name) plugin wrote an answer without an id")
            return
        }
        if idValue == .null {
            let waiter = state.withLock { s in s.nullIDWaiters.isEmpty ? nil : s.nullIDWaiters.removeFirst().value }
            if let waiter {
                waiter.resume(returning: message)
            } else {
                log.append("landlord: the plugin answered a request it could not read: \(JSON.string(message).prefix(200))")
            }
            return
        }
        guard case .int(let id) = idValue else {
            fail("\(name) plugin answered with id \(JSON.string(idValue).prefix(40)), which landlord never sends (ids are integers)")
            return
        }
        enum Outcome { case answered, late, twice, unknown }
        let outcome: Outcome = state.withLock { s in
            if let p = s.pending.removeValue(forKey: id) {
                p.timer?.cancel()
                if let e = m["error"] {
                    let code = e.mapValue?["code"]?.intValue ?? 0
                    let text = e.mapValue?["message"]?.stringValue ?? JSON.string(e)
                    p.continuation.resume(
                        returning: .failure(PluginFailure(kind: .rpcError(code), summary: "\(name) plugin: \(text) (JSON-RPC error \(code))")))
                } else {
                    p.continuation.resume(returning: .success(m["result"] ?? .null))
                }
                return .answered
            }
            if s.abandoned.remove(id) != nil { return .late }
            return id < s.nextID ? .twice : .unknown
        }
        switch outcome {
        case .answered: break
        case .late: log.append("landlord: dropped a late answer to request \(id) (it had timed out)")
        case .twice: fail("\(name) plugin answered request \(id) twice")
        case .unknown: fail("\(name) plugin answered request \(id), which was never sent")
        }
    }

    private func timedOut(_ id: Int, method: String, after seconds: Double) {
        let p: Pending? = state.withLock { s in
            guard let p = s.pending.removeValue(forKey: id) else { return nil }
            s.abandoned.insert(id)
            return p
        }
        p?.continuation.resume(
            returning: .failure(
                PluginFailure(
                    kind: .timeout,
                    summary: "\(name) plugin did not answer `\(method)` within \(Self.seconds(seconds)) (`timeout` in its provider settings)")))
    }

    private func ended(_ how: String) {
        let quiet = state.withLock { s in s.shuttingDown && s.pending.isEmpty }
        if quiet { return }
        fail("\(name) plugin process \(how)")
    }

    /// Marks the connection broken, fails every call in flight and stops the process.
    private func fail(_ summary: String) {
        let failure = PluginFailure(kind: .fault, summary: summary)
        let (pending, waiters): ([Pending], [CheckedContinuation<Value?, Never>]) = state.withLock { s in
            if s.broken == nil { s.broken = failure }
            let p = Array(s.pending.values)
            s.pending.removeAll()
            let w = s.nullIDWaiters.map(\.value)
            s.nullIDWaiters.removeAll()
            return (p, w)
        }
        let reported = broken ?? failure
        for p in pending {
            p.timer?.cancel()
            p.continuation.resume(returning: .failure(reported))
        }
        for w in waiters { w.resume(returning: nil) }
        child?.kill()
    }

    static func seconds(_ s: Double) -> String {
        s >= 60 && s.truncatingRemainder(dividingBy: 60) == 0 ? "\(Int(s / 60)) min" : (s == s.rounded() ? "\(Int(s)) s" : "\(s) s")
    }
}
