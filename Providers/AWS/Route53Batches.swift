import AWSClient
import AWSSchema
import Foundation
import ProviderAPI

/// Route53 record changes of one hosted zone go out together: one ChangeResourceRecordSets
/// call per batch instead of one per record, which is what keeps a fleet under Route53's
/// per-account request rate.
extension AWSProvider: BatchingProvider {
    /// The hosted zone a Route53 record request changes (`Z1` of `/hostedzone/Z1` too); nil
    /// for other requests, which `applyBatch` applies one by one.
    func zone(of request: ApplyRequest) -> String? {
        guard request.type == AWSResourceTypes.route53Record else { return nil }
        let source = request.operation == .delete ? request.prior?.attributes ?? [:] : request.inputs
        return Inputs(source).optionalString("zoneId").map(Route53Records.zone)
    }

    /// One response per request, in order. Route53 records share calls per zone (zones one
    /// after another, calls of a zone one at a time: Route53 refuses a zone's change while its
    /// previous one is still being processed); every other request goes through `apply`.
    public func applyBatch(_ requests: [ApplyRequest]) async -> [ApplyResponse] {
        var responses = [ApplyResponse?](repeating: nil, count: requests.count)
        var zones: [String: [Int]] = [:]
        var others: [Int] = []
        // Unconfigured: every request goes through `apply`, which reports why.
        let records = configurationProblem == nil ? handlers[AWSResourceTypes.route53Record] as? Route53Records : nil
        for (i, request) in requests.enumerated() {
            if records != nil, let zone = zone(of: request) { zones[zone, default: []].append(i) } else { others.append(i) }
        }
        let byZone = zones.sorted { $0.key < $1.key }.map(\.value)
        await withTaskGroup(of: [Keyed<Int, ApplyResponse>].self) { group in
            for i in others {
                group.addTask { [Keyed(i, await self.apply(requests[i]))] }
            }
            if let records, !byZone.isEmpty {
                group.addTask {
                    var out: [Keyed<Int, ApplyResponse>] = []
                    for indices in byZone {
                        let answers = await records.applyBatch(indices.map { requests[$0] }, single: { await self.apply($0) })
                        out += zip(indices, answers).map { Keyed($0, $1) }
                    }
                    return out
                }
            }
            for await answered in group {
                for answer in answered { responses[answer.key] = answer.value }
            }
        }
        return responses.map { $0! }
    }
}

extension Route53Records {
    /// Changes per ChangeResourceRecordSets call (the API's limit; the schema's batching rule
    /// for `aws.route53_record` says the same).
    static let maxChanges = 1000
    /// ResourceRecord elements per call (an UPSERT's count twice).
    static let maxRecordElements = 1000
    /// Characters of all Value elements per call (an UPSERT's count twice).
    static let maxValueCharacters = 32_000
    /// How long a batch may stay PENDING before the apply goes on with a warning.
    static let insyncTimeout: Duration = .seconds(120)

    /// One record change of a batch.
    struct Change {
        var index: Int
        var request: ApplyRequest
        var key: Key
        var action: String
        var xml: String
        /// ResourceRecord elements as Route53 counts them.
        var elements: Int
        /// Value characters as Route53 counts them.
        var characters: Int
    }

    /// Applies record changes of one zone in as few calls as the limits allow. A call Route53
    /// refuses as a whole is split in halves until the refused records are alone: those fail
    /// with the API's message, the others land. `single` is the one-record path (used for a
    /// refused delete, which may only need the record's current values).
    func applyBatch(_ requests: [ApplyRequest], single: (ApplyRequest) async -> ApplyResponse) async -> [ApplyResponse] {
        var results = [ApplyResponse?](repeating: nil, count: requests.count)
        var changes: [Change] = []
        for (i, request) in requests.enumerated() {
            do {
                if let change = try change(i, request) { changes.append(change) } else { results[i] = await single(request) }
            } catch {
                results[i] = ApplyResponse(
                    resource: request.prior,
                    diagnostics: [diagnostic(error, action: request.operation.rawValue, type: request.type, address: request.identity.address)])
            }
        }
        for chunk in Self.chunks(changes) {
            await submit(chunk[...], into: &results, single: single)
        }
        return results.map { $0! }
    }

