import AWSClient
import Foundation
import LandlordCore
import LandlordTestSupport
import ProviderAPI
import Testing

extension Moto {
    /// A new symmetric KMS key; its ARN. With `alias`, also `alias/ALIAS` naming it.
    static func kmsKey(alias: String? = nil) async throws -> String {
        let client = try client()
        let made = try await client.json(.kms, operation: "CreateKey", body: Data("{\"Description\":\"landlord test\"}".utf8))
        let arn = try #require(try JSON.parse(Array(made)).mapValue?["KeyMetadata"]?.mapValue?["Arn"]?.stringValue)
        if let alias {
            _ = try await client.json(
                .kms, operation: "CreateAlias", body: Data("{\"AliasName\":\"alias/\(alias)\",\"TargetKeyId\":\"\(arn)\"}".utf8))
        }
        return arn
    }
}

/// `state: {key: {kms: ...}}` against moto's KMS: envelope encryption with the wrapped data key
/// beside local or S3 state, rotation from one KMS key to another with `state rekey`, and
/// KMS's refusals as errors that say what to do and change nothing.
@Suite(.serialized, .enabled(if: Moto.available, Moto.disabledReason), .motoExclusive)
struct KMSStateKeyTests {
    /// Replaces the `state:` line of platform.yaml.
    func setState(_ fleet: Fleet, _ state: String) throws {
        try fleet.edit("platform.yaml") { text in
            let line = text.split(separator: "\n", omittingEmptySubsequences: false).first { $0.hasPrefix("state:") }!
            return text.replacingOccurrences(of: String(line), with: "state: \(state)")
        }
    }

    var env: [String: String] { Moto.environment.merging(["LANDLORD_STATE_KEY": ""]) { _, b in b } }

    func document(_ fleet: Fleet, _ tenant: String) throws -> String {
        try String(contentsOf: fleet.dir.appendingPathComponent(".landlord/state/tenants/\(tenant).json"), encoding: .utf8)
    }

    @Test func aKMSKeySealsLocalStateAndRotatesToAnotherKMSKeyWithRekey() async throws {
        let fleet = try Fleet()
        let alias = "landlord-\(UUID().uuidString.prefix(8).lowercased())"
        _ = try await Moto.kmsKey(alias: alias)
        try setState(fleet, "{backend: local, key: {kms: alias/\(alias)}}")
        let apply = try await CLI.run(["-C", fleet.path, "apply", "--auto-approve"], env: env)
        try #require(apply.code == 0, "\(apply.all)")
        #expect(!apply.stderr.contains("stored in clear"))
        let wrapped = fleet.dir.appendingPathComponent(".landlord/" + StateKeyring.documentKey("alias/\(alias)"))
        let kept = try String(contentsOf: wrapped, encoding: .utf8)
        #expect(kept.contains("\"wrapped_data_key\"") && kept.contains("alias/\(alias)"), "\(kept)")
        let doc = try document(fleet, "acme")
        #expect(doc.contains("\"sealed\": [") && !doc.contains("dev-only-api-key"), "sealed with the KMS data key")
        let plan = try await CLI.run(["-C", fleet.path, "plan", "--detailed-exitcode"], env: env)
        #expect(plan.code == 0, "the next run unwraps the same data key: \(plan.all)")
        #expect(try String(contentsOf: wrapped, encoding: .utf8) == kept, "the data key is made once")

        // Rotate to a second KMS key (by ARN), the first kept as previous until rekey is done.
        let second = try await Moto.kmsKey()
        try setState(fleet, "{backend: local, keys: [{kms: \"\(second)\"}, {kms: alias/\(alias)}]}")
        let rekey = try await CLI.run(["-C", fleet.path, "state", "rekey"], env: env)
        #expect(rekey.code == 0 && rekey.stdout.contains("2 documents re-sealed"), "\(rekey.all)")
        #expect(rekey.stdout.contains("current key (kms \(second))"), "\(rekey.stdout)")
        try setState(fleet, "{backend: local, key: {kms: \"\(second)\"}}")
        let after = try await CLI.run(["-C", fleet.path, "plan", "--detailed-exitcode"], env: env)
        #expect(after.code == 0, "the second key alone reads everything: \(after.all)")
        try setState(fleet, "{backend: local, key: {kms: alias/\(alias)}}")
        let old = try await CLI.run(["-C", fleet.path, "plan"], env: env)
        #expect(old.code == 1 && old.stderr.contains("encrypted with another state key"), "\(old.all)")
    }

