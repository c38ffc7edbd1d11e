import Foundation
import ProviderAPI
import Testing

@testable import LandlordCore

/// A provider's read error reaches the plan with what the provider said: its detail, its
/// attribute and code, and the address of what was being read.
@Suite struct RefreshFailureTests {
    /// A provider of `fake.thing` whose every read fails.
    struct FailingReader: Provider {
        let name = "fake"
        var schema: ProviderSchema {
            ProviderSchema(resources: [ResourceSchema(type: "fake.thing", attributes: ["name": .init(.string, required: true)])])
        }
        func read(_ request: ReadRequest) async -> ReadResponse {
            ReadResponse(
                resources: request.resources.map { Optional($0) },
                diagnostics: [.error("the API said no", detail: "grant fake:Read to the role", attribute: "name", code: "AccessDenied")])
        }
        func apply(_ request: ApplyRequest) async -> ApplyResponse { ApplyResponse(resource: nil, diagnostics: []) }
        func importResources(_ request: ImportRequest) async -> ImportResponse { ImportResponse(resources: [], diagnostics: []) }
    }

    static func state(_ names: [String]) -> TenantState {
        var state = TenantState(tenant: "acme", blueprint: "web")
        for n in names {
            state.resources[n] = ResourceState(type: "fake.thing", id: "id-\(n)", inputs: ["name": .string(n)], outputs: [:], dependencies: [])
        }
        return state
    }

    @Test func aReadErrorKeepsItsDetailAttributeAndCodeAndNamesTheResource() async throws {
        let result = await Refresher.refresh(["acme": Self.state(["thing"])], tenants: nil, providers: ProviderRegistry([FailingReader()]))
        let e = try #require(result.diagnostics.errors.first)
        #expect(e.address == "acme/thing")
        #expect(e.summary == "refresh failed: the API said no")
        #expect(e.detail.contains("grant fake:Read to the role"))
        #expect(e.detail.contains("--refresh=false"))
        #expect(e.attribute == "name")
        #expect(e.code == "AccessDenied")
        #expect("\(e)".contains("error: acme/thing: refresh failed: the API said no [attribute: name, code: AccessDenied]"), "\(e)")
    }

    @Test func aFailedBatchNamesItsResources() async throws {
        let result = await Refresher.refresh(["acme": Self.state(["a", "b"])], tenants: nil, providers: ProviderRegistry([FailingReader()]))
        let e = try #require(result.diagnostics.errors.first)
        #expect(e.summary.contains("refresh of 2 resources (acme/a, acme/b) failed: the API said no"), "\(e.summary)")
    }

    /// A provider that does not count its calls: its resources are reported as read without
    /// counted calls, so the report's totals say what they leave out.
    struct QuietReader: Provider {
        let name = "fake"
        var schema: ProviderSchema { FailingReader().schema }
        func read(_ request: ReadRequest) async -> ReadResponse {
            ReadResponse(resources: request.resources.map { Optional($0) }, diagnostics: [])
        }
        func apply(_ request: ApplyRequest) async -> ApplyResponse { ApplyResponse(resource: nil, diagnostics: []) }
        func importResources(_ request: ImportRequest) async -> ImportResponse { ImportResponse(resources: [], diagnostics: []) }
    }

    @Test func resourcesOfAProviderThatDoesNotCountItsCallsAreReportedAsUncounted() async throws {
        let result = await Refresher.refresh(["acme": Self.state(["a", "b", "c"])], tenants: nil, providers: ProviderRegistry([QuietReader()]))
        #expect(result.diagnostics.errors.isEmpty)
        #expect(result.report.resources == 3 && result.report.single == 3)
        #expect(result.report.totalCalls == 0)
        #expect(result.report.uncounted == ["fake": 3])
    }

    @Test func aDiagnosticWithoutProviderTagsPrintsAsBefore() {
        let d = Diagnostic.error("plan would delete x", detail: "do y", address: "acme/x")
        #expect(d.providerTags.isEmpty)
        #expect(d.description == "error: acme/x: plan would delete x\n  do y")
    }
}
