import ProviderAPI
import Testing

@testable import LandlordCore

/// `when:` conditions: the grammar, what they decide, and the guard rule's implication.
@Suite struct ConditionTests {
    func parse(_ s: String) throws -> Condition { try ConditionParser.parse(s) }

    func decide(_ s: String, _ params: [String: Value], platform: [String: Value] = [:]) throws -> Bool {
        let c = try parse(s)
        return try c.evaluate { ref in
            switch ref {
            case .parameter(let p): return params[p]
            case .platform(let path): return platform[path[0]]?.at(path.dropFirst())
            default: return nil
            }
        }.get()
    }

    @Test func orderingComparesNumbersAndRefusesOtherValues() throws {
        let p: [String: Value] = ["replicas": 3, "ratio": .double(0.5), "tier": "premium", "count": "12"]
        #expect(try decide("${replicas} >= 3 && ${replicas} <= 3", p))
        #expect(try decide("${replicas} > 2 && ${replicas} < 4", p))
        #expect(try !decide("${ratio} > 0.5", p))
        #expect(try decide("${count} > 9", p))  // a string that spells a number compares as one
        #expect(throws: Problem.self) { try decide("${tier} > 1", p) }
        #expect(try parse("${replicas}>=2").canonical == "${replicas} >= 2")
    }

    @Test func autoApproveRulesReadThePlanCountersAndNameTheFailingOnes() throws {
        let rule = try AutoApproveRule.parse("delete == 0 && replace <= 10").get()
        #expect(rule.check(["create": 5, "update": 0, "replace": 10, "delete": 0, "tenants": 2, "protected": 0]).approved)
        let no = rule.check(["create": 5, "update": 0, "replace": 11, "delete": 3, "tenants": 2, "protected": 0])
        #expect(!no.approved)
        #expect(no.failing == ["delete == 0 (delete is 3)", "replace <= 10 (replace is 11)"])
        guard case .failure(let d) = AutoApproveRule.parse("deletes == 0") else {
            Issue.record("an unknown counter must be refused")
            return
        }
        #expect(d.summary.contains("unknown counter 'deletes' (did you mean 'delete'?)"))
        #expect(d.detail.contains("create, update, replace, delete, tenants, protected"))
        guard case .failure(let bad) = AutoApproveRule.parse("delete = 0") else {
            Issue.record("a malformed rule must be refused")
            return
        }
        #expect(bad.summary.contains("at character 8"))
    }

    @Test func comparisonsMembershipAndConnectives() throws {
        let premium: [String: Value] = ["tier": "premium", "replicas": 3, "eu": true]
        #expect(try decide("${tier} == 'premium'", premium))
        #expect(try !decide("${tier} != \"premium\"", premium))
        #expect(try decide("${tier} in ['basic', 'premium']", premium))
        #expect(try decide("${tier} not in ['basic']", premium))
        #expect(try decide("${replicas} == 3 && ${eu} == true", premium))
        #expect(try decide("!(${tier} == 'basic') || ${replicas} == 1", premium))
        #expect(try !decide("${tier} == 'basic' || ${replicas} != 3", premium))
        // && binds tighter than ||.
        #expect(try decide("${tier} == 'premium' || ${tier} == 'x' && ${replicas} == 0", premium))
        #expect(try decide("${platform.regions.1} == 'eu-west-1'", [:], platform: ["regions": ["us-east-1", "eu-west-1"]]))
        #expect(try decide("${replicas} == 3.0", premium))
    }

    @Test func syntaxErrorsSayWhereAndWhat() {
        func failure(_ s: String) -> String {
            do {
                _ = try ConditionParser.parse(s)
                return "parsed"
            } catch { return "\(error.offset): \(error.message)" }
        }
        #expect(failure("${tier} = 'x'") == "8: '=' is not a comparison: write '=='")
        #expect(failure("${tier} == premium") == "11: 'premium' is not a value: quote a string ('premium') or refer to a parameter as ${premium}")
        #expect(failure("${tier} == 'x' &") == "15: '&' is not an operator: write '&&'")
        #expect(failure("${tier} == 'x") == "11: unclosed string: ' without its closing '")
        #expect(failure("${tier}") == "7: expected '==', '!=', '<', '<=', '>', '>=' or 'in' after '${tier}', found end of condition")
        #expect(failure("${tier} in []") == "12: an 'in' list needs at least one value")
        #expect(failure("${tier} == 'a' 'b'") == "15: unexpected 'b' after a complete condition")
    }

    @Test func sameConditionAndConjunctionsImply() throws {
        let a = try parse("${tier} == 'premium'")
        #expect(a.implies(try parse("(${tier}=='premium')")))
        #expect(a.implies(try parse("${tier} == \"premium\"")))
        #expect(try parse("${tier} == 'premium' && ${eu} == true").implies(a))
        #expect(!a.implies(try parse("${tier} == 'premium' && ${eu} == true")))
        #expect(!(try parse("${tier} != 'basic'")).implies(a), "no reasoning about values")
        #expect(!(try parse("${tier} == 'premium' || ${eu} == true")).implies(a))
    }
}
