import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Which spec files of a fleet were touched since the last look, from the kernel (Linux
/// inotify on the fleet directory, blueprints/ and tenants/), so a request that starts work
/// stats only those files, not every tenant file. The kernel queues an event in the writing
/// call itself, so an edit finished before a request arrives is in the queue when the request
/// looks. Where the watch cannot tell (another system, a full queue, a spec directory replaced
/// or removed), ``look()`` answers `nil` and the caller stats every file, as without a watch.
/// A file edited through a symlink or on a network filesystem raises no event here: the
/// caller still stats every file from time to time (``FleetStamp/nextFullScan``: every second,
/// less often on a fleet whose scan takes more than a twentieth of that).
// Not Sendable: owned by the `TenantService` actor, which alone reads the descriptor.
final class FleetWatch {
    #if os(Linux)
        private let fd: Int32
        /// Watched directory (relative to the fleet: "", "blueprints", "tenants") by descriptor.
        private var dirs: [Int32: String] = [:]
        /// Where `look()` reads the queued events: kept, not made and zeroed once a request.
        private var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    #endif
    private let root: String

    /// A watch of the fleet under `root`; nil where inotify is not available or refused.
    init?(root: URL) {
        self.root = root.path
        #if os(Linux)
            fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
            guard fd >= 0 else { return nil }
            guard addWatches() else {
                close(fd)
                return nil
            }
        #else
            return nil
        #endif
    }

    deinit {
        #if os(Linux)
            close(fd)
        #endif
    }

    /// The spec files (relative paths: platform.yaml, blueprints/NAME, tenants/NAME) touched
    /// since the last look, each once; nil when the watch cannot tell (stat every file).
    func look() -> Set<String>? {
        #if os(Linux)
            var touched: Set<String> = []
            var lost = false
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { break }  // EAGAIN: the queue is empty
                buffer.withUnsafeBytes { raw in
                    var offset = 0
                    let header = MemoryLayout<inotify_event>.size
                    while offset + header <= n {
                        let wd = raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)
                        let mask = raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                        let length = Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                        let nameBytes = raw[(offset + header)..<min(n, offset + header + length)].prefix { $0 != 0 }
                        offset += header + length
                        if mask & UInt32(IN_Q_OVERFLOW) != 0 { lost = true }
                        guard let dir = dirs[wd] else { continue }
                        if mask & UInt32(IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF) != 0 { lost = true }
                        let name = String(decoding: nameBytes, as: UTF8.self)
                        if dir.isEmpty {
                            if name == "platform.yaml" { touched.insert(name) }
                            // blueprints/ or tenants/ made, removed or replaced: watch again.
                            if name == "blueprints" || name == "tenants" { lost = true }
                        } else if Self.isSpecFile(name) {
                            touched.insert(dir + "/" + name)
                        }
                    }
                }
            }
            if lost {
                for wd in dirs.keys { inotify_rm_watch(fd, wd) }
                dirs = [:]
                _ = addWatches()
                return nil
            }
            return touched
        #else
            return nil
        #endif
    }

    /// The names ``FleetStamp`` stamps in blueprints/ and tenants/.
    static func isSpecFile(_ name: String) -> Bool {
        (name.hasSuffix(".yaml") || name.hasSuffix(".yml")) && !name.hasPrefix(".")
    }

    #if os(Linux)
        /// Watches the fleet directory and the spec directories that exist; false when the
        /// fleet directory cannot be watched.
        private func addWatches() -> Bool {
            let events = UInt32(IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB)
            let selfEvents = UInt32(IN_DELETE_SELF | IN_MOVE_SELF)
            for dir in ["", "blueprints", "tenants"] {
                let wd = inotify_add_watch(fd, dir.isEmpty ? root : root + "/" + dir, events | selfEvents)
                if wd >= 0 {
                    dirs[wd] = dir
                } else if dir.isEmpty {
                    return false
                }
            }
            return true
        }
    #endif
}
