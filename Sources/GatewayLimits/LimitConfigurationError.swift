// MARK: - LimitConfigurationError

/// A ``RateLimiter/Configuration`` that cannot be used.
public enum LimitConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A route class uses a reserved budget name (see ``BudgetName/reserved``).
    case reservedClassName(String)
    /// `maxClients` must be ≥ 1.
    case invalidMaxClients(Int)
    /// `maxWait` must be ≥ 0.
    case negativeMaxWait(Duration)

    public var description: String {
        switch self {
        case .reservedClassName(let name):
            return "route class name \"\(name)\" is reserved; pick another name"
        case .invalidMaxClients(let n):
            return "maxClients \(n) must be at least 1"
        case .negativeMaxWait(let d):
            return "maxWait \(d) must not be negative"
        }
    }
}