    @Test func onS3StateTheWrappedDataKeyLivesInTheBucket() async throws {
        let fleet = try Fleet()
        let bucket = try await Moto.bucket()
        let key = try await Moto.kmsKey()
        try setState(fleet, "{backend: s3, bucket: \(bucket), prefix: fleet, key: {kms: \"\(key)\"}}")
        let apply = try await CLI.run(["-C", fleet.path, "apply", "--auto-approve"], env: env)
        try #require(apply.code == 0, "\(apply.all)")
        let object = try await Moto.client().s3GetObject(bucket: bucket, key: "fleet/" + StateKeyring.documentKey(key))
        #expect(object != nil, "the wrapped data key is kept beside the state, in the bucket")
        let state = try #require(try await Moto.client().s3GetObject(bucket: bucket, key: "fleet/tenants/acme.json"))
        #expect(!String(decoding: state.body, as: UTF8.self).contains("dev-only-api-key"))
        #expect(!fleet.exists(".landlord/state-keys"), "nothing kept on the local disk")
        let plan = try await CLI.run(["-C", fleet.path, "plan", "--detailed-exitcode"], env: env)
        #expect(plan.code == 0, "\(plan.all)")

        // Rekey in the bucket: each document written back with compare-and-swap, serial kept.
        let second = try await Moto.kmsKey()
        try setState(fleet, "{backend: s3, bucket: \(bucket), prefix: fleet, keys: [{kms: \"\(second)\"}, {kms: \"\(key)\"}]}")
        let rekey = try await CLI.run(["-C", fleet.path, "state", "rekey"], env: env)
        #expect(rekey.code == 0 && rekey.stdout.contains("2 documents re-sealed"), "\(rekey.all)")
        try setState(fleet, "{backend: s3, bucket: \(bucket), prefix: fleet, key: {kms: \"\(second)\"}}")
        let after = try await CLI.run(["-C", fleet.path, "plan", "--detailed-exitcode"], env: env)
        #expect(after.code == 0, "the second key alone reads the bucket: \(after.all)")
    }

    @Test func kmsRefusalsSayWhatToDoAndChangeNothing() async throws {
        let fleet = try Fleet()
        try setState(fleet, "{backend: local, key: {kms: alias/no-such-key}}")
        let validate = try await CLI.run(["-C", fleet.path, "validate"], env: env)
        #expect(validate.code == 0, "validate reads no state, so it calls no KMS: \(validate.all)")
        let missing = try await CLI.run(["-C", fleet.path, "apply", "--auto-approve"], env: env)
        #expect(missing.code == 1 && missing.stderr.contains("NotFoundException") && missing.stderr.contains("No such key"), "\(missing.all)")
        #expect(!fleet.exists(".landlord/state/tenants/acme.json"), "nothing applied")

        // A wrapped data key KMS refuses to unwrap with the configured key (moto answers
        // AccessDeniedException, as AWS does to a role without kms:Decrypt).
        let first = try await Moto.kmsKey()
        let other = try await Moto.kmsKey()
        try setState(fleet, "{backend: local, key: {kms: \"\(first)\"}}")
        try #require(try await CLI.run(["-C", fleet.path, "apply", "--auto-approve"], env: env).code == 0)
        let before = try document(fleet, "acme")
        let landlord = fleet.dir.appendingPathComponent(".landlord/")
        try FileManager.default.copyItem(
            at: landlord.appendingPathComponent(StateKeyring.documentKey(first)), to: landlord.appendingPathComponent(StateKeyring.documentKey(other))
        )
        try setState(fleet, "{backend: local, key: {kms: \"\(other)\"}}")
        let denied = try await CLI.run(["-C", fleet.path, "apply", "--auto-approve"], env: env)
        #expect(denied.code == 1 && denied.stderr.contains("was refused (AccessDeniedException"), "\(denied.all)")
        #expect(denied.stderr.contains("kms:Decrypt") && denied.stderr.contains("Nothing was read or written"), "\(denied.all)")
        #expect(try document(fleet, "acme") == before, "the state is untouched")
    }
}
