import Foundation
import LandlordService
import ProviderAPI
import Testing

/// What the API answers besides the lifecycle: validation, conflicts, auth, paging, metrics,
/// the OpenAPI document.
@Suite(.serialized) struct APITests {
    @Test func invalidTenantsGetValidateDiagnostics() async throws {
        let f = try ServiceFixture()
        try await f.start()
        let typo = try await f.call(
            "POST", "/v1/tenants", json: #"{"id": "typo", "blueprint": "web", "parameters": {"subdomian": "abc", "backendImage": "i"}}"#)
        #expect(typo.status == 400)
        #expect(typo.body["error"]?["code"]?.stringValue == "invalid_tenant")
        let diags = typo.body["error"]?["diagnostics"]?.list ?? []
        // Named by the request's field, not by a line of the generated tenant file (issue 29).
        #expect(
            diags.contains { $0["message"]?.stringValue == "parameters.subdomian: unknown parameter 'subdomian' (did you mean 'subdomain'?)" },
            "\(typo.text)")
        #expect(diags.first?["parameter"]?.stringValue == "parameters.subdomian")
        #expect(diags.first?["file"] == nil && diags.first?["line"] == nil)
        let badPattern = try await f.call(
            "POST", "/v1/tenants", json: #"{"id": "pat", "blueprint": "web", "parameters": {"subdomain": "A!", "backendImage": "i"}}"#)
        #expect(badPattern.status == 400)
        #expect(badPattern.text.contains("does not match pattern"))
        let badEnum = try await f.call(
            "POST", "/v1/tenants",
            json: #"{"id": "en", "blueprint": "web", "parameters": {"subdomain": "abc", "backendImage": "i", "tier": "gold"}}"#)
        #expect(badEnum.text.contains("'gold' is not one of basic, premium"))
        let missing = try await f.call("POST", "/v1/tenants", json: #"{"id": "mis", "blueprint": "web", "parameters": {"subdomain": "abc"}}"#)
        #expect(missing.text.contains("missing required parameter 'backendImage'"))
        let badBlueprint = try await f.call("POST", "/v1/tenants", json: #"{"blueprint": "wev", "parameters": {}}"#)
        #expect(badBlueprint.text.contains("unknown blueprint 'wev' (did you mean 'web'?)"))
        let badID = try await f.call("POST", "/v1/tenants", json: #"{"id": "../etc", "blueprint": "web", "parameters": {}}"#)
        #expect(badID.status == 400)
        #expect(badID.text.contains("invalid tenant id"))
        let env = try await f.call(
            "POST", "/v1/tenants", json: #"{"blueprint": "web", "parameters": {"subdomain": "abc", "backendImage": "${env.HOME}"}}"#)
        #expect(env.status == 400)
        #expect(env.body["error"]?["code"]?.stringValue == "invalid_parameters")
        // Nothing of the refused tenants was written.
        let files = try FileManager.default.contentsOfDirectory(atPath: f.dir.appendingPathComponent("tenants").path)
        #expect(files.isEmpty)
        await f.stop()
    }

    @Test func badBodies() async throws {
        let f = try ServiceFixture()
        try await f.start()
        let notJSON = try await f.call("POST", "/v1/tenants", json: "blueprint: web")
        #expect(notJSON.status == 400)
        #expect(notJSON.body["error"]?["code"]?.stringValue == "invalid_json")
        let unknown = try await f.call("POST", "/v1/tenants", json: #"{"blueprint": "web", "paramters": {}}"#)
        #expect(unknown.status == 400)
        #expect(unknown.body["error"]?["message"]?.stringValue?.contains("unknown field 'paramters' (did you mean 'parameters'?)") == true)
        let huge = try await f.call(
            "POST", "/v1/tenants", json: #"{"blueprint": "web", "parameters": {"x": ""# + String(repeating: "a", count: 1_100_000) + #""}}"#)
        #expect(huge.status == 413)
        #expect(huge.body["error"]?["code"]?.stringValue == "body_too_large")
        let generated = try await f.call(
            "POST", "/v1/tenants", json: #"{"blueprint": "gated", "parameters": {"subdomain": "gen", "backendImage": "i"}}"#)
        #expect(generated.status == 202)
        let id = generated.body["id"]?.stringValue ?? ""
        #expect(id.range(of: "^[a-z0-9][a-z0-9-]{0,62}$", options: .regularExpression) != nil)
        #expect(try await f.call("GET", "/v1/tenants/nope").status == 404)
        #expect(try await f.call("PUT", "/v1/tenants").status == 405)
        await f.stop()
    }

    @Test func conflictsOnExistingIDs() async throws {
        let f = try ServiceFixture()
        try await f.start()
        #expect(try await f.create("dup", blueprint: "gated").status == 202)
        let again = try await f.create("dup", blueprint: "gated")
        #expect(again.status == 409)
        #expect(again.body["error"]?["code"]?.stringValue == "conflict")
        // A tenant file written after the service started (by hand, the CLI, git) is not overwritten.
        let handWritten = "apiVersion: landlord/v1\nkind: Tenant\nid: byhand\nblueprint: web\nparameters: {subdomain: byhand, backendImage: i}\n"
        try handWritten.write(to: f.dir.appendingPathComponent("tenants/byhand.yaml"), atomically: true, encoding: .utf8)
        #expect(try await f.create("byhand").status == 409)
        #expect(try String(contentsOf: f.dir.appendingPathComponent("tenants/byhand.yaml"), encoding: .utf8) == handWritten)
        // The same new id posted 20 times at once: one 202, nineteen 409.
        let codes = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<20 { group.addTask { (try? await f.create("race", blueprint: "gated").status) ?? 0 } }
            var out: [Int] = []
            for await c in group { out.append(c) }
            return out
        }
        #expect(codes.filter { $0 == 202 }.count == 1)
        #expect(codes.filter { $0 == 409 }.count == 19)
        await f.stop()
    }

    @Test func tokensAreRequired() async throws {
        let f = try ServiceFixture()
        try await f.start()
        let none = try await f.call("GET", "/v1/tenants", auth: nil)
        #expect(none.status == 401)
        #expect(none.body["error"]?["code"]?.stringValue == "unauthorized")
        #expect(try await f.call("GET", "/v1/tenants", auth: "wrong").status == 401)
        #expect(try await f.call("POST", "/v1/tenants", json: "{}", auth: "test-token").status == 401)
        #expect(try await f.call("GET", "/v1/tenants", auth: "other-token").status == 200)
        #expect(try await f.call("GET", "/healthz", auth: nil).status == 200)
        await f.stop()
    }

    @Test func withoutTokensOnlyLoopbackIsAllowed() async throws {
        let f = try ServiceFixture()
        let runtime = try await ServiceRuntime.load(root: f.dir, environment: [:])
        let service = try TenantService(runtime: runtime, environment: [:], log: { _ in })
        await #expect(throws: HTTPAPI.StartError.self) {
            try await HTTPAPI.serve(service, metrics: APIMetrics(), options: .init(host: "0.0.0.0", port: 0, tokens: []))
        }
    }

    @Test func listPagesByCursor() async throws {
        let f = try ServiceFixture()
        try await f.start()
        for i in 1...5 { #expect(try await f.create("p\(i)", blueprint: "gated").status == 202) }
        _ = try await f.call("POST", "/v1/tenants/p3/reject")
        var seen: [String] = []
        var cursor: String?
        var pages = 0
        repeat {
            let r = try await f.call("GET", "/v1/tenants?status=pending_approval&limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""))
            #expect(r.status == 200)
            let ids = r.body["tenants"]?.list.compactMap { $0["id"]?.stringValue } ?? []
            #expect(ids.count <= 2)
            seen += ids
            cursor = r.body["nextCursor"]?.stringValue
            pages += 1
        } while cursor != nil && pages < 10
        #expect(seen == ["p1", "p2", "p4", "p5"])
        #expect(pages == 2)
        #expect(try await f.call("GET", "/v1/tenants?status=bogus").status == 400)
        #expect(try await f.call("GET", "/v1/tenants?limit=0").status == 400)
        await f.stop()
    }

    @Test func metricsAreHttpRequestsQueueAndApplies() async throws {
        let f = try ServiceFixture()
        try await f.start()
        _ = try await f.create("m1")
        try await f.wait("m1", for: "active")
        let m = try await f.call("GET", "/metrics", auth: nil)
        #expect(m.status == 200)
        #expect(m.text.contains(#"landlord_http_requests_total{method="POST",route="/v1/tenants",code="202"} 1"#), "\(m.text)")
        #expect(m.text.contains("landlord_queue_depth 0"))
        #expect(m.text.contains(#"landlord_applies_total{outcome="active"} 1"#))
        #expect(m.text.contains("landlord_apply_seconds_count 1"))
        #expect(m.text.contains("# TYPE landlord_apply_seconds histogram"))
        await f.stop()
    }

    @Test func theOpenAPIDocumentIsServedAndCheckedIn() async throws {
        let f = try ServiceFixture()
        try await f.start()
        let r = try await f.call("GET", "/openapi.json", auth: nil)
        await f.stop()
        #expect(r.status == 200)
        let checkedIn = try String(contentsOf: repoRoot.appendingPathComponent("api/openapi.json"), encoding: .utf8)
        #expect(r.text + "\n" == checkedIn, "OpenAPIDocument.swift is stale: run scripts/embed-openapi.sh after editing api/openapi.json")
        // Structure: OpenAPI 3.1, every endpoint and method of the API, every $ref resolvable.
        #expect(r.body["openapi"]?.stringValue == "3.1.0")
        let paths = r.body["paths"]?.mapValue ?? [:]
        let expected: [String: [String]] = [
            "/v1/tenants": ["get", "post"], "/v1/tenants/{id}": ["delete", "get"], "/v1/tenants/{id}/approve": ["post"],
            "/v1/tenants/{id}/reject": ["post"], "/healthz": ["get"], "/metrics": ["get"], "/openapi.json": ["get"],
        ]
        for (path, methods) in expected {
            for m in methods { #expect(paths[path]?[m]?["responses"] != nil, "\(m) \(path) is not documented") }
        }
        let refs = r.text.matches(of: /"\$ref": "#\/components\/(\w+)\/(\w+)"/).map { (String($0.output.1), String($0.output.2)) }
        #expect(!refs.isEmpty)
        for (kind, name) in refs { #expect(r.body["components"]?[kind]?[name] != nil, "unresolved $ref \(kind)/\(name)") }
    }
}
