import Foundation
import PluginProvider
import ProviderAPI
import Testing

/// A plugin that misbehaves fails the calls it was asked with a diagnostic quoting its stderr,
/// never crashes landlord, and (for a timeout) goes on serving other calls.
@Suite struct PluginFailureTests {
    @Test func handshakeIgnoresUnknownFieldsAndReadsTheSchema() async throws {
        let p = try await PluginProvider.start(Fixtures.misbehaving("well"), hostVersion: "test")
        defer { Task { await p.shutdown() } }
        #expect(p.info.protocolVersion == "1.3")
        #expect(p.info.maxConcurrency == 4)
        let thing = try #require(p.schema.resources["bad.thing"])
        #expect(thing.attributes["name"]?.required == true)
        #expect(thing.attributes["name"]?.forceNew == true)
        #expect(thing.attributes["secret"]?.sensitive == true)
        let r = await p.apply(Fixtures.create("fine"))
        #expect(r.diagnostics.isEmpty)
        // The schema marks `secret` sensitive: it comes back wrapped, so it is redacted everywhere.
        #expect(r.resource?.attributes["secret"] == .sensitive("s3cr3t-thing-fine"))
        #expect(r.resource?.attributes["name"] == "fine")
    }

    @Test func wrongMajorVersionIsRefusedNamingBoth() async throws {
        let error = await #expect(throws: PluginStartError.self) {
            try await PluginProvider.start(Fixtures.misbehaving("wrong_major"), hostVersion: "test")
        }
        #expect(error?.summary.contains("protocol 2.0") == true)
        #expect(error?.summary.contains("speaks 1.1") == true)
    }

    @Test func typesOutsideTheConfiguredNameAreRefused() async throws {
        var settings = Fixtures.misbehaving("well")
        settings.name = "acme"
        let error = await #expect(throws: PluginStartError.self) { try await PluginProvider.start(settings, hostVersion: "test") }
        #expect(error?.summary.contains("type `bad.thing` does not start with `acme.`") == true)
    }

    @Test func exitAtStartQuotesStderr() async throws {
        let error = await #expect(throws: PluginStartError.self) {
            try await PluginProvider.start(Fixtures.misbehaving("exit_at_start"), hostVersion: "test")
        }
        #expect(error?.summary.contains("exited with status 3") == true)
        #expect(error?.detail.contains("fatal: cannot reach the billing API") == true)
    }

    @Test func diesMidCallFailsThatCallAndEveryLaterOne() async throws {
        let p = try await PluginProvider.start(Fixtures.misbehaving("dies_mid_call"), hostVersion: "test")
        #expect(await p.apply(Fixtures.create("fine")).diagnostics.isEmpty)
        let r = await p.apply(Fixtures.create("boom"))
        let d = try #require(r.diagnostics.first)
        #expect(r.resource == nil)
        #expect(d.summary.contains("exited with status 1"))
        #expect(d.detail.contains("segfault in the billing client"))
        // The hint runs the plugin alone as landlord ran it: its directory, then the command.
        #expect(d.detail.contains("landlord -C \(Fixtures.directory.path) provider check --timeout 20 -- python3"), "\(d.detail)")
        let later = await p.apply(Fixtures.create("fine2"))
        #expect(later.diagnostics.first?.summary == d.summary)
        await p.shutdown()
    }

    @Test func neverAnswersTimesOutAndOtherCallsGoOn() async throws {
        let p = try await PluginProvider.start(Fixtures.misbehaving("never_answers", timeout: 1), hostVersion: "test")
        let r = await p.apply(Fixtures.create("boom"))
        let d = try #require(r.diagnostics.first)
        #expect(d.summary.contains("did not answer `apply` within 1 s"))
        #expect(d.retryable)
        let next = await p.apply(Fixtures.create("fine"))
        #expect(next.diagnostics.isEmpty)
        #expect(next.resource?.id == "thing-fine")
        await p.shutdown()
    }

    @Test func nonJSONOnStdoutIsAFault() async throws {
        let p = try await PluginProvider.start(Fixtures.misbehaving("garbage"), hostVersion: "test")
        let r = await p.apply(Fixtures.create("boom"))
        let d = try #require(r.diagnostics.first)
        #expect(d.summary.contains("not JSON"))
        #expect(d.summary.contains("Traceback"))
        #expect(d.detail.contains("misbehaving plugin starting in mode garbage"))
        await p.shutdown()
    }

    @Test func answeringTwiceIsAFault() async throws {
        let p = try await PluginProvider.start(Fixtures.misbehaving("twice"), hostVersion: "test")
        let first = await p.apply(Fixtures.create("boom"))
        #expect(first.diagnostics.isEmpty)
        let second = await p.apply(Fixtures.create("fine"))
        #expect(second.diagnostics.first?.summary.contains("answered request 3 twice") == true)
        await p.shutdown()
    }

    @Test func answeringAnIDNeverSentIsAFault() async throws {
        let p = try await PluginProvider.start(Fixtures.misbehaving("unknown_id"), hostVersion: "test")
        let r = await p.apply(Fixtures.create("boom"))
        #expect(r.diagnostics.first?.summary.contains("answered request 1003, which was never sent") == true)
        await p.shutdown()
    }

    @Test func aPluginThatIgnoresShutdownIsKilled() async throws {
        let p = try await PluginProvider.start(Fixtures.misbehaving("slow_shutdown"), hostVersion: "test")
        let exited = await p.shutdown()
        #expect(!exited)
        #expect(p.stderrTail(1).first?.contains("killed the plugin") == true)
    }

    @Test func onlyListedVariablesArePassed() async throws {
        let settings = Fixtures.misbehaving("well", env: ["PASSED_TOKEN"], environment: ["PASSED_TOKEN": "x", "OTHER_SECRET": "y"])
        let p = try await PluginProvider.start(settings, hostVersion: "test")
        await p.shutdown()
        let line = try #require(p.stderrTail(50).first { $0.hasPrefix("env: ") })
        let names = Set(line.dropFirst(5).split(separator: ",").map(String.init))
        #expect(names.contains("PASSED_TOKEN"))
        #expect(names.contains("PATH"))
        #expect(!names.contains("OTHER_SECRET"))
    }

    @Test func manyCallsInFlightAllGetTheirOwnAnswers() async throws {
        let settings = PluginSettings(name: "fast", command: ["python3", Fixtures.path("instant.py")], directory: Fixtures.directory)
        let p = try await PluginProvider.start(settings, hostVersion: "test")
        let ids = await withTaskGroup(of: Keyed<String, String?>.self) { group in
            for i in 0..<500 {
                group.addTask {
                    let r = await p.apply(
                        ApplyRequest(
                            operation: .create, type: "fast.thing", identity: ResourceIdentity(address: "t/\(i)", tenant: "t", platform: "p"),
                            prior: nil, inputs: ["name": .string("n\(i)")], clientToken: "\(i)"))
                    return Keyed("n\(i)", r.resource?.attributes["name"]?.stringValue)
                }
            }
            var out: [String: String?] = [:]
            for await r in group { out[r.key] = r.value }
            return out
        }
        #expect(ids.count == 500)
        #expect(ids.allSatisfy { $0.key == $0.value })
        #expect(await p.shutdown())
    }
}
