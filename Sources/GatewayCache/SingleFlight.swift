import Synchronization

/// Request coalescing: concurrent misses on one key make exactly one upstream request.
///
/// The first ``join(_:)`` for a key becomes the leader and gets a ``Ticket``; later joins wait
/// until the leader calls ``complete(_:with:)`` and then all get the same ``Outcome``.
///
/// - A follower whose task is cancelled (client gone) returns ``Role/cancelled`` at once; the
///   leader and other followers are unaffected.
/// - A leader that never completes (cancelled, threw, forgot) releases its followers with
///   ``Outcome/goUpstream`` when its ``Ticket`` is deinitialised or ``abandon(_:)``ed, so
///   nobody waits forever.
/// - Once completed, the key is free again: the next join leads a new flight. A join that lost
///   the race with a completion also leads, so a new leader should re-check the cache first.
/// - Key by target + profile (+ the values of headers upstream is known to vary on); a leader
///   whose stored response varies on a header its followers may differ in should complete with
///   ``Outcome/goUpstream`` rather than share.
public final class SingleFlight<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// What the leader tells its followers.
    public enum Outcome: Sendable {
        /// The leader's answer; use it (e.g. the ``CachedResponse`` just stored).
        case shared(Value)
        /// The answer can't be shared (uncacheable, `Vary` mismatch, leader gone): go upstream yourself.
        case goUpstream
        /// Upstream failed; answer with this error.
        case failed(String)
    }

    /// The caller's part in a flight.
    public enum Role: Sendable {
        /// Do the upstream request, then ``SingleFlight/complete(_:with:)`` the ticket.
        case leader(Ticket)
        /// The leader's outcome.
        case follower(Outcome)
        /// This follower's task was cancelled while waiting.
        case cancelled
    }

    /// Leadership of one flight. Dropping the last reference without completing abandons the
    /// flight (followers get ``Outcome/goUpstream``).
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
        var waiters: [UInt64: CheckedContinuation<Role, Never>] = [:]
    }

    private struct State {
        var flights: [Key: Flight] = [:]
        var nextID: UInt64 = 0
    }

    private enum JoinDecision {
        case lead(flightID: UInt64)
        case follow(waiterID: UInt64)
    }

    private let state = Mutex(State())

    /// Creates an empty coalescer.
    public init() {}

    // MARK: - Joining

    /// Leads a new flight for `key` or waits for the running one.
    public func join(_ key: Key) async -> Role {
        // Fast path: become leader without suspending.
        let decision: JoinDecision = self.state.withLock { state in
            state.nextID &+= 1
            guard state.flights[key] != nil else {
                state.flights[key] = Flight(id: state.nextID)
                return .lead(flightID: state.nextID)
            }
            return .follow(waiterID: state.nextID)
        }
        switch decision {
        case .lead(let flightID):
            return .leader(Ticket(key: key, flightID: flightID, owner: self))
        case .follow(let waiterID):
            return await self.wait(for: key, waiterID: waiterID)
        }
    }

    /// Suspends as a follower. The lock makes registration and cancellation mutually exclusive:
    /// whichever runs second sees the other's effect, so the continuation resumes exactly once.
    private func wait(for key: Key, waiterID: UInt64) async -> Role {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Role, Never>) in
                let immediate: Role? = self.state.withLock { state in
                    if Task.isCancelled { return .cancelled }
                    // The leader may have finished between `join` and here: start over as leader.
                    guard state.flights[key] != nil else {
                        state.nextID &+= 1
                        state.flights[key] = Flight(id: state.nextID)
                        return .leader(Ticket(key: key, flightID: state.nextID, owner: self))
                    }
                    state.flights[key]!.waiters[waiterID] = continuation
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let continuation = self.state.withLock { state in
                state.flights[key]?.waiters.removeValue(forKey: waiterID)
            }
            continuation?.resume(returning: .cancelled)
        }
    }

    // MARK: - Finishing

    /// Ends the flight of `ticket`, handing `outcome` to every follower. Later calls are no-ops.
    public func complete(_ ticket: Ticket, with outcome: Outcome) {
        self.finish(key: ticket.key, flightID: ticket.flightID, with: .follower(outcome))
    }

    /// Ends the flight of `ticket` without an answer: followers go upstream themselves.
    public func abandon(_ ticket: Ticket) {
        self.finish(key: ticket.key, flightID: ticket.flightID, with: .goUpstream)
    }

    /// Number of keys with a flight in progress.
    public var inFlightCount: Int { self.state.withLock { $0.flights.count } }

    /// Number of followers waiting on `key`.
    public func waiterCount(_ key: Key) -> Int { self.state.withLock { $0.flights[key]?.waiters.count ?? 0 } }

    private func finish(key: Key, flightID: UInt64, with outcome: Outcome) {
        self.finish(key: key, flightID: flightID, with: .follower(outcome))
    }

    private func finish(key: Key, flightID: UInt64, with role: Role) {
        let waiters: [CheckedContinuation<Role, Never>] = self.state.withLock { state in
            guard let flight = state.flights[key], flight.id == flightID else { return [] }
            state.flights.removeValue(forKey: key)
            return Array(flight.waiters.values)
        }
        // Resume outside the lock: resumed tasks may immediately join again.
        for waiter in waiters { waiter.resume(returning: role) }
    }
}
