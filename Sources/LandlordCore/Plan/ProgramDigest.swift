import Crypto
import Foundation
import LandlordBasics

#if canImport(Glibc)
    import Glibc
#endif

/// The SHA-256 of a program's bytes, for the plan cache's key: a landlord that plans differently
/// is another program, and the same program installed anew (a CI runner's fresh install: another
/// inode and modification time, the same bytes) is the same one, so a plan cache kept between
/// CI runs still holds.
///
/// Hashing a 40 MB program takes about a tenth of a second, too much for every plan, so the
/// digest is remembered in a small file under the program's identity on this machine: path,
/// device, inode, size, modification time and change time. Replacing or rewriting the program
/// changes its change time (which no tool can set back), so a remembered digest is used only for
/// the bytes it was computed from. A program changed less than 2 s before it was hashed is not
/// remembered (the file system's clock may not have ticked between two writes: git's "racy" rule).
public enum ProgramDigest {
    /// The digest of the program at `path`, remembered in `memo`; nil when it cannot be read.
    public static func of(_ path: String, memo: String, now: Date = Date()) -> String? {
        guard let before = identity(path) else { return nil }
        if let text = AtomicFile.read(memo).map({ String(decoding: $0, as: UTF8.self) }) {
            for line in text.split(separator: "\n") where line.hasPrefix(before.text + " ") {
                let digest = line.dropFirst(before.text.count + 1)
                if digest.count == 64, digest.allSatisfy(\.isHexDigit) { return String(digest) }
            }
        }
        guard let digest = hash(path), let after = identity(path), after.text == before.text else { return nil }
        if Int64(now.timeIntervalSince1970 * 1e9) - after.changedAt >= 2_000_000_000 {
            let dir = (memo as NSString).deletingLastPathComponent
            // Only costs the next plan a tenth of a second if it cannot be written.
            try? AtomicFile.makeDirectory(dir)
            try? AtomicFile.write(Array("\(after.text) \(digest)\n".utf8), to: memo, durable: false)
        }
        return digest
    }

    /// The program's identity on this machine, and when it last changed (nanoseconds since 1970).
    public static func identity(_ path: String) -> (text: String, changedAt: Int64)? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        let mtime = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        let ctime = Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec)
        return ("\(path) \(st.st_dev) \(st.st_ino) \(st.st_size) \(mtime) \(ctime)", max(mtime, ctime))
    }

    /// SHA-256 of the file's bytes, read a megabyte at a time.
    static func hash(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            // Safe: the pointer is used only inside the closure, within the buffer's bounds.
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return nil }
            if n == 0 { break }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
        return Digest.hex(hasher.finalize())
    }
}
