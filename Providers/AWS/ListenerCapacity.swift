import AWSClient
import Foundation
import ProviderAPI

/// Which listener rule priorities rules Landlord does not own hold, so priority allocation
/// skips them instead of colliding (`PriorityInUse`).
extension AWSProvider: CapacityReadingProvider {
    /// For each listener of the pool (`members`), the priorities of its rules (the default rule
    /// aside) that are not tagged `landlord:platform` = `platform`: rules made by hand, by other
    /// tools or by another platform. Rules are read with DescribeRules (every page), their tags
    /// with DescribeTags (20 ARNs a call). A listener that cannot be read is left out, with a diagnostic.
    public func numbersInUse(members listeners: [String], platform: String) async -> NumbersInUse {
        if let problem = configurationProblem { return NumbersInUse(diagnostics: [problem]) }
        guard let client else { return NumbersInUse() }
        let rules = ListenerRules(client: client)
        return await withTaskGroup(of: Keyed<String, Result<Set<Int>, ProviderDiagnostic>>.self) { group in
            for listener in Set(listeners) {
                group.addTask {
                    do {
                        return Keyed(listener, .success(try await rules.foreignPriorities(listener: listener, platform: platform)))
                    } catch {
                        return Keyed(listener, .failure(Self.capacityDiagnostic(error, listener: listener)))
                    }
                }
            }
            var priorities: [String: Set<Int>] = [:]
            var diagnostics: [ProviderDiagnostic] = []
            for await answer in group {
                switch answer.value {
                case .success(let taken): priorities[answer.key] = taken
                case .failure(let d): diagnostics.append(d)
                }
            }
            return NumbersInUse(numbers: priorities, diagnostics: diagnostics.sorted { $0.summary < $1.summary })
        }
    }

    static func capacityDiagnostic(_ error: Error, listener: String) -> ProviderDiagnostic {
        if let e = error as? AWSError, e.code == "ListenerNotFound" {
            return .error(
                "listener \(listener) of the platform's listener pool does not exist",
                detail: "fix its ARN in platform.yaml inputs.listeners, or remove it from the pool, and run plan again", code: e.code)
        }
        var d = diagnostic(error, action: "read the rules of", type: "listener", address: listener)
        d.detail += " (priorities held by rules Landlord does not own could not be checked)"
        return d
    }
}

extension ListenerRules {
    /// Priorities of the listener's rules not tagged as this platform's.
    func foreignPriorities(listener: String, platform: String) async throws -> Set<Int> {
        let rules = try await describe(["ListenerArn": listener], missingThrows: true)
        let tags = try await ELBTags(client: client).tags(rules.map(\.id))
        var taken: Set<Int> = []
        for rule in rules where tags[rule.id]?[LandlordTag.platform] != platform {
            if let priority = rule.attributes["priority"]?.intValue { taken.insert(priority) }
        }
        return taken
    }
}
