import Foundation
import LandlordBasics
import ProviderAPI

#if canImport(Glibc)
    import Glibc
#endif

/// A file as the cloud last saw it: replaced (a compaction elsewhere) or changed means reload.
struct FileIdentity: Equatable {
    var inode: UInt64
    var size: Int64
    var mtime: Int

    static let none = FileIdentity(inode: 0, size: -1, mtime: 0)

    init(inode: UInt64, size: Int64, mtime: Int) {
        self.inode = inode
        self.size = size
        self.mtime = mtime
    }

    init(_ st: stat) {
        self.init(inode: UInt64(st.st_ino), size: Int64(st.st_size), mtime: Int(st.st_mtim.tv_sec) * 1_000_000_000 + Int(st.st_mtim.tv_nsec))
    }

    init?(path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        self.init(st)
    }
}

/// Reading the cloud's files into the index, writing the journal, and compaction.
extension MockCloud {
    /// Lines of the files the loader knows without parsing them.
    static let putPrefix = Array("{\"op\":\"put\",\"resource\":".utf8)
    static let countersPrefix = Array("{\"counters\": ".utf8)
    static let resourcesLine = Array("\"resources\": [".utf8)
    static let endLine = Array("]}".utf8)

    /// Folds the journal into the JSON file when that is cheap (a journal under 256 KB, so a
    /// small cloud stays one readable file) or keeps the journal from growing without bound
    /// (over 32 MB and larger than the file). Rewriting a cloud of 14,000 resources took half a
    /// second, too much to pay at the end of every run; readers fold the journal in anyway.
    public func compactIfWorthIt() throws {
        let journalSize = FileIdentity(path: journalPath).map { Int($0.size) } ?? 0
        let fileSize = FileIdentity(path: path).map { Int($0.size) } ?? 0
        guard journalSize > 0, journalSize < 256 << 10 || (journalSize > 32 << 20 && journalSize > fileSize) else { return }
        try compact()
    }

    /// Folds the journal into the JSON file, copying each record's bytes as they are (a record
    /// at a time: the cloud is never built in memory).
    public func compact() throws {
        try transact { _ in }
        try mutex.withLock {
            guard let lock = try? FileLock(path: lockPath) else { return }
            defer { lock.unlock() }
            defer { index.endTransaction() }
            try sync()
            let dir = (path as NSString).deletingLastPathComponent
            let tmp = dir + "/." + (path as NSString).lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            let fd = AtomicFile.openPrivate(tmp, O_WRONLY | O_TRUNC)
            guard fd >= 0 else { throw MockError("cannot write \(tmp): \(String(cString: strerror(errno))); check permissions and free space") }
            var out = BufferedWriter(fd: fd)
            out.write(Self.countersPrefix)
            out.write(JSON.serialize(.map(counters.mapValues { .int($0) })))
            out.write(Array(",\n".utf8) + Self.resourcesLine)
            var moved: [(slot: Int32, offset: Int64, length: Int)] = []
            moved.reserveCapacity(index.count)
            for s in index.live {
                guard var bytes = rawRecord(s) else {
                    out.close()
                    unlink(tmp)
                    throw MockError(damage ?? "simulated cloud \(path) could not be read; delete it and \(journalPath) to start from an empty cloud")
                }
                // A record of an older layout (keys sorted) is rewritten so the next load reads its key directly.
                let quick = bytes.withUnsafeBufferPointer { MockCloudIndex.quickKey($0) != nil }
                if !quick, let r = MockResource(record: bytes) { bytes = r.record }
                out.write(Array((moved.isEmpty ? "\n" : ",\n").utf8))
                moved.append((s, out.position, bytes.count))
                out.write(bytes)
            }
            out.write(Array("\n".utf8) + Self.endLine + [0x0A])
            // Not fsync'd: a simulated cloud need not survive a power loss.
            guard out.close() else {
                unlink(tmp)
                throw MockError("cannot write \(path): \(String(cString: strerror(errno))); check free space (the cloud is intact)")
            }
            try AtomicFile.commit(tmp, to: path)
            truncate(journalPath, 0)
            for m in moved { index.moved(m.slot, toFileOffset: m.offset, length: m.length) }
            if fileFD >= 0 { close(fileFD) }
            fileFD = open(path, O_RDONLY | O_CLOEXEC)
            var st = stat()
            snapshotID = fileFD >= 0 && fstat(fileFD, &st) == 0 ? FileIdentity(st) : .none
            journalOffset = 0
        }
    }

