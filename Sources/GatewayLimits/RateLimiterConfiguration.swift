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
