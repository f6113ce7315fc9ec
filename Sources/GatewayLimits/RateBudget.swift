// MARK: - RateBudget

/// A GCRA budget: a sustained `rate` (requests per second) plus a `burst`.
///
/// GCRA (generic cell rate algorithm) is a token bucket expressed as a single
/// timestamp ("theoretical arrival time"), so each budget costs one Int64 of
/// state. Internally the rate becomes an integer emission interval
/// `T = round(1e9 / rate)` nanoseconds and a burst tolerance `τ = (burst-1)·T`.
public struct RateBudget: Sendable, Hashable, CustomStringConvertible {
    /// Sustained rate in requests per second (may be fractional, e.g. 0.5).
    public let rate: Double
    /// How many requests may be sent back-to-back from a fully rested budget.
    public let burst: Int
    /// Nanoseconds between two requests at the sustained rate (≥ 1).
    public let emissionIntervalNanos: Int64
    /// Burst tolerance τ = (burst − 1) × emission interval, in nanoseconds.
    public let toleranceNanos: Int64

    /// Creates a budget. Invalid values are programmer errors here; use
    /// ``init(parsing:burst:)`` or ``validated(rate:burst:)`` for config input.
    ///
    /// - Precondition: `rate` is finite, > 0 and ≤ 1e9; `burst` ≥ 1 and small
    ///   enough that the burst window fits in Int64 nanoseconds.
    public init(rate: Double, burst: Int) {
        do {
            self = try Self.validated(rate: rate, burst: burst)
        } catch {
            preconditionFailure("RateBudget: \(error)")
        }
    }

    private init(rate: Double, burst: Int, interval: Int64, tolerance: Int64) {
        self.rate = rate
        self.burst = burst
        self.emissionIntervalNanos = interval
        self.toleranceNanos = tolerance
    }

    /// Validating factory for values coming from configuration.
    public static func validated(rate: Double, burst: Int) throws(RateBudgetError) -> RateBudget {
        guard rate.isFinite, rate > 0, rate <= 1e9 else {
            throw .rateOutOfRange("\(rate)")
        }
        guard burst >= 1 else { throw .invalidBurst(burst) }
        // Round to the nearest nanosecond: for 3/s that is 333_333_333 ns, an
        // error of 1e-9 relative, i.e. one extra request per ~31 years.
        let interval = max(1, Int64((1e9 / rate).rounded()))
        let (tolerance, overflow) = interval.multipliedReportingOverflow(by: Int64(burst - 1))
        // Keep headroom so that `tat + τ + T` arithmetic stays far from overflow.
        guard !overflow, tolerance < Int64.max / 4 else { throw .invalidBurst(burst) }
        return RateBudget(rate: rate, burst: burst, interval: interval, tolerance: tolerance)
    }

    /// Parses a rate string plus a burst, e.g. `RateBudget(parsing: "600/m", burst: 20)`.
    public init(parsing rate: String, burst: Int) throws(RateBudgetError) {
        self = try Self.validated(rate: try Self.parseRate(rate), burst: burst)
    }

    /// Parses a rate string into requests per second.
    ///
    /// Accepted forms: `"<number>"` (per second), `"<number>/<unit>"` with unit
    /// `s`/`sec`/`second`, `m`/`min`/`minute`, `h`/`hr`/`hour` (case-insensitive,
    /// surrounding whitespace ignored). Examples: `"10/s"`, `"600/m"`, `"3600/h"`, `"5"`, `"0.5/s"`.
    public static func parseRate(_ text: String) throws(RateBudgetError) -> Double {
        let trimmed = text.trimmingASCIIWhitespace()
        guard !trimmed.isEmpty else { throw .emptyRate }
        let parts = trimmed.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let numberText = parts[0].trimmingASCIIWhitespace()
        let divisor: Double
        if parts.count == 2 {
            let unit = parts[1].trimmingASCIIWhitespace()
            switch unit.lowercased() {
            case "s", "sec", "second": divisor = 1
            case "m", "min", "minute": divisor = 60
            case "h", "hr", "hour": divisor = 3600
            default: throw .invalidUnit(unit)
            }
        } else {
            divisor = 1
        }
        // Restrict to plain decimals: Double("inf"), "nan", hex floats are not rates.
        guard !numberText.isEmpty,
              numberText.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
              let value = Double(numberText)
        else { throw .invalidNumber(trimmed) }
        let perSecond = value / divisor
        guard perSecond.isFinite, perSecond > 0, perSecond <= 1e9 else {
            throw .rateOutOfRange(trimmed)
        }
        return perSecond
    }

    /// `"<rate>/s burst <burst>"`, for logs.
    public var description: String { "\(rate)/s burst \(burst)" }

    // MARK: - Header mapping

    /// Quota advertised in `RateLimit-Policy` (`q`): the burst.
    public var headerQuota: Int { burst }

    /// Window advertised in `RateLimit-Policy` (`w`): the time to earn a full
    /// burst, i.e. `ceil(burst / rate)` seconds, at least 1.
    public var headerWindowSeconds: Int {
        let (window, overflow) = emissionIntervalNanos.multipliedReportingOverflow(by: Int64(burst))
        return overflow ? Int.max : max(1, Nanos.ceilSeconds(window))
    }
}

// MARK: - Whitespace helper

extension StringProtocol {
    /// Trims spaces and tabs only; config values are ASCII and Foundation is not needed.
    func trimmingASCIIWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
