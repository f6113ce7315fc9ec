import Synchronization

// MARK: - RateLimiter

/// The gateway's admission controller: GCRA budgets (global upstream, per
/// route class, per client, per client token), optional queueing for a future
/// slot, and upstream pushback.
///
/// Pure and I/O-free: every time-dependent call takes `now`, a monotonic
/// `Duration` since an arbitrary origin chosen by the caller; nothing here
/// reads a clock or sleeps. All state sits behind one `Mutex`, and each
/// decision is a handful of dictionary operations (O(1) amortised).
///
/// Decision order for ``admit(routeClass:client:now:)``:
/// 1. During an upstream pushback pause, reject (budget "upstream-pushback").
/// 2. Evaluate token, client, class and upstream budgets *without* changing them.
///    The request's slot is the latest instant any of them allows.
/// 3. If the slot is now: commit all and allow. If it is within `maxWait`:
///    commit all (as if sent at the slot) and delay. Otherwise reject, naming
///    the budget with the latest allowed instant, and change nothing — so a
///    rejection by one budget never consumes another.
public final class RateLimiter: Sendable {
    /// The configuration in use (immutable; build a new limiter to change it).
    public let configuration: Configuration
    private let state: Mutex<State>

    /// Creates a limiter.
    ///
    /// - Parameter random: jitter source for exponential backoff; inject a
    ///   seeded generator in tests.
    public init(
        configuration: Configuration,
        random: some RandomNumberGenerator & Sendable = SystemRandomNumberGenerator()
    ) throws(LimitConfigurationError) {
        try configuration.validate()
        self.configuration = configuration
        self.state = Mutex(State(configuration: configuration, rng: random))
    }

    // MARK: - Decisions

    /// Admission for a request that will be forwarded upstream.
    ///
    /// - Parameters:
    ///   - routeClass: from ``RouteClassifier/classify(method:path:)``.
    ///   - client: identity computed by the server, e.g. "uid:1000".
    ///   - token: the own budget of the client token the request presented, if it has one.
    ///   - now: monotonic time.
    ///   - pushbackScope: which upstream pushback applies (see ``upstreamResponded(status:retryAfter:now:wallClockSeconds:pushbackScope:)``).
    public func admit(routeClass: String, client: String, token: TokenBudget? = nil, now: Duration, pushbackScope: String = "") -> Admission {
        let t = now.nanoseconds
        return state.withLock { $0.admit(routeClass: routeClass, client: client, token: token, scope: pushbackScope, now: t) }
    }

    /// Admission for a request that will *not* reach the upstream (cache hit,
    /// admin endpoint): only the per-client budget and the token's own budget
    /// apply, the upstream budgets and pushback are untouched. Never queues: it
    /// is ``Admission/allowed(_:)`` or ``Admission/rejected(_:)``.
    public func admitClientOnly(client: String, token: TokenBudget? = nil, now: Duration) -> Admission {
        let t = now.nanoseconds
        return state.withLock { $0.admitClientOnly(client: client, token: token, now: t) }
    }

    /// Gives a reservation's slot back (the waiting client disconnected).
    ///
    /// Kept deliberately simple: for each budget the reservation consumed,
    /// its state is rolled back only if nothing was admitted on that budget
    /// since (i.e. this was the latest reservation there), and never below
    /// `now`. Cancelling an earlier reservation while later ones wait frees
    /// nothing on that budget: shifting the later ones is not possible without
    /// waking them, and handing out the hole could exceed the budget.
    /// Cancelling twice is harmless.
    public func cancel(_ reservation: Reservation, now: Duration) {
        let t = now.nanoseconds
        state.withLock { $0.cancel(reservation, now: t) }
    }

    /// Reports an upstream response: a 429, or a 503 with `Retry-After`, pauses admissions of `pushbackScope`
    /// (honouring `Retry-After`, else exponential backoff with jitter); 2xx/3xx reset the backoff exponent. See
    /// ``UpstreamBackoff``.
    ///
    /// - Parameters:
    ///   - wallClockSeconds: current Unix time, for HTTP-date values.
    ///   - pushbackScope: the budget the answer applies to: the route's upstream, and its rate class when class
    ///     budgets exist (the caller names it; requests admitted with the same scope pause together).
    public func upstreamResponded(status: Int, retryAfter: String?, now: Duration, wallClockSeconds: Double, pushbackScope: String = "") {
        state.withLock { s in
            var backoff = s.backoffs[pushbackScope] ?? UpstreamBackoff(configuration: s.configuration.backoff)
            if backoff.record(status: status, retryAfter: retryAfter, now: now, wallClockSeconds: wallClockSeconds, using: &s.rng) != nil {
                s.counters.upstreamPushbacks += 1
            }
            if s.backoffs[pushbackScope] != nil || backoff.pausedUntil != nil { s.backoffs[pushbackScope] = backoff }
        }
    }

