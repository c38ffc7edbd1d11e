import Foundation
import LandlordBasics
import LandlordCore

/// Side documents (rollout records, rollback points, held tenants) as private files under
/// `.landlord/`, written atomically like the state's own documents.
extension LocalStateStore: SideDocumentStore {
    func sidePath(_ key: String) -> String { root + "/" + key }

    public func readSideDocument(_ key: String) async throws -> [UInt8]? {
        let path = sidePath(key)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let bytes = AtomicFile.read(path) else {
            throw StateError.io("could not read \(path): check its permissions, then run the command again")
        }
        return bytes
    }

    public func writeSideDocument(_ key: String, _ bytes: [UInt8]) async throws {
        let path = sidePath(key)
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try AtomicFile.write(bytes, to: path, durable: durable)
        } catch {
            throw StateError.io("could not write \(path): \(error); check the disk and its permissions, then run the command again")
        }
    }

    public func createSideDocument(_ key: String, _ bytes: [UInt8]) async throws -> Bool {
        let path = sidePath(key)
        do {
            try AtomicFile.makeDirectory((path as NSString).deletingLastPathComponent)
            // Staged whole and durable, then linked into place: link(2) fails when the name
            // exists, so of two runs creating at once exactly one wins, and no reader ever
            // sees a part of the document.
            let staged = try AtomicFile.stage(bytes, for: path, durable: durable)
            defer { unlink(staged) }
            if link(staged, path) == 0 {
                if durable { AtomicFile.syncDirectory((path as NSString).deletingLastPathComponent) }
                return true
            }
            if errno == EEXIST { return false }
            throw StateError.io("could not create \(path): \(String(cString: strerror(errno))); check the disk and its permissions, then run again")
        } catch let error as StateError {
            throw error
        } catch {
            throw StateError.io("could not create \(path): \(error); check the disk and its permissions, then run the command again")
        }
    }

    public func deleteSideDocument(_ key: String) async throws {
        let path = sidePath(key)
        guard FileManager.default.fileExists(atPath: path) else { return }
        do { try FileManager.default.removeItem(atPath: path) } catch {
            throw StateError.io("could not delete \(path): \(error); check its permissions, then run the command again")
        }
    }

    public var sideCipher: StateCipher? { cipher }
}
