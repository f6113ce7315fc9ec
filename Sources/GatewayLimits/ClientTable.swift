// MARK: - ClientTable

/// Bounded map from client identity to its GCRA cell.
///
/// Memory bound: at most `capacity` identities. Eviction is lossless only:
/// an entry is dropped only when idle (`tat <= now`, equivalent to a fresh
/// entry). Entries sit in a FIFO ring checked "clock"-style: the head is
/// dropped if idle, otherwise rotated to the back. Each operation inspects a
/// small constant number of heads, so cost is O(1) amortised and idle entries
/// expire over time without a background sweep.
///
/// When the table is full and no idle entry is found within the scan budget,
/// the new identity is charged to one shared *overflow* cell instead of
/// evicting an active client.
///
/// Tradeoff: evicting active entries would reset their budgets (a flood of new
/// names would keep handing the flooder's old names, or anyone's, a fresh
/// burst). Sharing an overflow cell never resets anyone and throttles a name
/// flood as if it were one client; the cost is that a genuinely new client
/// arriving while the table is saturated with *active* entries shares that
/// cell with the flooder until entries go idle (≤ burst × interval after their
/// last request). Established clients are never affected, and the global
/// upstream budget bounds the total either way.
struct ClientTable: Sendable {
    /// Where a client's state lives.
    enum Slot: Sendable, Hashable {
        case entry(String)
        case overflow
    }

    let capacity: Int
    private(set) var cells: [String: GCRACell] = [:]
    var overflow = GCRACell()
    // FIFO ring of the keys in `cells` (each exactly once); `head` indexes the
    // oldest. Compacted when the consumed prefix dominates.
    private var ring: [String] = []
    private var head = 0

    /// How many heads one lookup may inspect while looking for an idle entry.
    private static let scanBudget = 8

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        cells.reserveCapacity(min(self.capacity, 1 << 16))
    }

    var count: Int { cells.count }

    /// Cell for `client`, or where a new client would go. May drop idle
    /// entries (lossless) but never inserts; call ``store`` to commit.
    mutating func lookup(_ client: String, now: Int64) -> (Slot, GCRACell) {
        // Opportunistic expiry keeps the table small even when not full.
        expireHeads(now: now, budget: 2, protecting: client)
        if let cell = cells[client] { return (.entry(client), cell) }
        if cells.count >= capacity {
            expireHeads(now: now, budget: Self.scanBudget, protecting: client, stopWhenRoom: true)
        }
        return cells.count < capacity ? (.entry(client), GCRACell()) : (.overflow, overflow)
    }

    /// Commits a cell obtained from ``lookup``.
    mutating func store(_ cell: GCRACell, in slot: Slot) {
        switch slot {
        case .overflow:
            overflow = cell
        case .entry(let client):
            if cells.updateValue(cell, forKey: client) == nil {
                ring.append(client)
            }
        }
    }

    /// Current cell of a slot, for cancellation (nil if the entry is gone).
    func cell(in slot: Slot) -> GCRACell? {
        switch slot {
        case .overflow: return overflow
        case .entry(let client): return cells[client]
        }
    }

    /// Drops every idle entry: O(n); for an optional periodic maintenance task.
    mutating func expireAll(now: Int64) -> Int {
        let before = cells.count
        ring.removeFirst(head)
        head = 0
        ring.removeAll { key in
            guard let cell = cells[key], cell.tat > now else {
                cells[key] = nil
                return true
            }
            return false
        }
        return before - cells.count
    }

    private mutating func expireHeads(now: Int64, budget: Int, protecting client: String,
                                      stopWhenRoom: Bool = false) {
        var checked = 0
        while checked < budget, head < ring.count {
            if stopWhenRoom, cells.count < capacity { break }
            checked += 1
            let key = ring[head]
            head += 1
            if let cell = cells[key], cell.tat > now || key == client {
                ring.append(key) // still active (or about to be used): second chance
            } else {
                cells[key] = nil
            }
        }
        if head > 1024, head * 2 > ring.count {
            ring.removeFirst(head)
            head = 0
        }
    }
}
