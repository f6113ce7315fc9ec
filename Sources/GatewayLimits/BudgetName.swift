// MARK: - BudgetName

/// Names of the built-in budgets as reported in ``Rejection/budget``,
/// ``LimitInfo/budget`` and ``LimitCounters``. Route classes use their own
/// names; these are reserved and cannot be used as class names.
public enum BudgetName {
    /// The global budget shared by every request that reaches the upstream.
    public static let upstream = "upstream"
    /// The per-client-identity budget.
    public static let client = "client"
    /// A client token's own budget (``TokenBudget``).
    public static let token = "token"
    /// The pause imposed by an upstream 429/503.
    public static let upstreamPushback = "upstream-pushback"
    /// Counter key for admissions where no budget was configured at all.
    public static let unlimited = "unlimited"

    /// All reserved names.
    public static let reserved: Set<String> = [upstream, client, token, upstreamPushback, unlimited]
}
