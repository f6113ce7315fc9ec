// MARK: - RateLimiter.Configuration

extension RateLimiter {
    /// Which budgets apply and how the limiter behaves when they are exhausted.
    ///
    /// A request to the upstream must conform to every configured budget that
    /// applies to it: the global ``upstream`` budget, the budget of its route
    /// class (if one is configured for that class) and the per-client budget.
    /// A class without an entry in ``classBudgets`` is limited by the others only.
    public struct Configuration: Sendable, Hashable {
        /// Global budget shared by all clients and classes (`nil` = unlimited).
        public var upstream: RateBudget?
        /// Budgets per route class, keyed by the names a ``RouteClassifier`` produces.
        public var classBudgets: [String: RateBudget]
        /// Budget applied to each client identity separately (`nil` = none).
        public var client: RateBudget?
        /// How long a request may be queued for a future slot; `.zero` rejects
        /// immediately whenever a budget is exhausted.
        public var maxWait: Duration
        /// Bound on remembered client identities (see ``RateLimiter`` docs).
        public var maxClients: Int
        /// Behaviour after upstream 429/503.
        public var backoff: UpstreamBackoff.Configuration

        /// Everything optional; the defaults limit nothing and never queue.
        public init(
            upstream: RateBudget? = nil,
            classBudgets: [String: RateBudget] = [:],
            client: RateBudget? = nil,
            maxWait: Duration = .zero,
            maxClients: Int = 10_000,
            backoff: UpstreamBackoff.Configuration = .init()
        ) {
            self.upstream = upstream
            self.classBudgets = classBudgets
            self.client = client
            self.maxWait = maxWait
            self.maxClients = maxClients
            self.backoff = backoff
        }

        /// Throws the first problem found; called by ``RateLimiter/init(configuration:random:)``.
        public func validate() throws(LimitConfigurationError) {
            for name in classBudgets.keys.sorted() where BudgetName.reserved.contains(name) {
                throw .reservedClassName(name)
            }
            guard maxClients >= 1 else { throw .invalidMaxClients(maxClients) }
            guard maxWait >= .zero else { throw .negativeMaxWait(maxWait) }
        }
    }
}

// MARK: - Budgets of one request

extension RateLimiter.Configuration {
    /// One budget a request must conform to.
    public struct ApplicableBudget: Sendable, Hashable {
        /// Which budget it is.
        public enum Kind: Sendable, Hashable {
            /// The own budget of the client token the request presented, by token name.
            case token(String)
            /// The per-client budget, for the request's client identity.
            case client
            /// The budget of the request's route class.
            case routeClass(String)
            /// The upstream budget shared by every request.
            case upstream
        }

        public let kind: Kind
        /// The name a rejection and the `RateLimit` fields report (``BudgetName`` or the class name).
        public let name: String
        public let budget: RateBudget

        public init(kind: Kind, name: String, budget: RateBudget) {
            self.kind = kind
            self.name = name
            self.budget = budget
        }
    }

    /// The budgets a request of `routeClass` must conform to, most specific first: the order in which a tie names
    /// the budget that refused (the token's or the client's own before a shared one). A shared store (several
    /// pingates) applies the same list in one step.
    /// - Parameter token: the own budget of the client token the request presented, if it has one.
    public func applicableBudgets(routeClass: String, token: TokenBudget? = nil) -> [ApplicableBudget] {
        var budgets = ownBudgets(token: token)
        if let budget = classBudgets[routeClass] { budgets.append(.init(kind: .routeClass(routeClass), name: routeClass, budget: budget)) }
        if let upstream { budgets.append(.init(kind: .upstream, name: BudgetName.upstream, budget: upstream)) }
        return budgets
    }

    /// The budgets of the caller itself, which a request that never reaches the upstream (a cached hit) spends too:
    /// its client token's, then its client identity's.
    public func ownBudgets(token: TokenBudget? = nil) -> [ApplicableBudget] {
        var budgets: [ApplicableBudget] = []
        if let token { budgets.append(.init(kind: .token(token.token), name: BudgetName.token, budget: token.budget)) }
        if let client { budgets.append(.init(kind: .client, name: BudgetName.client, budget: client)) }
        return budgets
    }

    /// The same budgets for one of `instances` pingates that share them but cannot reach their shared store: each
    /// keeps `rate / instances` and `burst / instances` (at least 1), so together they stay within the budget.
    public func dividedAmong(_ instances: Int) throws(RateBudgetError) -> Self {
        guard instances > 1 else { return self }
        func divide(_ budget: RateBudget) throws(RateBudgetError) -> RateBudget { try budget.dividedAmong(instances) }
        var divided = self
        divided.upstream = try upstream.map(divide)
        divided.client = try client.map(divide)
        var classes: [String: RateBudget] = [:]
        for (name, budget) in classBudgets { classes[name] = try divide(budget) }
        divided.classBudgets = classes
        return divided
    }
}

extension LimitInfo {
    /// The header view of a GCRA budget whose theoretical arrival time is `tat` at `now` (both in nanoseconds on the
    /// same clock), for a budget kept outside this process (a shared store).
    public static func snapshot(name: String, budget: RateBudget, tatNanos: Int64, nowNanos: Int64) -> LimitInfo {
        GCRACell(tat: tatNanos).limitInfo(name: name, now: nowNanos, budget: budget)
    }
}

extension RateBudget {
    /// One of `instances` equal shares: `rate / instances` and `burst / instances` (at least 1).
    public func dividedAmong(_ instances: Int) throws(RateBudgetError) -> RateBudget {
        guard instances > 1 else { return self }
        return try RateBudget.validated(rate: rate / Double(instances), burst: max(1, burst / instances))
    }
}
