/// Where each resource of the simulated cloud is, without holding it: a slot per resource
/// saying which file holds its record (the cloud file or its journal) and at which bytes, or
/// that it is held in memory (a change not journaled yet, or a record only a full parse could
/// find). Slots are found by a 64-bit hash of the key; a lookup confirms the key from the
/// record itself, so two keys with one hash are told apart. At 280,000 resources the index is
/// about 25 bytes a resource, where the resources as values took about 3 KB each.
struct MockCloudIndex {
    enum Place: UInt8 {
        case free = 0
        case file = 1
        case journal = 2
        case memory = 3
    }

    struct Slot {
        var offset: Int64 = 0
        var length: UInt32 = 0
        var type: UInt16 = 0
        var place: Place = .free
        /// The next slot whose key has the same hash (-1: none).
        var next: Int32 = -1
    }

    private(set) var slots: [Slot] = []
    private var free: [Int32] = []
    /// Slots freed in the current transaction: not reused before its journal is written, so a
    /// journal entry's slot still means that entry's resource.
    private var freedInTransaction: [Int32] = []
    /// Key hash -> first slot with that hash.
    private var heads: [UInt64: Int32] = [:]
    /// Resources held in memory, by slot.
    private(set) var memory: [Int32: MockResource] = [:]
    private(set) var typeNames: [String] = []
    private var typeIDs: [String: UInt16] = [:]
    private(set) var count = 0

    func typeID(_ name: String) -> UInt16? { typeIDs[name] }

    mutating func internType(_ name: String) -> UInt16 {
        if let t = typeIDs[name] { return t }
        let t = UInt16(truncatingIfNeeded: typeNames.count)
        typeNames.append(name)
        typeIDs[name] = t
        return t
    }

    /// Candidate slots for a key hash (confirm each against its record).
    func candidates(_ hash: UInt64) -> [Int32] {
        var out: [Int32] = []
        var s = heads[hash] ?? -1
        while s >= 0 {
            out.append(s)
            s = slots[Int(s)].next
        }
        return out
    }

    /// Adds a slot (in no other's place: remove the key's old slot first).
    mutating func add(hash: UInt64, type: String, place: Place, offset: Int64, length: Int, resource: MockResource? = nil) -> Int32 {
        let slot = Slot(offset: offset, length: UInt32(truncatingIfNeeded: length), type: internType(type), place: place, next: heads[hash] ?? -1)
        let s: Int32
        if let f = free.popLast() {
            s = f
            slots[Int(s)] = slot
        } else {
            s = Int32(slots.count)
            slots.append(slot)
        }
        heads[hash] = s
        if place == .memory { memory[s] = resource }
        count += 1
        return s
    }

    /// Removes a slot found under `hash`.
    mutating func remove(hash: UInt64, slot s: Int32) {
        var prev: Int32 = -1
        var cur = heads[hash] ?? -1
        while cur >= 0 && cur != s {
            prev = cur
            cur = slots[Int(cur)].next
        }
        guard cur == s else { return }
        let next = slots[Int(s)].next
        if prev < 0 {
            if next < 0 { heads[hash] = nil } else { heads[hash] = next }
        } else {
            slots[Int(prev)].next = next
        }
        if slots[Int(s)].place == .memory { memory[s] = nil }
        slots[Int(s)] = Slot()
        freedInTransaction.append(s)
        count -= 1
    }

    /// A memory slot's record is now at `offset` in the journal.
    mutating func journaled(_ s: Int32, offset: Int64, length: Int) {
        guard slots[Int(s)].place == .memory else { return }
        memory[s] = nil
        slots[Int(s)].place = .journal
        slots[Int(s)].offset = offset
        slots[Int(s)].length = UInt32(truncatingIfNeeded: length)
    }

    /// A slot's record was copied into a new cloud file at `offset`.
    mutating func moved(_ s: Int32, toFileOffset offset: Int64, length: Int) {
        memory[s] = nil
        slots[Int(s)].place = .file
        slots[Int(s)].offset = offset
        slots[Int(s)].length = UInt32(truncatingIfNeeded: length)
    }

    /// The end of a transaction: its freed slots may be reused.
    mutating func endTransaction() {
        free += freedInTransaction
        freedInTransaction = []
    }

    /// Every live slot.
    var live: [Int32] { slots.indices.compactMap { slots[$0].place == .free ? nil : Int32($0) } }

    /// Live slots of one type.
    func live(ofType type: String) -> [Int32] {
        guard let t = typeIDs[type] else { return [] }
        return slots.indices.compactMap { slots[$0].place != .free && slots[$0].type == t ? Int32($0) : nil }
    }

