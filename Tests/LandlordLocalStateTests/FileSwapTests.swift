import Foundation
import LandlordBasics
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `FileSwap`: a file is replaced only while it holds what the caller read; an edit landing
/// between the caller's check and the swap (git's unlink-and-create, an editor's rename) is
/// kept, never overwritten.
@Suite struct FileSwapTests {
    func tempFile(_ text: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("landlord-file-swap-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try AtomicFile.write(Array(text.utf8), to: dir + "/acme.yaml")
        return dir + "/acme.yaml"
    }

    func leftovers(_ path: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: (path as NSString).deletingLastPathComponent).filter { $0.hasPrefix(".") }
    }

    @Test func theFileIsReplacedWhenItHoldsWhatWasRead() throws {
        let path = try tempFile("id: acme\n")
        let out = try FileSwap.replace(path, with: Array("id: acme\ntier: premium\n".utf8), ifStill: Array("id: acme\n".utf8))
        #expect(out == .replaced)
        #expect(AtomicFile.read(path) == Array("id: acme\ntier: premium\n".utf8))
        #expect(try leftovers(path).isEmpty)
    }

    @Test func anEditLandingJustBeforeTheSwapIsKept() throws {
        for how in ["rename", "unlink-create", "in-place", "remove"] {
            let path = try tempFile("id: acme\n")
            let out = try FileSwap.replace(path, with: Array("id: acme\ntier: premium\n".utf8), ifStill: Array("id: acme\n".utf8)) {
                switch how {
                case "rename": try? AtomicFile.write(Array("id: acme # edited\n".utf8), to: path)
                case "unlink-create":
                    unlink(path)
                    try? Data("id: acme # edited\n".utf8).write(to: URL(fileURLWithPath: path))
                case "in-place": try? Data("id: acme # edited\n".utf8).write(to: URL(fileURLWithPath: path))
                default: unlink(path)
                }
            }
            #expect(out == .changed, "\(how)")
            #expect(AtomicFile.read(path) == (how == "remove" ? nil : Array("id: acme # edited\n".utf8)), "\(how)")
            #expect(try leftovers(path).isEmpty, "\(how)")
        }
    }
}