    /// The change for a request, or nil when the one-record path should take it.
    func change(_ index: Int, _ request: ApplyRequest) throws -> Change? {
        let action: String
        let inputs: Inputs
        switch request.operation {
        case .create: (action, inputs) = ("CREATE", Inputs(request.inputs))
        case .update:
            guard request.prior != nil else { return nil }
            (action, inputs) = ("UPSERT", Inputs(request.inputs))
        case .delete:
            // DELETE names the values as recorded; a record changed outside Landlord makes the
            // call fail, and the one-record path then deletes it with its current values.
            guard let prior = request.prior else { return nil }
            (action, inputs) = ("DELETE", Inputs(prior.attributes))
        }
        let key = try key(inputs)
        let xml = try recordSet(key, inputs)
        let values = inputs.map("aliasTarget") == nil ? inputs.strings("records") : []
        let factor = action == "UPSERT" ? 2 : 1
        return Change(
            index: index, request: request, key: key, action: action, xml: xml,
            elements: max(1, values.count) * factor, characters: values.reduce(0) { $0 + $1.utf8.count } * factor)
    }

    /// Consecutive runs of changes that each fit in one call.
    static func chunks(_ changes: [Change]) -> [[Change]] {
        var out: [[Change]] = []
        var current: [Change] = []
        var elements = 0
        var characters = 0
        for change in changes {
            if !current.isEmpty
                && (current.count + 1 > maxChanges || elements + change.elements > maxRecordElements
                    || characters + change.characters > maxValueCharacters)
            {
                out.append(current)
                current = []
                elements = 0
                characters = 0
            }
            current.append(change)
            elements += change.elements
            characters += change.characters
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// Route53's codes for a change batch refused because of some of its records.
    static let perRecordCodes: Set<String> = ["InvalidChangeBatch", "InvalidInput", "NoSuchHealthCheck"]

    func submit(_ changes: ArraySlice<Change>, into results: inout [ApplyResponse?], single: (ApplyRequest) async -> ApplyResponse) async {
        do {
            let warning = try await send(changes)
            for change in changes {
                let resource = change.action == "DELETE" ? nil : object(change.key, attributes: change.request.inputs)
                results[change.index] = ApplyResponse(resource: resource, diagnostics: warning.map { [$0] } ?? [])
            }
        } catch let error as AWSError where Self.perRecordCodes.contains(error.code) && changes.count > 1 {
            let middle = changes.startIndex + changes.count / 2
            await submit(changes[..<middle], into: &results, single: single)
            await submit(changes[middle...], into: &results, single: single)
        } catch let error as AWSError where Self.perRecordCodes.contains(error.code) && changes.first?.action == "DELETE" {
            results[changes.first!.index] = await single(changes.first!.request)
        } catch {
            for change in changes {
                let request = change.request
                var d = diagnostic(error, action: request.operation.rawValue, type: request.type, address: request.identity.address)
                d.detail =
                    "record \(change.key.name) \(change.key.type)"
                    + (changes.count > 1 ? " (one of \(changes.count) changes sent together)" : "") + ": " + d.detail
                results[change.index] = ApplyResponse(resource: request.prior, diagnostics: [d])
            }
        }
    }

    /// Sends one ChangeResourceRecordSets call and waits for INSYNC. Returns a warning when the
    /// change was accepted but is still PENDING after `insyncTimeout`.
    func send(_ changes: ArraySlice<Change>) async throws -> ProviderDiagnostic? {
        guard let zone = changes.first?.key.zone else { return nil }
        let body =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ChangeResourceRecordSetsRequest xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">"
            + "<ChangeBatch><Changes>"
            + changes.map { "<Change>" + XMLWriter.element("Action", $0.action) + $0.xml + "</Change>" }.joined()
            + "</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>"
        let root = try await client.restXML(
            .route53, operation: "ChangeResourceRecordSets", method: "POST", path: "/2013-04-01/hostedzone/\(zone)/rrset", body: body
        ).root
        return try await awaitInSync(root, zone: zone)
    }

    /// Polls GetChange (0.5 s, doubling to 5 s) until the change a ChangeResourceRecordSets
    /// answer names is INSYNC. Returns a warning when it is still PENDING after `insyncTimeout`.
    func awaitInSync(_ root: XMLNode?, zone: String) async throws -> ProviderDiagnostic? {
        guard var status = root?.string("ChangeInfo", "Status"), let id = root?.string("ChangeInfo", "Id") else { return nil }
        let changeId = id.replacingOccurrences(of: "/change/", with: "")
        let clock = ContinuousClock()
        let deadline = clock.now + Self.insyncTimeout
        var pause: Duration = .milliseconds(500)
        while status != "INSYNC" {
            guard clock.now + pause < deadline else {
                return ProviderDiagnostic(
                    .warning, summary: "Route53 change \(changeId) for zone \(zone) is still \(status) after \(Self.insyncTimeout)",
                    detail: "Route53 accepted the records and keeps propagating them; check with `aws route53 get-change --id \(changeId)`")
            }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(5))
            let answer = try await client.restXML(.route53, operation: "GetChange", method: "GET", path: "/2013-04-01/change/\(changeId)").root
            status = answer?.string("ChangeInfo", "Status") ?? status
        }
        return nil
    }
}
