// MARK: - BudgetLevels

/// What the budgets of a ``RateLimiter`` have left at one instant: a read-only view for dashboards, taken
/// without spending anything.
public struct BudgetLevels: Sendable, Hashable {
    /// The global upstream budget, nil when none is configured.
    public var upstream: LimitInfo?
    /// Each configured route-class budget, by class name.
    public var classes: [String: LimitInfo]
    /// The per-client budget of each client asked about, by identity (empty without a client budget).
    public var clients: [String: LimitInfo]

    /// Memberwise initialiser.
    public init(upstream: LimitInfo? = nil, classes: [String: LimitInfo] = [:], clients: [String: LimitInfo] = [:]) {
        self.upstream = upstream
        self.classes = classes
        self.clients = clients
    }
}