    /// Pauses admissions of `pushbackScope` for `duration` from `now`, as an upstream pushback does (a reload carries
    /// running pauses over to the limiter that replaces this one).
    public func pause(for duration: Duration, now: Duration, pushbackScope: String = "") {
        state.withLock { s in
            var backoff = s.backoffs[pushbackScope] ?? UpstreamBackoff(configuration: s.configuration.backoff)
            backoff.extendPause(until: now + duration)
            s.backoffs[pushbackScope] = backoff
        }
    }

    // MARK: - Introspection

    /// Remaining upstream pushback pause of `pushbackScope` at `now`, if any.
    public func pushbackRemaining(now: Duration, pushbackScope: String = "") -> Duration? {
        state.withLock { $0.backoffs[pushbackScope]?.remainingPause(now: now) }
    }

    /// Every pause still running at `now`, by scope (a reload carries them over).
    public func pushbackPauses(now: Duration) -> [String: Duration] {
        state.withLock { s in s.backoffs.compactMapValues { $0.remainingPause(now: now) } }
    }

    /// What every budget has left at `now` (``LimitInfo/remaining``), and the budgets of `clients`, without spending
    /// anything. A client the limiter does not remember (never seen, or idle long enough to be forgotten) has its
    /// whole burst.
    public func levels(now: Duration, clients: [String]) -> BudgetLevels {
        let t = now.nanoseconds
        return state.withLock { s in
            var levels = BudgetLevels()
            if let budget = s.configuration.upstream {
                levels.upstream = s.upstream.limitInfo(name: BudgetName.upstream, now: t, budget: budget)
            }
            for (name, budget) in s.configuration.classBudgets {
                levels.classes[name] = (s.classes[name] ?? GCRACell()).limitInfo(name: name, now: t, budget: budget)
            }
            if let budget = s.configuration.client {
                for client in clients {
                    levels.clients[client] = (s.clients.cells[client] ?? GCRACell()).limitInfo(name: BudgetName.client, now: t, budget: budget)
                }
            }
            return levels
        }
    }

    /// A snapshot of the decision counters.
    public var counters: LimitCounters { state.withLock { $0.counters } }

    /// Number of client identities currently remembered (≤ `maxClients`).
    public var clientCount: Int { state.withLock { $0.clients.count } }

    /// Drops all idle client entries now. O(n); optional, since lookups already
    /// expire idle entries a few at a time.
    @discardableResult
    public func expireIdleClients(now: Duration) -> Int {
        let t = now.nanoseconds
        return state.withLock { $0.clients.expireAll(now: t) }
    }
}

// MARK: - Locked state

extension RateLimiter {
    struct State: Sendable {
        private struct Check {
            var key: Reservation.Change.Key
            var name: String
            var budget: RateBudget
            var cell: GCRACell
        }

        let configuration: Configuration
        var upstream = GCRACell()
        var classes: [String: GCRACell] = [:]
        var clients: ClientTable
        /// One cell per client token name (bounded by the tokens the vault holds).
        var tokens: [String: GCRACell] = [:]
        /// Upstream pushback per scope (an upstream, or an upstream and a rate class); made on first pushback.
        var backoffs: [String: UpstreamBackoff] = [:]
        var rng: any RandomNumberGenerator & Sendable
        var counters = LimitCounters()
        var nextReservationID: UInt64 = 1

        init(configuration: Configuration, rng: any RandomNumberGenerator & Sendable) {
            self.configuration = configuration
            self.clients = ClientTable(capacity: configuration.maxClients)
            self.rng = rng
        }

