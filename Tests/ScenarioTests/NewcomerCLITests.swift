import Foundation
import Testing

/// What a new user trips over on the command line: typos get a did-you-mean and a failing exit
/// code, refusals say what applies to the verb at hand, output is counted and aligned right.
@Suite struct NewcomerCLITests {
    @Test func destroyingAMisspeltTenantFailsWithDidYouMean() async throws {
        let h = try Harness()
        let run = try await CLI.run(["-C", h.dir.path, "destroy", "--tenant", "globx", "--auto-approve"])
        #expect(run.code == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("unknown tenant 'globx' (did you mean 'globex'?)"), "\(run.stderr)")
    }
}
