import Synchronization

/// The dashboard's recent past, in fixed-size rings: per second for the last five minutes (requests answered from
/// the cache, forwarded, refused), per second for the last minute (upstream latency buckets, 429s by budget,
/// requests and 429s by client), and the last 100 requests.
///
/// Fed by ``GatewayState/record(_:)``, the one place every request is accounted for. Recording is O(1) under one
/// briefly held lock: a ring slot is cleared when a new second reuses it, and nothing is allocated except the first
/// time a client identity or budget name is seen (both bounded). Totals since start are the metrics' business (one
/// set of counters, so the page and Prometheus agree); the window keeps only what they cannot answer: the last
/// minutes, the last requests, and requests per client.
///
/// pingate's own endpoints are left out: a dashboard polling every second would otherwise fill the window with its
/// own requests.
final class TrafficWindow: Sendable {
    /// Points in the series (five minutes, one per second).
    static let seriesSeconds = 300
    /// Seconds the "last minute" figures cover.
    static let minuteSeconds = 60
    /// Requests kept in the recent list.
    static let recentCapacity = 100
    /// Client identities counted on their own; later ones are counted under ``otherName`` (as the metrics' client
    /// labels are).
    static let maxClients = GatewayMetrics.maxClientLabels
    /// Budget names counted on their own (the last slot counts any further ones under ``otherName``).
    static let maxBudgets = 16
    /// The name a folded client or budget is shown under.
    static let otherName = "other"

    /// One finished request, for the recent list.
    struct RecentRequest: Sendable {
        /// Unix time the answer ended.
        let time: Double
        let client: String
        let method: String
        /// Path and query as sent (redacted when shown).
        let target: String
        let status: Int
        /// The `Cache-Status` value sent, if any.
        let cacheStatus: String?
        let duration: Duration
    }

    /// Requests of one client identity.
    struct ClientCounts: Sendable {
        let client: String
        /// Since start (or since its first request).
        let requests: Int
        let requestsLastMinute: Int
        let rejectedLastMinute: Int
    }

    /// What the window holds at one instant.
    struct Snapshot: Sendable {
        /// Requests answered from the cache, per second, oldest first, ending with the last complete second.
        var hits: [Int] = []
        /// Requests that went upstream (or shared another request's upstream answer), per second.
        var forwarded: [Int] = []
        /// Requests pingate refused itself (429, breaker open, bad requests…), per second.
        var refused: [Int] = []
        /// Seconds the minute figures cover (less than a minute right after start).
        var minuteSpan = 1
        /// Requests in the last minute (pingate's own endpoints excluded).
        var requestsLastMinute = 0
        /// Requests that reached the upstream in the last minute, and in the last complete second.
        var upstreamLastMinute = 0
        var upstreamLastSecond = 0
        /// Cache hits and lookups that were not hits, in the last minute.
        var cacheHitsLastMinute = 0
        var cacheMissesLastMinute = 0
        /// Upstream latency buckets (``LatencyBuckets``) over the last minute.
        var latency: [UInt32] = []
        /// 429s in the last minute by budget name.
        var rejectedLastMinute: [String: Int] = [:]
        /// Every client counted, in the order first seen (``otherName`` last, when anything was folded into it).
        var clients: [ClientCounts] = []
        /// The last requests, newest first.
        var recent: [RecentRequest] = []
    }

    private struct SecondCounts {
        var second: Int64 = .min
        var hits: UInt32 = 0
        var forwarded: UInt32 = 0
        var refused: UInt32 = 0
        var requests: UInt32 = 0
        var upstream: UInt32 = 0
        var cacheMisses: UInt32 = 0
    }

    private struct State {
        var series = [SecondCounts](repeating: SecondCounts(), count: TrafficWindow.seriesSeconds)
        /// The second each slot of the minute rings below holds.
        var minuteStamps = [Int64](repeating: .min, count: TrafficWindow.minuteSeconds)
        /// Per minute slot: ``LatencyBuckets/count`` counts.
        var latency = [UInt32](repeating: 0, count: TrafficWindow.minuteSeconds * LatencyBuckets.count)
        /// Per minute slot: one count per budget slot.
        var rejections = [UInt32](repeating: 0, count: TrafficWindow.minuteSeconds * TrafficWindow.maxBudgets)
        /// Per minute slot: one count per client slot (``TrafficWindow/maxClients`` named ones, then `other`).
        var clientRequests = [UInt32](repeating: 0, count: TrafficWindow.minuteSeconds * (TrafficWindow.maxClients + 1))
        var clientRejections = [UInt32](repeating: 0, count: TrafficWindow.minuteSeconds * (TrafficWindow.maxClients + 1))
        var clientTotals = [Int](repeating: 0, count: TrafficWindow.maxClients + 1)
        var clientSlots: [String: Int] = [:]
        var clientNames: [String] = []
        var budgetNames: [String] = []
        var recent = [RecentRequest?](repeating: nil, count: TrafficWindow.recentCapacity)
        var recentNext = 0
        /// The second the last request ended in, and its bounds: most requests end in the same second as the one
        /// before, and comparing two durations is far cheaper than dividing one into seconds.
        var second: (number: Int64, start: Duration, end: Duration) = (.min, .zero, .zero)
        /// The client of the last request and its slot: requests on one connection share one identity string, so
        /// this usually spares hashing it.
        var lastClient: (name: String, slot: Int)?
    }

