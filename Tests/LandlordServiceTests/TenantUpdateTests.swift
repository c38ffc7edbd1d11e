import Foundation
import LandlordCore
import LandlordTestSupport
import MockProvider
import ProviderAPI
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Day-two updates (issue 27) through HTTP on the real `landlord-server`: `PATCH
/// /v1/tenants/{id}` merges parameters, validates them like a create, rewrites the tenant file
/// and applies the change through the same queue and engine; a file edited meanwhile gets 409.
@Suite(.serialized) struct TenantUpdateTests {
    /// The quickstart fleet with two resources only premium tenants have, and a webhook that
    /// never answers (the events stay in the outbox, where the test reads them).
    static func fleet() throws -> ServiceFixture {
        let f = try ServiceFixture(events: "events: {webhooks: [{url: \"http://127.0.0.1:9/events\"}]}\n")
        let bp = f.dir.appendingPathComponent("blueprints/web.yaml")
        var text = try String(contentsOf: bp, encoding: .utf8)
        text = text.replacingOccurrences(
            of: "resources:\n",
            with: """
                resources:
                  premium_tg:
                    type: aws.lb_target_group
                    when: "${tier} == 'premium'"
                    properties: {name: "t-${tenant.id}-pr", port: 8080, protocol: HTTP, vpcId: "${platform.vpcId}", healthCheckPath: /health}
                  premium_item:
                    type: aws.dynamodb_item
                    when: "${tier} == 'premium'"
                    properties: {table: "${platform.tenantTable}", key: {pk: "premium#${tenant.id}"}, item: {tier: "${tier}"}}

                """)
        try text.write(to: bp, atomically: true, encoding: .utf8)
        return f
    }

    /// Starts landlord-server on the fixture's fleet; returns once it answers.
    static func serve(_ f: ServiceFixture) async throws -> Spawned {
        f.port = CrashTests.freePort()
        let server = try Spawned(CrashTests.serverBinary, ["-C", f.dir.path, "--listen", "127.0.0.1:\(f.port)"], env: f.env)
        _ = try await f.firstAnswer(from: server)
        return server
    }

    /// The mock cloud's resources named for tenant `id` (premium ones by their names).
    static func premium(_ f: ServiceFixture, _ id: String) throws -> [String] {
        let cloud = try MockCloud(path: f.dir.appendingPathComponent(".landlord/mock-cloud.json").path).snapshot()
        return cloud.filter { r in
            r.attributes["name"]?.stringValue == "t-\(id)-pr" || r.id.contains("premium#\(id)")
        }.map(\.type).sorted()
    }

    /// The types of the events waiting in the outbox, in no particular order.
    static func eventTypes(_ f: ServiceFixture) -> [String] {
        let dir = f.dir.appendingPathComponent(".landlord/service/outbox")
        let files = FileManager.default.enumerator(atPath: dir.path)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".json") } ?? []
        return files.compactMap { name in
            let data = (try? Data(contentsOf: dir.appendingPathComponent(name))) ?? Data()
            return (try? JSON.parse(Array(data)))?["type"]?.stringValue
        }
    }

    @Test func anUpdateFromBasicToPremiumCreatesExactlyThePremiumResourcesAndBack() async throws {
        let f = try Self.fleet()
        let server = try await Self.serve(f)
        defer { kill(server.pid, SIGKILL) }
        #expect(try await f.create("up1").status == 202)
        let basic = try await f.wait("up1", for: "active")
        #expect(try Self.premium(f, "up1").isEmpty)

        let up = try await f.call("PATCH", "/v1/tenants/up1", json: #"{"parameters": {"tier": "premium"}}"#)
        #expect(up.status == 202, "\(up.text)")
        #expect(up.body["status"]?.stringValue == "updating")
        let premium = try await f.wait("up1", for: "active")
        #expect(try Self.premium(f, "up1") == ["aws.dynamodb_item", "aws.lb_target_group"])
        #expect(premium["resources"]?.intValue == (basic["resources"]?.intValue ?? 0) + 2)
        #expect(premium["parameters"]?["tier"]?.stringValue == "premium")
        #expect(premium["parameters"]?["subdomain"]?.stringValue == "sub-up1")  // merged, not replaced
        #expect(try f.read("tenants/up1.yaml").contains("\"tier\": \"premium\""))
        let statuses = premium["history"]?.listValue?.compactMap { $0["status"]?.stringValue } ?? []
        #expect(statuses.suffix(2) == ["updating", "active"])

        // Back: null removes the parameter, so its default (basic) applies again.
        #expect(try await f.call("PATCH", "/v1/tenants/up1", json: #"{"parameters": {"tier": null}}"#).status == 202)
        let back = try await f.wait("up1", for: "active")
        #expect(try Self.premium(f, "up1").isEmpty)
        #expect(back["resources"]?.intValue == basic["resources"]?.intValue)
        #expect(try !f.read("tenants/up1.yaml").contains("tier"))
        let types = Self.eventTypes(f)
        #expect(types.filter { $0 == "landlord.tenant.updated" }.count == 2, "\(types)")
        #expect(types.filter { $0 == "landlord.tenant.provisioned" }.count == 1, "\(types)")
    }

    @Test func anInvalidUpdateNamesTheParameterAndAnEditedFileGets409() async throws {
        let f = try Self.fleet()
        let server = try await Self.serve(f)
        defer { kill(server.pid, SIGKILL) }
        #expect(try await f.create("up2").status == 202)
        try await f.wait("up2", for: "active")
        let before = try f.read("tenants/up2.yaml")

        let bad = try await f.call("PATCH", "/v1/tenants/up2", json: #"{"parameters": {"tier": "gold"}}"#)
        #expect(bad.status == 400, "\(bad.text)")
        #expect(bad.body["error"]?["diagnostics"]?.listValue?.first?["parameter"]?.stringValue == "parameters.tier", "\(bad.text)")
        let unknown = try await f.call("PATCH", "/v1/tenants/up2", json: #"{"parameters": {"tierr": "premium"}}"#)
        #expect(unknown.status == 400 && unknown.text.contains("did you mean 'tier'"), "\(unknown.text)")
        #expect(try await f.call("PATCH", "/v1/tenants/nobody", json: #"{"parameters": {}}"#).status == 404)
        #expect(try await f.call("PATCH", "/v1/tenants/up2", json: #"{"params": {}}"#).status == 400)
        #expect(try f.read("tenants/up2.yaml") == before)

        // Someone edits the file in git meanwhile: the update is refused, the edit kept.
        let edited = before.replacingOccurrences(of: "\"img:1\"", with: "\"img:2\"")
        try f.write("tenants/up2.yaml", edited)
        let race = try await f.call("PATCH", "/v1/tenants/up2", json: #"{"parameters": {"tier": "premium"}}"#)
        #expect(race.status == 409, "\(race.text)")
        #expect(race.body["error"]?["code"]?.stringValue == "edited", "\(race.text)")
        #expect(try f.read("tenants/up2.yaml") == edited)
        #expect(try await f.call("GET", "/v1/tenants/up2").body["status"]?.stringValue == "active")
    }
}
