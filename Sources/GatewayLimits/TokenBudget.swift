// MARK: - TokenBudget

/// The own budget of one client token, passed with each admission of that token's requests.
///
/// Unlike the upstream, class and client budgets it is not part of the limiter's configuration: tokens come from
/// the vault and change on reload, and each carries its own rate. The limiter keeps one GCRA cell per token name.
public struct TokenBudget: Sendable, Hashable {
    /// The token's name (its cell in the limiter).
    public let token: String
    /// Its rate and burst.
    public let budget: RateBudget

    /// Creates a token budget.
    public init(token: String, budget: RateBudget) {
        self.token = token
        self.budget = budget
    }

    /// This instance's share when `instances` pingates share the budget but cannot reach their shared store.
    public func dividedAmong(_ instances: Int) -> TokenBudget {
        // A share of a positive rate is positive and its burst at least 1: dividing cannot fail.
        TokenBudget(token: token, budget: (try? budget.dividedAmong(instances)) ?? budget)
    }
}
