import AWSClient
import Foundation
import LandlordCore
import ProviderAPI

/// AWS KMS as the engine's ``StateKeyService``: GenerateDataKey (AES_256) and Decrypt over
/// AWSClient's JSON protocol, signed with SigV4. Every call binds the encryption context
/// `{"landlord": "state-key"}`, so a data key wrapped for state cannot be unwrapped as anything
/// else. KMS's refusals become messages that say what to do.
public struct KMSStateKeyService: StateKeyService {
    let defaultRegion: String?
    let environment: [String: String]
    let transport: HTTPTransport?

    /// KMS in `region` (a key ARN's own region wins), credentials and endpoint overrides
    /// (`AWS_ENDPOINT_URL_KMS`, `AWS_ENDPOINT_URL`) from `environment`.
    public init(region: String?, environment: [String: String], transport: HTTPTransport? = nil) {
        defaultRegion = region
        self.environment = environment
        self.transport = transport
    }

    static let context: Value = .map(["landlord": .string("state-key")])

    public func generateDataKey(keyId: String) async throws -> WrappedDataKey {
        let body: Value = .map(["KeyId": .string(keyId), "KeySpec": .string("AES_256"), "EncryptionContext": Self.context])
        let answer = try await call("GenerateDataKey", keyId: keyId, body)
        guard let plain = answer["Plaintext"]?.stringValue.flatMap({ Data(base64Encoded: $0) }),
            let wrapped = answer["CiphertextBlob"]?.stringValue.flatMap({ Data(base64Encoded: $0) })
        else { throw StateError.io("KMS GenerateDataKey with key \(keyId) answered without a data key; check the endpoint is AWS KMS") }
        return WrappedDataKey(plaintext: Array(plain), wrapped: Array(wrapped))
    }

    public func decrypt(keyId: String, wrapped: [UInt8]) async throws -> [UInt8] {
        let body: Value = .map([
            "KeyId": .string(keyId), "CiphertextBlob": .string(Data(wrapped).base64EncodedString()), "EncryptionContext": Self.context,
        ])
        let answer = try await call("Decrypt", keyId: keyId, body)
        guard let plain = answer["Plaintext"]?.stringValue.flatMap({ Data(base64Encoded: $0) }) else {
            throw StateError.io("KMS Decrypt with key \(keyId) answered without the data key; check the endpoint is AWS KMS")
        }
        return Array(plain)
    }

    /// The region of a key ARN (`arn:aws:kms:REGION:ACCOUNT:key/ID`), else the default.
    func region(of keyId: String) -> String? {
        let parts = keyId.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count >= 6, parts[0] == "arn", parts[2] == "kms", !parts[3].isEmpty { return String(parts[3]) }
        return defaultRegion
    }

    func call(_ operation: String, keyId: String, _ body: Value) async throws -> [String: Value] {
        let client: AWSClient
        do {
            client = AWSClient(configuration: try AWSConfiguration.resolve(region: region(of: keyId), environment: environment), transport: transport)
        } catch {
            let why = (error as? AWSError)?.message ?? "\(error)"
            throw StateError.io("cannot call KMS for the state key \(keyId): \(why); nothing was read or written")
        }
        let data: Data
        do { data = try await client.json(.kms, operation: operation, body: Data(JSON.serialize(body))) } catch let error as AWSError {
            throw Self.explain(error, operation: operation, keyId: keyId)
        }
        guard let answer = (try? JSON.parse(Array(data)))?.mapValue else {
            throw StateError.io("KMS \(operation) with key \(keyId) answered with something that is not JSON; check AWS_ENDPOINT_URL points at KMS")
        }
        return answer
    }

    /// KMS's error, as what to do next. Nothing has been read or written when it is raised.
    static func explain(_ e: AWSError, operation: String, keyId: String) -> StateError {
        let said = "KMS \(operation) with the state key \(keyId) was refused (\(e.code)\(e.message.isEmpty ? "" : ": \(e.message)"))"
        let nothing = "Nothing was read or written."
        switch e.code {
        case "AccessDeniedException", "AccessDenied", "UnrecognizedClientException", "InvalidSignatureException":
            return .io(
                "\(said). Allow the role landlord runs as kms:GenerateDataKey and kms:Decrypt on this key (in its key policy or an IAM "
                    + "policy), or check the AWS credentials, then run again. \(nothing)")
        case "NotFoundException":
            return .io(
                "\(said). No such key in this account and region: check the `kms:` entry of state.keys in platform.yaml (a key id, key ARN "
                    + "or alias/NAME) and the region (a key ARN carries its own). \(nothing)")
        case "DisabledException":
            return .io("\(said). The key is disabled: enable it (`aws kms enable-key --key-id \(keyId)`), then run again. \(nothing)")
        case "KMSInvalidStateException":
            return .io(
                "\(said). The key cannot be used now (pending deletion or import): cancel its deletion (`aws kms cancel-key-deletion`) "
                    + "and enable it, then run again. \(nothing)")
        case "InvalidCiphertextException", "IncorrectKeyException":
            return .io(
                "\(said). The wrapped data key \(StateKeyring.documentKey(keyId)) beside the state was not made by this KMS key, or is "
                    + "damaged: if the `kms:` entry was changed, list the old key as well (state.keys, after the current one); otherwise "
                    + "restore the document from your backups or the bucket's version history. \(nothing)")
        default:
            if e.isRetryable {
                return .io("\(said), and retries did not help: check the network and AWS_ENDPOINT_URL, then run again. \(nothing)")
            }
            return .io("\(said). \(nothing)")
        }
    }
}

extension FleetWiring {
    /// The state cipher platform.yaml asks for: `state.keys` (env, file or KMS entries; KMS data
    /// keys kept beside the state in the fleet's own backend), else `LANDLORD_STATE_KEY` or
    /// `state.keyFile`; nil when none is set. Every KMS call happens here, once per run.
    public static func cipher(_ fleet: Fleet, root: URL, environment: [String: String]) async throws(StateError) -> StateCipher? {
        let state = fleet.platform.state
        let usesKMS = state.keys.contains { if case .kms = $0 { return true } else { return false } }
        guard usesKMS else { return try await StateKeyring.cipher(state, directory: root, environment: environment, kms: nil, documents: nil) }
        let documents: (any SideDocumentStore)?
        do { documents = try store(fleet, root: root, environment: environment, cipher: nil) as? any SideDocumentStore } catch {
            throw (error as? StateError) ?? .io("\(error)")
        }
        let kms = KMSStateKeyService(region: fleet.platform.providerSettings("aws")["region"]?.stringValue ?? state.region, environment: environment)
        return try await StateKeyring.cipher(state, directory: root, environment: environment, kms: kms, documents: documents)
    }
}
