// MARK: - Rejection

/// Why a request was refused, and when to come back.
public struct Rejection: Sendable, Hashable {
    /// Time until the request would be admitted (for pushback: until the
    /// pause ends). Always > 0.
    public let retryAfter: Duration
    /// The binding budget: ``BudgetName/upstream``, a route-class name,
    /// ``BudgetName/client`` or ``BudgetName/upstreamPushback``.
    public let budget: String
    /// The client identity the decision was made for.
    public let client: String
    /// Header snapshot of the binding budget (`remaining == 0`). `nil` only for
    /// a pushback when no upstream budget is configured to describe.
    public let limit: LimitInfo?

    /// Memberwise initialiser.
    public init(retryAfter: Duration, budget: String, client: String, limit: LimitInfo?) {
        self.retryAfter = retryAfter
        self.budget = budget
        self.client = client
        self.limit = limit
    }

    /// Value for the `Retry-After` header: whole seconds, rounded up, ≥ 1.
    public var retryAfterSeconds: Int { RetryAfter.headerSeconds(for: retryAfter) }
}
