import Synchronization

/// Request coalescing: concurrent misses on one key make exactly one upstream request.
///
/// The first ``join(_:onOutcome:)`` for a key becomes the leader and gets a ``Ticket``; later joins register a
/// callback and get ``Role/follower(_:)``. When the leader calls ``complete(_:with:)``, every follower's callback
/// runs once with the same ``Outcome``, on the completing thread and outside the lock (a server hops back to the
/// follower's own event loop there).
///
/// - A follower that goes away (client gone) calls ``leave(_:)``; its callback then never runs.
/// - A leader that never completes releases its followers with ``Outcome/goUpstream`` when its ``Ticket`` is
///   deinitialised or ``abandon(_:)``ed, so nobody waits forever.
/// - Once completed, the key is free again: the next join leads a new flight, and should re-check the cache first
///   (the answer may have been stored meanwhile).
/// - Key by target + profile; a leader whose answer varies on a header its followers may differ in should complete
///   with ``Outcome/goUpstream`` rather than share.
public final class SingleFlight<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// What the leader tells its followers.
    public enum Outcome: Sendable {
        /// The leader's answer; use it.
        case shared(Value)
        /// The answer can't be shared (uncacheable, `Vary`, leader gone): go upstream yourself.
        case goUpstream
        /// Upstream failed; answer with this error.
        case failed(Value)
    }

    /// The caller's part in a flight.
    public enum Role: Sendable {
        /// Do the upstream request, then ``SingleFlight/complete(_:with:)`` the ticket.
        case leader(Ticket)
        /// Wait for the callback; ``SingleFlight/leave(_:)`` the waiter if the caller goes away.
        case follower(Waiter)
    }

    /// A registered follower.
    public struct Waiter: Sendable, Hashable {
        let key: Key
        let id: UInt64
    }

    /// Leadership of one flight. Dropping the last reference without completing abandons the flight.
    public final class Ticket: Sendable {
        /// The key being fetched.
        public let key: Key
        let flightID: UInt64
        private let owner: SingleFlight

        init(key: Key, flightID: UInt64, owner: SingleFlight) {
            self.key = key
            self.flightID = flightID
            self.owner = owner
        }

        deinit {
            // No-op if completed: the flight id is gone by then.
            self.owner.finish(key: self.key, flightID: self.flightID, with: .goUpstream)
        }
    }

    private struct Flight {
        let id: UInt64
        var waiters: [UInt64: @Sendable (Outcome) -> Void] = [:]
    }

    private struct State {
        var flights: [Key: Flight] = [:]
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Creates an empty coalescer.
    public init() {}

    // MARK: - Joining

    /// Leads a new flight for `key`, or follows the running one: `onOutcome` then runs once, when it completes.
    public func join(_ key: Key, onOutcome: @escaping @Sendable (Outcome) -> Void) -> Role {
        let (id, leads) = state.withLock { state -> (UInt64, Bool) in
            state.nextID &+= 1
            if state.flights[key] == nil {
                state.flights[key] = Flight(id: state.nextID)
                return (state.nextID, true)
            }
            state.flights[key]!.waiters[state.nextID] = onOutcome
            return (state.nextID, false)
        }
        return leads ? .leader(Ticket(key: key, flightID: id, owner: self)) : .follower(Waiter(key: key, id: id))
    }

    /// A follower goes away: its callback will not run. Returns false when the flight already completed (the
    /// callback ran or is running).
    @discardableResult
    public func leave(_ waiter: Waiter) -> Bool {
        state.withLock { $0.flights[waiter.key]?.waiters.removeValue(forKey: waiter.id) != nil }
    }

    // MARK: - Finishing

    /// Ends the flight of `ticket`, handing `outcome` to every follower. Later calls are no-ops.
    public func complete(_ ticket: Ticket, with outcome: Outcome) {
        finish(key: ticket.key, flightID: ticket.flightID, with: outcome)
    }

    /// Ends the flight of `ticket` without an answer: followers go upstream themselves.
    public func abandon(_ ticket: Ticket) {
        finish(key: ticket.key, flightID: ticket.flightID, with: .goUpstream)
    }

    /// Number of keys with a flight in progress.
    public var inFlightCount: Int { state.withLock { $0.flights.count } }

    /// Number of followers waiting on `key`.
    public func waiterCount(_ key: Key) -> Int { state.withLock { $0.flights[key]?.waiters.count ?? 0 } }

    private func finish(key: Key, flightID: UInt64, with outcome: Outcome) {
        let waiters = state.withLock { state -> [@Sendable (Outcome) -> Void] in
            guard let flight = state.flights[key], flight.id == flightID else { return [] }
            state.flights.removeValue(forKey: key)
            return Array(flight.waiters.values)
        }
        // Outside the lock: a callback may join again at once.
        for waiter in waiters { waiter(outcome) }
    }
}
