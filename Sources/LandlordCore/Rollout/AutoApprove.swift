import ProviderAPI

/// An auto-approve rule for CI (`apply --auto-approve-if 'delete == 0 && replace <= 10'`,
/// platform.yaml `rollout: {autoApprove: ...}`): a `when:` condition over the plan summary's
/// counters. A plan that meets it is applied without asking; one that does not is left for a
/// person (exit 3, nothing applied).
public struct AutoApproveRule: Sendable, Hashable {
    /// The counters a rule may name, in the order messages list them.
    public static let counters = ["create", "update", "replace", "delete", "tenants", "protected"]

    /// The parsed condition.
    public var condition: Condition
    /// The rule as written.
    public var text: String

    /// Parses `text`; the error names the character it went wrong at, or an unknown counter and
    /// the known ones.
    public static func parse(_ text: String) -> Result<AutoApproveRule, Diagnostic> {
        let c: Condition
        do { c = try ConditionParser.parse(text, bareNames: true) } catch {
            return .failure(
                .error(
                    "auto-approve rule '\(text)' is malformed at character \(error.offset + 1): \(error.message)",
                    detail: "write a condition over \(counters.joined(separator: ", ")), e.g. 'delete == 0 && replace <= 10'"))
        }
        for ref in c.references {
            guard case .reference(let r, let source) = ref.kind else { continue }
            if case .parameter(let name) = r, counters.contains(name) { continue }
            return .failure(
                .error(
                    "auto-approve rule '\(text)' names unknown counter '\(source)'\(Suggest.didYouMean(source, in: counters))",
                    detail: "the plan's counters are: \(counters.joined(separator: ", "))"))
        }
        return .success(AutoApproveRule(condition: c, text: text))
    }

    /// The counters of `plan`: resource changes by action, tenants with changes, and changes
    /// that delete or replace a protected resource.
    public static func counts(_ plan: Plan) -> [String: Int] {
        let s = plan.summary
        var protected = 0
        for t in plan.tenants {
            for c in t.changes where c.protect && (c.action == .delete || c.action == .replace) { protected += 1 }
        }
        return [
            "create": s.create, "update": s.update, "replace": s.replace, "delete": s.delete,
            "tenants": plan.tenants.filter(\.hasChanges).count, "protected": protected,
        ]
    }

    /// Whether `counts` meet the rule; when not, the comparisons that failed, with the
    /// counters' values (`delete == 0 (delete is 3)`).
    public func check(_ counts: [String: Int]) -> (approved: Bool, failing: [String]) {
        let lookup: (Reference) -> Value? = { r in
            if case .parameter(let n) = r, let v = counts[n] { return .int(v) }
            return nil
        }
        let holds = (try? condition.evaluate(lookup).get()) ?? false
        if holds { return (true, []) }
        var failing: [String] = []
        Self.collectFailing(condition, lookup, counts, &failing)
        if failing.isEmpty { failing = [text] }
        return (false, failing)
    }

    /// The leaves of an `&&` chain (or the whole condition) that do not hold.
    static func collectFailing(_ c: Condition, _ lookup: (Reference) -> Value?, _ counts: [String: Int], _ out: inout [String]) {
        if case .and(let a, let b) = c {
            collectFailing(a, lookup, counts, &out)
            collectFailing(b, lookup, counts, &out)
            return
        }
        guard (try? c.evaluate(lookup).get()) != true else { return }
        let names = c.references.compactMap { ref -> String? in
            if case .reference(.parameter(let n), _) = ref.kind { return n }
            return nil
        }
        let values = Set(names).sorted().map { "\($0) is \(counts[$0] ?? 0)" }
        out.append(
            c.canonical.replacingOccurrences(of: "${", with: "").replacingOccurrences(of: "}", with: "")
                + (values.isEmpty ? "" : " (\(values.joined(separator: ", ")))"))
    }
}
