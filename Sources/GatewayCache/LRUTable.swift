import HTTPTypes

/// Byte-bounded LRU storage with O(1) insert, touch and evict.
///
/// Entries live in an array of slots forming an intrusive doubly linked recency list (indices,
/// not references, so no per-node allocation or ARC traffic); freed slots are recycled through a
/// free list. A dictionary maps each primary key to the first slot of its variant chain (variants
/// linked through `nextVariant`), so a key without `Vary` costs no extra allocation.
/// Not thread-safe: ``ResponseCache`` guards it with a mutex.
struct LRUTable {
    struct Slot {
        var entry: CachedResponse?
        var key: PrimaryKey
        /// Towards the most recently used end.
        var prev: Int32
        /// Towards the least recently used end.
        var next: Int32
        /// Next variant of the same primary key.
        var nextVariant: Int32
        /// Requests answered from this entry since it was stored (saturating).
        var hits: UInt32 = 0
    }

    static let null: Int32 = -1
    private static let emptyKey = PrimaryKey(target: "", profile: "")

    private(set) var slots: [Slot] = []
    private var freeList: [Int32] = []
    private var index: [PrimaryKey: Int32] = [:]
    /// Most recently used.
    private(set) var head: Int32 = LRUTable.null
    /// Least recently used: the next victim.
    private(set) var tail: Int32 = LRUTable.null
    private(set) var bytes = 0
    private(set) var count = 0

    // MARK: - Lookup

    /// The slot of the variant of `key` selected by `requestHeaders`, if any.
    func find(_ key: PrimaryKey, requestHeaders: HTTPFields) -> Int32? {
        guard var slot = self.index[key] else { return nil }
        while slot != Self.null {
            let current = self.slots[Int(slot)]
            if current.entry!.vary.matches(requestHeaders) { return slot }
            slot = current.nextVariant
        }
        return nil
    }

    /// Same as ``find(_:requestHeaders:)`` with header values read through a closure.
    func find(_ key: PrimaryKey, headerValue: (HTTPField.Name) -> String?) -> Int32? {
        guard var slot = self.index[key] else { return nil }
        while slot != Self.null {
            let current = self.slots[Int(slot)]
            if current.entry!.vary.matches(headerValue) { return slot }
            slot = current.nextVariant
        }
        return nil
    }

    func entry(at slot: Int32) -> CachedResponse { self.slots[Int(slot)].entry! }

    /// Number of variants stored for `key`.
    func variantCount(_ key: PrimaryKey) -> Int {
        var count = 0
        var slot = self.index[key] ?? Self.null
        while slot != Self.null {
            count += 1
            slot = self.slots[Int(slot)].nextVariant
        }
        return count
    }

    // MARK: - Mutation

    /// Marks `slot` most recently used.
    mutating func touch(_ slot: Int32) {
        guard slot != self.head else { return }
        self.unlinkRecency(slot)
        self.linkAtHead(slot)
    }

    /// Counts a request answered from `slot` and marks it most recently used.
    mutating func hit(_ slot: Int32) {
        let hits = self.slots[Int(slot)].hits
        if hits < .max { self.slots[Int(slot)].hits = hits + 1 }
        self.touch(slot)
    }

    /// Inserts `entry` as the newest variant of `key`, most recently used. The caller must have
    /// removed any variant it replaces.
    @discardableResult
    mutating func insert(_ entry: CachedResponse, key: PrimaryKey) -> Int32 {
        let firstVariant = self.index[key] ?? Self.null
        let slotValue = Slot(entry: entry, key: key, prev: Self.null, next: Self.null, nextVariant: firstVariant)
        let slot: Int32
        if let free = self.freeList.popLast() {
            slot = free
            self.slots[Int(slot)] = slotValue
        } else {
            slot = Int32(self.slots.count)
            self.slots.append(slotValue)
        }
        self.index[key] = slot
        self.linkAtHead(slot)
        self.bytes += entry.cost
        self.count += 1
        return slot
    }

    /// Removes the entry in `slot` and returns it.
    @discardableResult
    mutating func remove(_ slot: Int32) -> CachedResponse {
        let removed = self.slots[Int(slot)]
        let entry = removed.entry!
        // Unlink from the variant chain (bounded by maxVariantsPerKey).
        if self.index[removed.key] == slot {
            if removed.nextVariant == Self.null {
                self.index.removeValue(forKey: removed.key)
            } else {
                self.index[removed.key] = removed.nextVariant
            }
        } else {
            var previous = self.index[removed.key]!
            while self.slots[Int(previous)].nextVariant != slot { previous = self.slots[Int(previous)].nextVariant }
            self.slots[Int(previous)].nextVariant = removed.nextVariant
        }
        self.unlinkRecency(slot)
        // Drop the references now so freed slots pin no memory.
        self.slots[Int(slot)] = Slot(entry: nil, key: Self.emptyKey, prev: Self.null, next: Self.null, nextVariant: Self.null)
        self.freeList.append(slot)
        self.bytes -= entry.cost
        self.count -= 1
        return entry
    }

    /// Slots of all variants of `key`, newest first.
    func variants(of key: PrimaryKey) -> [Int32] {
        var result: [Int32] = []
        var slot = self.index[key] ?? Self.null
        while slot != Self.null {
            result.append(slot)
            slot = self.slots[Int(slot)].nextVariant
        }
        return result
    }

    /// Removes every entry for which `predicate(key)` holds; returns how many.
    mutating func removeAll(where predicate: (PrimaryKey) -> Bool) -> Int {
        var victims: [Int32] = []
        var slot = self.head
        while slot != Self.null {
            let current = self.slots[Int(slot)]
            if predicate(current.key) { victims.append(slot) }
            slot = current.next
        }
        for victim in victims { self.remove(victim) }
        return victims.count
    }

    /// The `limit` entries answered most often (most first; ties: most recently used first), with their hit counts.
    /// One pass over the recency list, keeping the best `limit` in a small sorted array: O(count × limit).
    func mostHit(limit: Int) -> [(key: PrimaryKey, hits: UInt32)] {
        var best: [(key: PrimaryKey, hits: UInt32)] = []
        guard limit > 0 else { return best }
        best.reserveCapacity(limit + 1)
        var slot = self.head
        while slot != Self.null {
            let current = self.slots[Int(slot)]
            slot = current.next
            guard current.hits > 0, best.count < limit || current.hits > best[best.count - 1].hits else { continue }
            let position = best.firstIndex { $0.hits < current.hits } ?? best.count
            best.insert((current.key, current.hits), at: position)
            if best.count > limit { best.removeLast() }
        }
        return best
    }

    // MARK: - Recency list

    private mutating func linkAtHead(_ slot: Int32) {
        self.slots[Int(slot)].prev = Self.null
        self.slots[Int(slot)].next = self.head
        if self.head != Self.null { self.slots[Int(self.head)].prev = slot }
        self.head = slot
        if self.tail == Self.null { self.tail = slot }
    }

    private mutating func unlinkRecency(_ slot: Int32) {
        let prev = self.slots[Int(slot)].prev
        let next = self.slots[Int(slot)].next
        if prev != Self.null { self.slots[Int(prev)].next = next } else { self.head = next }
        if next != Self.null { self.slots[Int(next)].prev = prev } else { self.tail = prev }
        self.slots[Int(slot)].prev = Self.null
        self.slots[Int(slot)].next = Self.null
    }
}
