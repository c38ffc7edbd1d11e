import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Compare-and-swap of a file someone else may edit at the same time (a tenant file that git
/// or an editor also writes): the new bytes go into place only if the file still holds the
/// bytes the caller read, and an edit that lands at any moment of the swap is kept.
///
/// The file is first renamed aside (one atomic step: from then on an edit by rename, or git's
/// unlink-and-create, makes a new file instead of changing the one being checked), the aside
/// copy is compared, and the new file is hard-linked into place, which fails when a file of
/// that name appeared meanwhile. A mismatch links the aside copy back (unless a newer file
/// appeared, which then stays). For the microseconds of the swap the name does not exist; a
/// reader that looks then sees no file, never a wrong one.
public enum FileSwap {
    /// What became of a swap.
    public enum Outcome: Sendable, Equatable {
        /// The file held the expected bytes and now holds the new ones.
        case replaced
        /// The file held other bytes (or none, or a new file appeared during the swap): it
        /// was left as it is.
        case changed
    }

    /// Replaces `path` with `bytes` if it still holds `expected`; throws only when the
    /// filesystem fails (the file is then left, or put back, as it was). `beforeSwap` runs
    /// after the new bytes are staged and before the file is taken aside (tests use it to
    /// land an edit in that window).
    public static func replace(
        _ path: String, with bytes: [UInt8], ifStill expected: [UInt8], durable: Bool = true, beforeSwap: () -> Void = {}
    ) throws -> Outcome {
        let dir = (path as NSString).deletingLastPathComponent
        let tmp = try AtomicFile.stage(bytes, for: path, durable: durable)
        defer { unlink(tmp) }
        let aside = dir + "/." + (path as NSString).lastPathComponent + ".swap-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        beforeSwap()
        guard rename(path, aside) == 0 else {
            if errno == ENOENT { return .changed }
            throw FileError("cannot replace \(path): \(String(cString: strerror(errno))); it was not changed")
        }
        defer { unlink(aside) }
        guard AtomicFile.read(aside) == expected else {
            // Put the edited file back, unless an even newer one took its name meanwhile.
            if link(aside, path) != 0 && errno != EEXIST {
                throw FileError("cannot put \(path) back from \(aside): \(String(cString: strerror(errno))); restore it from there")
            }
            if durable { AtomicFile.syncDirectory(dir) }
            return .changed
        }
        guard link(tmp, path) == 0 else {
            if errno == EEXIST { return .changed }
            let reason = String(cString: strerror(errno))
            _ = link(aside, path)
            throw FileError("cannot replace \(path): \(reason); it was not changed")
        }
        if durable { AtomicFile.syncDirectory(dir) }
        return .replaced
    }
}
