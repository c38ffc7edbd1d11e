import Foundation
import LandlordService
import LandlordTestSupport
import Logging
import ProviderAPI
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What landlord-server writes to its log (issue 29, points 1 and 2): JSON lines with
/// `--log-format json`, the warning about an ignored LANDLORD_API_TOKENS, an access line per
/// request, a line per status change, and the steps of a graceful shutdown.
@Suite(.serialized) struct ServerLogTests {
    @Test func theRealServerLogsJSONLinesFromStartToShutdown() async throws {
        let f = try ServiceFixture(env: ["LANDLORD_API_TOKENS": "not-used"])
        f.port = CrashTests.freePort()
        let server = try Spawned(CrashTests.serverBinary, ["-C", f.dir.path, "--listen", "127.0.0.1:\(f.port)", "--log-format", "json"], env: f.env)
        let answered = try await f.firstAnswer(from: server)
        #expect(try await f.create("l1", blueprint: "gated").status == 202)
        kill(server.pid, SIGTERM)
        let run = await server.finish()
        #expect(answered, "landlord-server did not answer: \(run.stderr)")
        #expect(run.code == 0, "\(run.stderr)")
        let lines = run.stderr.split(separator: "\n").map { (try? JSON.parse(Array($0.utf8))) ?? .null }
        #expect(lines.allSatisfy { $0["time"] != nil && $0["level"] != nil && $0["message"] != nil }, "\(run.stderr)")
        let messages = lines.compactMap { $0["message"]?.stringValue }
        #expect(messages.contains { $0.hasPrefix("LANDLORD_API_TOKENS is set, but platform.yaml's api: {tokensEnv: ...} does not name it") })
        #expect(messages.contains { $0.contains("listening on http://127.0.0.1:\(f.port)") })
        let create = lines.first { $0["message"]?.stringValue == "request" && $0["method"]?.stringValue == "POST" }
        #expect(create?["path"]?.stringValue == "/v1/tenants")
        #expect(create?["status"]?.intValue == 202)
        #expect(create?["hb.request.id"]?.stringValue?.isEmpty == false)
        #expect(lines.contains { $0["tenant"]?.stringValue == "l1" && $0["status"]?.stringValue == "pending_approval" })
        #expect(messages.contains { $0.hasPrefix("shutdown: the server stopped taking requests") }, "\(run.stderr)")
        #expect(messages.last == "shutdown: done", "\(run.stderr)")
    }

    @Test func textLinesCarryTheMetadataAsPairs() {
        let date = Date(timeIntervalSince1970: 0)
        let text = LineLogHandler.line(
            format: .text, at: date, level: .info, message: "request", metadata: ["path": "/v1/tenants", "status": .stringConvertible(202)])
        #expect(text == "1970-01-01T00:00:00.000Z info request path=/v1/tenants status=202")
        let json = LineLogHandler.line(format: .json, at: date, level: .warning, message: "a \"quoted\" word", metadata: ["tenant": "acme"])
        #expect(json == #"{"level":"warning","message":"a \"quoted\" word","tenant":"acme","time":"1970-01-01T00:00:00.000Z"}"#)
    }

    @Test func anIgnoredTokenVariableIsNamedOnlyWhenItIsIgnored() {
        let set = ["LANDLORD_API_TOKENS": "a,b"]
        #expect(ServerStartNotes.ignoredTokenVariable(tokensEnv: nil, environment: [:]) == nil)
        #expect(ServerStartNotes.ignoredTokenVariable(tokensEnv: "LANDLORD_API_TOKENS", environment: set) == nil)
        let none = ServerStartNotes.ignoredTokenVariable(tokensEnv: nil, environment: set)
        #expect(none?.contains("the service checks no tokens") == true)
        let other = ServerStartNotes.ignoredTokenVariable(tokensEnv: "MY_TOKENS", environment: set)
        #expect(other?.contains("the tokens come from MY_TOKENS") == true)
    }
}