    private let state = Mutex(State())
    /// The second the window started (for the span of the minute figures right after start).
    private let startSecond: Int64

    /// - Parameter started: monotonic time the gateway started.
    init(started: Duration) {
        self.startSecond = started.components.seconds
    }

    // MARK: - Recording

    /// Counts one finished request (pingate's own endpoints are ignored).
    /// - Parameters:
    ///   - duration: from the request head to the end of the answer.
    ///   - now: monotonic time the answer ended.
    ///   - wallClock: Unix time the answer ended.
    func record(_ record: ExchangeRecord, duration: Duration, now: Duration, wallClock: Double) {
        guard record.route != "admin" else { return }
        // What the lock needs, taken out first: the closure then captures a few values, not the whole record.
        let latencyBucket = record.upstreamDuration.map { upstream in
            LatencyBuckets.index(nanoseconds: upstream.components.seconds &* 1_000_000_000 &+ upstream.components.attoseconds / 1_000_000_000)
        }
        let wentUpstream = record.upstreamSentAt != nil
        let cacheRole = record.cacheRole
        let status = record.status
        let client = record.client
        let rejectingBudget = record.rejectingBudget
        let recent = RecentRequest(
            time: wallClock, client: client, method: record.method, target: record.target, status: status,
            cacheStatus: record.cacheStatus, duration: duration
        )
        state.withLock { state in
            if now < state.second.start || now >= state.second.end {
                let number = now.components.seconds
                state.second = (number, .seconds(number), .seconds(number + 1))
            }
            let second = state.second.number
            let slot = Self.slot(second, TrafficWindow.seriesSeconds)
            if state.series[slot].second != second { state.series[slot] = SecondCounts(second: second) }
            state.series[slot].requests &+= 1
            if wentUpstream { state.series[slot].upstream &+= 1 }
            switch cacheRole {
            case .hit:
                state.series[slot].hits &+= 1
            case .missed(let collapsed):
                state.series[slot].cacheMisses &+= 1
                if wentUpstream || collapsed { state.series[slot].forwarded &+= 1 } else { Self.countRefusal(status, &state.series[slot]) }
            case .none, .bypassed:
                if wentUpstream { state.series[slot].forwarded &+= 1 } else { Self.countRefusal(status, &state.series[slot]) }
            }

            let minute = Self.slot(second, TrafficWindow.minuteSeconds)
            if state.minuteStamps[minute] != second { Self.clear(minute: minute, in: &state, for: second) }
            if let latencyBucket { state.latency[minute * LatencyBuckets.count + latencyBucket] &+= 1 }
            let clientSlot = Self.clientSlot(client, in: &state)
            state.clientTotals[clientSlot] &+= 1
            state.clientRequests[minute * (TrafficWindow.maxClients + 1) + clientSlot] &+= 1
            if let rejectingBudget {
                state.rejections[minute * TrafficWindow.maxBudgets + Self.budgetSlot(rejectingBudget, in: &state)] &+= 1
                state.clientRejections[minute * (TrafficWindow.maxClients + 1) + clientSlot] &+= 1
            }

            state.recent[state.recentNext] = recent
            state.recentNext = (state.recentNext + 1) % TrafficWindow.recentCapacity
        }
    }

    /// A request neither answered from the cache nor sent upstream: refused when pingate answered it with an error
    /// (a client that left while it waited, 499, was not refused).
    private static func countRefusal(_ status: Int, _ counts: inout SecondCounts) {
        if status >= 400 && status != 499 { counts.refused &+= 1 }
    }

    private static func slot(_ second: Int64, _ size: Int) -> Int {
        let size = Int64(size)
        return Int(((second % size) + size) % size)
    }