    /// A slot's record bytes, as its file holds them (or encoded, when in memory).
    func rawRecord(_ s: Int32) -> [UInt8]? {
        let slot = index.slots[Int(s)]
        switch slot.place {
        case .free: return nil
        case .memory: return index.memory[s]?.record
        case .file, .journal: return readAt(slot.place == .file ? fileFD : journalFD, offset: slot.offset, length: Int(slot.length))
        }
    }

    /// `length` bytes at `offset` of `fd`; nil when they are not all there.
    func readAt(_ fd: Int32, offset: Int64, length: Int) -> [UInt8]? {
        guard fd >= 0 else { return nil }
        var out = [UInt8](repeating: 0, count: length)
        var got = 0
        while got < length {
            // Safe: the pointer is used only inside the closure, within the array's bounds.
            let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + got, length - got, off_t(offset) + off_t(got)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return nil }
            got += n
        }
        return out
    }

    /// Brings the index up to date with the files (lock held).
    func sync() throws {
        let id = FileIdentity(path: path) ?? .none
        if !loaded || id != snapshotID { try load() }
        try readJournal()
    }

    /// Reads the cloud file's keys into a fresh index (the journal is read after it).
    private func load() throws {
        loaded = true
        index = MockCloudIndex()
        secondary = nil
        counters = [:]
        damage = nil
        journalOffset = 0
        if fileFD >= 0 { close(fileFD) }
        if journalFD >= 0 { close(journalFD) }
        journalFD = -1
        fileFD = open(path, O_RDONLY | O_CLOEXEC)
        var st = stat()
        guard fileFD >= 0, fstat(fileFD, &st) == 0 else {
            fileFD = -1
            snapshotID = .none
            return
        }
        snapshotID = FileIdentity(st)
        guard st.st_size > 0 else { return }
        var state = FileScan.counters
        let complete = try scanLines(fileFD, from: 0) { line, offset in
            switch state {
            case .counters:
                guard line.starts(with: Self.countersPrefix), line.last == UInt8(ascii: ","),
                    let c = try? JSON.parse(UnsafeBufferPointer(rebasing: line[Self.countersPrefix.count..<(line.count - 1)])).mapValue
                else { return false }
                counters = c.compactMapValues(\.intValue)
                state = .resourcesLine
            case .resourcesLine:
                guard line.elementsEqual(Self.resourcesLine) else { return false }
                state = .resources
            case .resources:
                if line.elementsEqual(Self.endLine) {
                    state = .end
                    return true
                }
                let record = line.last == UInt8(ascii: ",") ? UnsafeBufferPointer(rebasing: line[..<(line.count - 1)]) : line
                guard fileRecord(record, offset: offset) else { return false }
            case .end:
                return false
            }
            return true
        }
        guard complete, state == .end else {
            try loadWhole()
            return
        }
    }

    private enum FileScan { case counters, resourcesLine, resources, end }

    /// Files one record line of the cloud file; false when it is not a record.
    private func fileRecord(_ record: UnsafeBufferPointer<UInt8>, offset: Int64) -> Bool {
        if let (t, i) = MockCloudIndex.quickKey(record) {
            let type = String(decoding: UnsafeBufferPointer(rebasing: record[t]), as: UTF8.self)
            let hash = MockCloudIndex.hash(type: UnsafeBufferPointer(rebasing: record[t]), id: UnsafeBufferPointer(rebasing: record[i]))
            if !index.candidates(hash).isEmpty {
                // The key seen already (or another key with its hash): settle it from the records.
                let id = String(decoding: UnsafeBufferPointer(rebasing: record[i]), as: UTF8.self)
                remove(type + "|" + id)
            }
            _ = index.add(hash: hash, type: type, place: .file, offset: offset, length: record.count)
            return true
        }
        guard let r = MockResource(record: Array(record)) else { return false }
        insert(r, place: .file, offset: offset, length: record.count)
        return true
    }

    /// A cloud file not in the one-record-a-line layout (written by hand or by an older
    /// version): parsed whole, its resources held in memory until the next compaction.
    private func loadWhole() throws {
        let id = snapshotID
        index = MockCloudIndex()
        counters = [:]
        guard let data = AtomicFile.read(path) else { throw MockError("cannot read simulated cloud \(path); check its permissions") }
        let doc: Value
        do { doc = try JSON.parse(data) } catch {
            throw MockError("simulated cloud \(path) is not valid JSON (\(error)); delete it and \(journalPath) to start from an empty cloud")
        }
        guard let m = doc.mapValue else {
            throw MockError("simulated cloud \(path) is not a JSON object; delete it and \(journalPath) to start from an empty cloud")
        }
        for r in m["resources"]?.listValue ?? [] {
            guard let res = MockResource(json: r) else {
                throw MockError(
                    "simulated cloud \(path) holds a resource without a type and id; delete it and \(journalPath) to start from an empty cloud")
            }
            insert(res)
        }
        counters = (m["counters"]?.mapValue ?? [:]).compactMapValues(\.intValue)
        snapshotID = id
    }

    /// Reads what was appended to the journal since the last look.
    private func readJournal() throws {
        let fd = open(journalPath, O_RDONLY | O_CLOEXEC)
        var st = stat()
        guard fd >= 0, fstat(fd, &st) == 0 else {
            if fd >= 0 { close(fd) }
            if journalOffset > 0 || journalFD >= 0 {
                // The journal went away under us: what it held is gone too.
                try load()
            }
            return
        }
        if journalFD >= 0 && UInt64(st.st_ino) == journalInode {
            close(fd)
        } else {
            if journalFD >= 0 {
                // Another journal than the one the index points into.
                close(fd)
                try load()
                return try readJournal()
            }
            journalFD = fd
            journalInode = UInt64(st.st_ino)
        }
        let end = Int(st.st_size)
        if end < journalOffset {
            // Compacted by another process since: reload everything.
            try load()
            return try readJournal()
        }
        guard end > journalOffset else { return }
        var consumed = journalOffset
        _ = try scanLines(journalFD, from: Int64(journalOffset)) { line, offset in
            consumed = Int(offset) + line.count + 1
            journalLine(line, offset: offset)
            return true
        }
        journalOffset = consumed
        if consumed < end {
            // A writer died in the middle of a line (we hold the lock, so nobody is writing):
            // cut the torn tail so the next entry starts on a fresh line.
            truncate(journalPath, off_t(journalOffset))
        }
    }

    /// Applies one journal line; a line that is not an entry is skipped.
    private func journalLine(_ line: UnsafeBufferPointer<UInt8>, offset: Int64) {
        let p = Self.putPrefix.count
        if line.starts(with: Self.putPrefix), line.count > p + 1, line.last == UInt8(ascii: "}"), secondary == nil {
            let record = UnsafeBufferPointer(rebasing: line[p..<(line.count - 1)])
            if let (t, i) = MockCloudIndex.quickKey(record) {
                let type = String(decoding: UnsafeBufferPointer(rebasing: record[t]), as: UTF8.self)
                let id = String(decoding: UnsafeBufferPointer(rebasing: record[i]), as: UTF8.self)
                remove(type + "|" + id)
                _ = index.add(
                    hash: MockCloudIndex.hash(type + "|" + id), type: type, place: .journal, offset: offset + Int64(p), length: record.count)
                return
            }
        }
        guard let entry = try? JSON.parse(line), let m = entry.mapValue else { return }
        switch m["op"]?.stringValue {
        case "put":
            guard let r = m["resource"].flatMap(MockResource.init(json:)) else { return }
            if line.starts(with: Self.putPrefix), line.last == UInt8(ascii: "}") {
                insert(r, place: .journal, offset: offset + Int64(p), length: line.count - p - 1)
            } else {
                insert(r)
            }
        case "del": if let k = m["key"]?.stringValue { remove(k) }
        case "counter": if let k = m["name"]?.stringValue, let v = m["value"]?.intValue { counters[k] = v }
        default: break
        }
    }

    /// Calls `body` with each complete line of `fd` from `start` (without its newline) and
    /// the line's offset, reading 4 MB at a time; stops when `body` says false. True when
    /// every line was taken.
    private func scanLines(_ fd: Int32, from start: Int64, _ body: (UnsafeBufferPointer<UInt8>, Int64) throws -> Bool) throws -> Bool {
        var buf = [UInt8](repeating: 0, count: 4 << 20)
        var filled = 0
        var base = start  // file offset of buf[0]
        while true {
            if filled == buf.count { buf += [UInt8](repeating: 0, count: buf.count) }  // a line longer than the buffer
            let room = buf.count - filled
            let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + filled, room, off_t(base) + off_t(filled)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return true }
            let oldFilled = filled
            filled += n
            var lineStart = 0
            var stop = false
            try buf.withUnsafeBufferPointer { b in
                var i = oldFilled
                while i < filled {
                    // Safe: memchr reads only within b[i..<filled].
                    guard let hit = memchr(b.baseAddress! + i, 0x0A, filled - i) else { break }
                    let nl = UnsafeRawPointer(b.baseAddress!).distance(to: UnsafeRawPointer(hit))
                    if try !body(UnsafeBufferPointer(rebasing: b[lineStart..<nl]), base + Int64(lineStart)) {
                        stop = true
                        return
                    }
                    lineStart = nl + 1
                    i = nl + 1
                }
            }
            if stop { return false }
            // Keep the unfinished line at the front of the buffer.
            if lineStart > 0 {
                buf.withUnsafeMutableBytes { b in
                    _ = memmove(b.baseAddress!, b.baseAddress! + lineStart, filled - lineStart)
                }
                filled -= lineStart
                base += Int64(lineStart)
            }
        }
    }

    /// Appends a transaction's entries to the journal; the records written are read from
    /// there from now on.
    func append(_ entries: [JournalEntry]) throws {
        var bytes: [UInt8] = []
        var placed: [(slot: Int32, offset: Int, length: Int)] = []
        for e in entries {
            switch e {
            case .put(let r, let slot):
                bytes += Self.putPrefix
                let record = r.record
                placed.append((slot, bytes.count, record.count))
                bytes += record
                bytes.append(UInt8(ascii: "}"))
            case .delete(let key):
                bytes += JSON.serialize(.map(["op": "del", "key": .string(key)]))
            case .counter(let name, let value):
                bytes += JSON.serialize(.map(["op": "counter", "name": .string(name), "value": .int(value)]))
            }
            bytes.append(0x0A)
        }
        try AtomicFile.append(bytes, to: journalPath)
        if journalFD < 0 {
            journalFD = open(journalPath, O_RDONLY | O_CLOEXEC)
            var st = stat()
            if journalFD >= 0 && fstat(journalFD, &st) == 0 { journalInode = UInt64(st.st_ino) }
        }
        let base = journalOffset
        journalOffset += bytes.count
        for p in placed { index.journaled(p.slot, offset: Int64(base + p.offset), length: p.length) }
    }
}

/// Writes a file through a 1 MB buffer, keeping the offset written so far.
struct BufferedWriter {
    let fd: Int32
    private var buffer: [UInt8] = []
    private(set) var position: Int64 = 0
    private var failed = false

    init(fd: Int32) {
        self.fd = fd
        buffer.reserveCapacity(1 << 20)
    }

    mutating func write(_ bytes: [UInt8]) {
        buffer += bytes
        position += Int64(bytes.count)
        if buffer.count >= 1 << 20 { flush() }
    }

    private mutating func flush() {
        if !failed && !AtomicFile.writeAll(fd, buffer) { failed = true }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes what is buffered and closes; false when any write failed.
    @discardableResult
    mutating func close() -> Bool {
        flush()
        Glibc.close(fd)
        return !failed
    }
}