    /// FNV-1a, 64 bits, over a key's bytes (`TYPE|ID`).
    static func hash(_ key: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    /// The same hash over a type's and an id's bytes (as `TYPE|ID`).
    static func hash(type: UnsafeBufferPointer<UInt8>, id: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in type { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        h = (h ^ UInt64(UInt8(ascii: "|"))) &* 0x100_0000_01b3
        for b in id { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    /// The type and id at the start of a record written as `MockResource.record` writes it
    /// (`{"type":"...","id":"...",`), as ranges of `b`; nil when it starts otherwise or a
    /// string holds an escape (the record is then parsed).
    static func quickKey(_ b: UnsafeBufferPointer<UInt8>) -> (type: Range<Int>, id: Range<Int>)? {
        let typePrefix: StaticString = "{\"type\":\""
        let idPrefix: StaticString = ",\"id\":\""
        func match(_ p: StaticString, at i: Int) -> Bool {
            let n = p.utf8CodeUnitCount
            guard i + n <= b.count else { return false }
            for k in 0..<n where b[i + k] != p.utf8Start[k] { return false }
            return true
        }
        func string(from i: Int) -> Int? {
            var j = i
            while j < b.count {
                let c = b[j]
                if c == UInt8(ascii: "\"") { return j }
                if c == UInt8(ascii: "\\") || c < 0x20 { return nil }
                j += 1
            }
            return nil
        }
        guard match(typePrefix, at: 0) else { return nil }
        let t0 = typePrefix.utf8CodeUnitCount
        guard let t1 = string(from: t0), match(idPrefix, at: t1 + 1) else { return nil }
        let i0 = t1 + 1 + idPrefix.utf8CodeUnitCount
        guard let i1 = string(from: i0) else { return nil }
        return (t0..<t1, i0..<i1)
    }
}

/// Resources by a derived key (a constraint key, a referenced id, an address), each key
/// stored as its hash: a chain of entries per hash, confirmed against the resources found.
struct MockMultiIndex {
    private struct Entry {
        var slot: Int32
        var next: Int32
    }
    private var heads: [UInt64: Int32] = [:]
    private var entries: [Entry] = []
    private var free: [Int32] = []

    mutating func add(_ key: String, _ slot: Int32) {
        let h = MockCloudIndex.hash(key)
        let e = Entry(slot: slot, next: heads[h] ?? -1)
        let i: Int32
        if let f = free.popLast() {
            i = f
            entries[Int(i)] = e
        } else {
            i = Int32(entries.count)
            entries.append(e)
        }
        heads[h] = i
    }

    mutating func remove(_ key: String, _ slot: Int32) {
        let h = MockCloudIndex.hash(key)
        var prev: Int32 = -1
        var cur = heads[h] ?? -1
        while cur >= 0 && entries[Int(cur)].slot != slot {
            prev = cur
            cur = entries[Int(cur)].next
        }
        guard cur >= 0 else { return }
        let next = entries[Int(cur)].next
        if prev < 0 {
            if next < 0 { heads[h] = nil } else { heads[h] = next }
        } else {
            entries[Int(prev)].next = next
        }
        free.append(cur)
    }

    /// Slots filed under the key's hash, newest first (confirm each).
    func slots(_ key: String) -> [Int32] {
        var out: [Int32] = []
        var cur = heads[MockCloudIndex.hash(key)] ?? -1
        while cur >= 0 {
            out.append(entries[Int(cur)].slot)
            cur = entries[Int(cur)].next
        }
        return out
    }
}

/// The lookups only changes need (constraint holders, referrers, resources by address),
/// built from every record the first time one is asked for: a plan that only reads never
/// builds them.
struct MockSecondaryIndexes {
    var unique = MockMultiIndex()
    var referencedBy = MockMultiIndex()
    var byAddress = MockMultiIndex()

    mutating func add(_ r: MockResource, _ s: Int32) {
        for u in MockRules.uniqueKeys(r) { unique.add(u, s) }
        for ref in Set(MockRules.references(r)) { referencedBy.add(ref, s) }
        if let a = r.tags["landlord:address"] { byAddress.add(a, s) }
    }

    mutating func remove(_ r: MockResource, _ s: Int32) {
        for u in MockRules.uniqueKeys(r) { unique.remove(u, s) }
        for ref in Set(MockRules.references(r)) { referencedBy.remove(ref, s) }
        if let a = r.tags["landlord:address"] { byAddress.remove(a, s) }
    }
}