    private static func clear(minute: Int, in state: inout State, for second: Int64) {
        state.minuteStamps[minute] = second
        for index in minute * LatencyBuckets.count..<(minute + 1) * LatencyBuckets.count { state.latency[index] = 0 }
        for index in minute * maxBudgets..<(minute + 1) * maxBudgets { state.rejections[index] = 0 }
        let clients = maxClients + 1
        for index in minute * clients..<(minute + 1) * clients {
            state.clientRequests[index] = 0
            state.clientRejections[index] = 0
        }
    }

    private static func clientSlot(_ client: String, in state: inout State) -> Int {
        if let last = state.lastClient, last.name == client { return last.slot }
        let slot: Int
        if let known = state.clientSlots[client] {
            slot = known
        } else if state.clientNames.count < maxClients {
            slot = state.clientNames.count
            state.clientNames.append(client)
            state.clientSlots[client] = slot
        } else {
            slot = maxClients
        }
        state.lastClient = (client, slot)
        return slot
    }

    private static func budgetSlot(_ budget: Substring, in state: inout State) -> Int {
        if let slot = state.budgetNames.firstIndex(where: { $0 == budget }) { return slot }
        guard state.budgetNames.count < maxBudgets - 1 else { return maxBudgets - 1 }
        state.budgetNames.append(String(budget))
        return state.budgetNames.count - 1
    }

    // MARK: - Reading

    /// What the window holds at `now` (monotonic): assembled on demand, O(size of the rings).
    func snapshot(now: Duration) -> Snapshot {
        let second = now.components.seconds
        return state.withLock { state in
            var snapshot = Snapshot()
            let count = TrafficWindow.seriesSeconds
            snapshot.hits.reserveCapacity(count)
            snapshot.forwarded.reserveCapacity(count)
            snapshot.refused.reserveCapacity(count)
            for offset in stride(from: Int64(count), to: 0, by: -1) {
                let counts = Self.counts(at: second - offset, in: state)
                snapshot.hits.append(Int(counts.hits))
                snapshot.forwarded.append(Int(counts.forwarded))
                snapshot.refused.append(Int(counts.refused))
            }
            snapshot.upstreamLastSecond = Int(Self.counts(at: second - 1, in: state).upstream)
            snapshot.minuteSpan = Int(max(1, min(Int64(TrafficWindow.minuteSeconds), second - startSecond + 1)))
            for offset in 0..<Int64(TrafficWindow.minuteSeconds) {
                let counts = Self.counts(at: second - offset, in: state)
                snapshot.requestsLastMinute += Int(counts.requests)
                snapshot.upstreamLastMinute += Int(counts.upstream)
                snapshot.cacheHitsLastMinute += Int(counts.hits)
                snapshot.cacheMissesLastMinute += Int(counts.cacheMisses)
            }

            let valid = (0..<TrafficWindow.minuteSeconds).filter { minute in
                let stamp = state.minuteStamps[minute]
                return stamp <= second && stamp > second - Int64(TrafficWindow.minuteSeconds)
            }
            snapshot.latency = [UInt32](repeating: 0, count: LatencyBuckets.count)
            for minute in valid {
                for bucket in 0..<LatencyBuckets.count { snapshot.latency[bucket] &+= state.latency[minute * LatencyBuckets.count + bucket] }
            }
            let budgetSlots = state.budgetNames.indices.map { ($0, state.budgetNames[$0]) } + [(TrafficWindow.maxBudgets - 1, TrafficWindow.otherName)]
            for (slot, name) in budgetSlots {
                let rejected = valid.reduce(0) { $0 + Int(state.rejections[$1 * TrafficWindow.maxBudgets + slot]) }
                if rejected > 0 { snapshot.rejectedLastMinute[name, default: 0] += rejected }
            }
            let clients = TrafficWindow.maxClients + 1
            let clientSlots = state.clientNames.indices.map { ($0, state.clientNames[$0]) } + [(TrafficWindow.maxClients, TrafficWindow.otherName)]
            for (slot, name) in clientSlots where state.clientTotals[slot] > 0 {
                snapshot.clients.append(ClientCounts(
                    client: name, requests: state.clientTotals[slot],
                    requestsLastMinute: valid.reduce(0) { $0 + Int(state.clientRequests[$1 * clients + slot]) },
                    rejectedLastMinute: valid.reduce(0) { $0 + Int(state.clientRejections[$1 * clients + slot]) }
                ))
            }
            for step in 1...TrafficWindow.recentCapacity {
                let index = (state.recentNext - step + TrafficWindow.recentCapacity) % TrafficWindow.recentCapacity
                guard let request = state.recent[index] else { break }
                snapshot.recent.append(request)
            }
            return snapshot
        }
    }

    private static func counts(at second: Int64, in state: State) -> SecondCounts {
        let counts = state.series[slot(second, seriesSeconds)]
        return counts.second == second ? counts : SecondCounts()
    }
}