        mutating func admit(routeClass: String, client: String, token: TokenBudget?, scope: String, now t: Int64) -> Admission {
            if let pause = backoffs[scope]?.remainingPauseNanos(now: t) {
                counters.rejectedByBudget[BudgetName.upstreamPushback, default: 0] += 1
                let info = configuration.upstream.map { budget in
                    var info = upstream.limitInfo(name: BudgetName.upstream, now: t, budget: budget)
                    info.remaining = 0
                    info.resetSeconds = max(info.resetSeconds, Nanos.ceilSeconds(pause))
                    return info
                }
                return .rejected(Rejection(retryAfter: .nanoseconds(pause), budget: BudgetName.upstreamPushback,
                                           client: client, limit: info))
            }

            // Most specific first, so ties name the token's or the client's own budget.
            var checks = ownChecks(client: client, token: token, now: t)
            if let budget = configuration.classBudgets[routeClass] {
                checks.append(Check(key: .routeClass(routeClass), name: routeClass, budget: budget,
                                    cell: classes[routeClass] ?? GCRACell()))
            }
            if let budget = configuration.upstream {
                checks.append(Check(key: .upstream, name: BudgetName.upstream, budget: budget, cell: upstream))
            }
            guard !checks.isEmpty else {
                counters.allowed += 1
                counters.admittedByBudget[BudgetName.unlimited, default: 0] += 1
                return .allowed(nil)
            }

            // Phase 1: evaluate only.
            var slot = t
            var binding = 0
            for (i, check) in checks.enumerated() {
                let at = check.cell.allowedAt(now: t, budget: check.budget)
                if at > slot { slot = at; binding = i }
            }
            if slot - t > configuration.maxWait.nanoseconds {
                let check = checks[binding]
                counters.rejectedByBudget[check.name, default: 0] += 1
                return .rejected(Rejection(
                    retryAfter: .nanoseconds(slot - t), budget: check.name, client: client,
                    limit: check.cell.limitInfo(name: check.name, now: t, budget: check.budget)))
            }

            // Phase 2: commit all budgets as if the request is sent at `slot`.
            var changes: [Reservation.Change] = []
            var info: LimitInfo?
            for check in checks {
                var cell = check.cell
                cell.tat = check.cell.tatAfterSending(at: slot, budget: check.budget)
                store(cell, for: check.key)
                changes.append(.init(key: check.key, tatBefore: check.cell.tat, tatAfter: cell.tat))
                counters.admittedByBudget[check.name, default: 0] += 1
                let snapshot = cell.limitInfo(name: check.name, now: t, budget: check.budget)
                info = info.map { LimitInfo.mostRestrictive($0, snapshot) } ?? snapshot
            }
            if slot == t {
                counters.allowed += 1
                return .allowed(info)
            }
            counters.delayed += 1
            let reservation = Reservation(slot: .nanoseconds(slot), id: nextReservationID, changes: changes)
            nextReservationID &+= 1
            return .delayed(until: .nanoseconds(slot), reservation, info)
        }

        mutating func admitClientOnly(client: String, token: TokenBudget?, now t: Int64) -> Admission {
            let checks = ownChecks(client: client, token: token, now: t)
            guard !checks.isEmpty else {
                counters.clientOnlyAllowed += 1
                return .allowed(nil)
            }
            // Evaluate all first: a rejection by one budget consumes none.
            var latest = t
            var binding: Check?
            for check in checks {
                let at = check.cell.allowedAt(now: t, budget: check.budget)
                if at > latest { latest = at; binding = check }
            }
            if let binding {
                counters.rejectedByBudget[binding.name, default: 0] += 1
                return .rejected(Rejection(
                    retryAfter: .nanoseconds(latest - t), budget: binding.name, client: client,
                    limit: binding.cell.limitInfo(name: binding.name, now: t, budget: binding.budget)))
            }
            var info: LimitInfo?
            for check in checks {
                var next = check.cell
                next.tat = check.cell.tatAfterSending(at: t, budget: check.budget)
                store(next, for: check.key)
                let snapshot = next.limitInfo(name: check.name, now: t, budget: check.budget)
                info = info.map { LimitInfo.mostRestrictive($0, snapshot) } ?? snapshot
            }
            counters.clientOnlyAllowed += 1
            return .allowed(info)
        }

        /// The budgets of the caller itself: its client token's, then its client identity's.
        private mutating func ownChecks(client: String, token: TokenBudget?, now t: Int64) -> [Check] {
            var checks: [Check] = []
            checks.reserveCapacity(4)
            if let token {
                checks.append(Check(key: .token(token.token), name: BudgetName.token, budget: token.budget,
                                    cell: tokens[token.token] ?? GCRACell()))
            }
            if let budget = configuration.client {
                let (slot, cell) = clients.lookup(client, now: t)
                checks.append(Check(key: .client(slot), name: BudgetName.client, budget: budget, cell: cell))
            }
            return checks
        }

        mutating func cancel(_ reservation: Reservation, now t: Int64) {
            var freed = false
            for change in reservation.changes where currentTAT(for: change.key) == change.tatAfter {
                store(GCRACell(tat: max(change.tatBefore, t)), for: change.key)
                freed = true
            }
            if freed { counters.cancelled += 1 }
        }

        private func currentTAT(for key: Reservation.Change.Key) -> Int64? {
            switch key {
            case .upstream: return upstream.tat
            case .routeClass(let name): return classes[name]?.tat
            case .client(let slot): return clients.cell(in: slot)?.tat
            case .token(let name): return tokens[name]?.tat
            }
        }

        private mutating func store(_ cell: GCRACell, for key: Reservation.Change.Key) {
            switch key {
            case .upstream: upstream = cell
            case .routeClass(let name): classes[name] = cell
            case .client(let slot): clients.store(cell, in: slot)
            case .token(let name): tokens[name] = cell
            }
        }
    }
}
