// MARK: - UpstreamBackoff

/// Upstream pushback state of one budget: after the upstream says the account must slow down, admissions to that
/// budget pause until the upstream is expected to accept traffic again.
///
/// What counts as pushback is only what the upstream said about the account: a `429` (with or without
/// `Retry-After`), or a `503` *with* `Retry-After`. A `503` without it, and every other 5xx, is an error of one
/// endpoint, not a rate signal: it pauses nothing (the circuit breaker counts it).
///
/// * With `Retry-After` (delta-seconds or HTTP-date), pause exactly until then.
/// * A `429` without it (or unparsable), backs off exponentially: the n-th consecutive
///   pushback draws a pause from `base × 2^(n-1)`, capped at `cap`, with jitter
///   from an injected random source so that tests are deterministic and many
///   gateways do not resume in lockstep.
/// * A success (2xx/3xx) resets the consecutive-pushback count, but does not end
///   a running pause: that success was typically sent before the pushback.
/// * A later pushback can only extend the pause, never shorten it.
///
/// Pure value type: time and randomness are parameters.
public struct UpstreamBackoff: Sendable, Hashable {
    // MARK: - Configuration

    /// How the exponential delay is randomised.
    public enum Jitter: Sendable, Hashable {
        /// Exactly the exponential delay (useful for tests, bad for fleets).
        case none
        /// Uniform in `[0, d]` ("full jitter"): best spread, may be ~0.
        case full
        /// Uniform in `[d/2, d]` ("equal jitter"): keeps at least half the delay.
        case equal
    }

    /// Backoff parameters.
    public struct Configuration: Sendable, Hashable {
        /// Delay for the first pushback without `Retry-After`.
        public var base: Duration
        /// Upper bound of the exponential delay before jitter.
        public var cap: Duration
        /// Randomisation applied to the exponential delay.
        public var jitter: Jitter
        /// Upper bound on any pause, including one requested via `Retry-After`,
        /// so a broken upstream cannot stall the gateway for days.
        public var maxPause: Duration

        /// Defaults: base 1 s, cap 60 s, equal jitter, max pause 1 h.
        public init(base: Duration = .seconds(1), cap: Duration = .seconds(60),
                    jitter: Jitter = .equal, maxPause: Duration = .seconds(3600)) {
            self.base = base
            self.cap = cap
            self.jitter = jitter
            self.maxPause = maxPause
        }
    }

    // MARK: - State

    /// Parameters in use.
    public let configuration: Configuration
    /// Consecutive 429/503 responses since the last success.
    public private(set) var consecutivePushbacks: Int = 0
    private var pausedUntilNanos: Int64?

    /// A backoff with no pause in effect.
    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
    }

    /// The monotonic instant until which admissions are paused, if any was set.
    /// The pause is over when `now >= pausedUntil`.
    public var pausedUntil: Duration? { pausedUntilNanos.map { .nanoseconds($0) } }

    /// Remaining pause at `now`, or `nil` when not paused. Resumes exactly at
    /// `pausedUntil`.
    public func remainingPause(now: Duration) -> Duration? {
        remainingPauseNanos(now: now.nanoseconds).map { .nanoseconds($0) }
    }

    func remainingPauseNanos(now: Int64) -> Int64? {
        guard let until = pausedUntilNanos, now < until else { return nil }
        return until - now
    }

    // MARK: - Events

    /// Pauses until `until` at least (a pause carried over from another backoff).
    public mutating func extendPause(until: Duration) {
        pausedUntilNanos = max(pausedUntilNanos ?? .min, until.nanoseconds)
    }

    /// Feeds an upstream response.
    ///
    /// - Parameters:
    ///   - status: HTTP status. 429 pauses, 503 pauses only with a valid `Retry-After`; 200–399 reset the
    ///     exponent; anything else is ignored (a 500 is an error, not a rate signal).
    ///   - retryAfter: raw `Retry-After` header value, if present.
    ///   - now: monotonic time.
    ///   - wallClockSeconds: current Unix time, to interpret HTTP-dates.
    ///   - rng: random source for jitter.
    /// - Returns: the pause started or extended by this response (`nil` if none).
    @discardableResult
    public mutating func record(
        status: Int, retryAfter: String?, now: Duration, wallClockSeconds: Double,
        using rng: inout some RandomNumberGenerator
    ) -> Duration? {
        let requested = retryAfter.flatMap { RetryAfter(headerValue: $0, wallClockSeconds: wallClockSeconds) }
        switch status {
        case 429, 503 where requested != nil:  // the condition applies to 503 only
            consecutivePushbacks = min(consecutivePushbacks + 1, 62)
            let pause: Int64
            if let requested {
                pause = requested.delay(wallClockSeconds: wallClockSeconds).nanoseconds
            } else {
                pause = exponentialDelay(using: &rng)
            }
            let clamped = min(max(pause, 0), max(configuration.maxPause.nanoseconds, 0))
            guard clamped > 0 else { return nil } // "Retry-After: 0" or a past date
            let until = Nanos.add(now.nanoseconds, clamped)
            pausedUntilNanos = max(pausedUntilNanos ?? .min, until)
            return .nanoseconds(clamped)
        case 200..<400:
            consecutivePushbacks = 0
            return nil
        default:
            return nil
        }
    }

    /// The jittered delay for the current pushback count (≥ 1 assumed).
    func exponentialDelay(using rng: inout some RandomNumberGenerator) -> Int64 {
        let base = max(configuration.base.nanoseconds, 1)
        let cap = max(configuration.cap.nanoseconds, base)
        let shift = max(consecutivePushbacks - 1, 0)
        // base << shift, saturating at cap (shift is bounded, so check overflow).
        let ceiling = shift >= 62 || base > (cap >> shift) ? cap : min(cap, base << shift)
        switch configuration.jitter {
        case .none: return ceiling
        case .full: return Int64.random(in: 0...ceiling, using: &rng)
        case .equal: return ceiling / 2 + Int64.random(in: 0...(ceiling - ceiling / 2), using: &rng)
        }
    }
}
