// MARK: - RateBudgetError

/// Why a rate budget could not be built from configuration.
///
/// Callers can switch on the case; `description` is a one-line message that
/// names the offending value, suitable for a config-validation error.
public enum RateBudgetError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The rate string was empty (or only whitespace).
    case emptyRate
    /// The numeric part of the rate string is not a finite decimal number.
    case invalidNumber(String)
    /// The unit after `/` is not one of s, m, h (or their long forms).
    case invalidUnit(String)
    /// The rate is ≤ 0 or faster than one request per nanosecond.
    case rateOutOfRange(String)
    /// The burst is < 1, or so large that burst × interval overflows.
    case invalidBurst(Int)

    public var description: String {
        switch self {
        case .emptyRate:
            return "rate is empty; expected e.g. \"10/s\", \"600/m\", \"3600/h\" or \"5\""
        case .invalidNumber(let text):
            return "rate \"\(text)\" does not start with a valid number"
        case .invalidUnit(let unit):
            return "rate unit \"\(unit)\" is not one of s, m, h"
        case .rateOutOfRange(let text):
            return "rate \"\(text)\" must be > 0 and at most 1e9 per second"
        case .invalidBurst(let burst):
            return "burst \(burst) must be between 1 and the largest value whose burst window fits in Int64 nanoseconds"
        }
    }
}
