import PingateCore
// MARK: - RetryAfter

/// A parsed `Retry-After` header value (RFC 9110 §10.2.3): either a delay in
/// seconds or an HTTP-date.
public enum RetryAfter: Sendable, Hashable {
    /// `Retry-After: 120`.
    case seconds(Int64)
    /// `Retry-After: Fri, 31 Dec 1999 23:59:59 GMT`, as Unix epoch seconds.
    case date(epochSeconds: Int64)

    /// Parses a header value; `nil` when it is neither a non-negative integer
    /// nor an HTTP-date (callers then fall back to exponential backoff).
    ///
    /// - Parameter wallClockSeconds: current Unix time, only used to resolve
    ///   two-digit RFC 850 years.
    public init?(headerValue: String, wallClockSeconds: Double? = nil) {
        let value = headerValue.trimmingASCIIWhitespace()
        if !value.isEmpty, value.allSatisfy({ $0.isASCII && $0.isNumber }) {
            // Saturate absurdly long digit strings instead of failing: the
            // caller clamps the resulting pause anyway.
            self = .seconds(Int64(value) ?? Int64.max)
        } else if let epoch = HTTPDate.parse(value, wallClockSeconds: wallClockSeconds) {
            self = .date(epochSeconds: epoch)
        } else {
            return nil
        }
    }

    /// Delay from now, never negative (a date in the past means "retry now").
    ///
    /// - Parameter wallClockSeconds: current Unix time (injected, not read here).
    public func delay(wallClockSeconds: Double) -> Duration {
        switch self {
        case .seconds(let s):
            return .nanoseconds(s >= Int64.max / Nanos.perSecond ? Int64.max : s * Nanos.perSecond)
        case .date(let epoch):
            let seconds = Double(epoch) - wallClockSeconds
            guard seconds.isFinite, seconds > 0 else { return .zero }
            guard seconds < 9e9 else { return .nanoseconds(Int64.max) }
            return .nanoseconds(Int64((seconds * 1e9).rounded(.up)))
        }
    }

    /// Whole seconds for an outgoing `Retry-After` header: rounded up and at
    /// least 1, because `Retry-After: 0` invites an immediate, doomed retry.
    public static func headerSeconds(for delay: Duration) -> Int {
        max(1, Nanos.ceilSeconds(delay.nanoseconds))
    }
}
