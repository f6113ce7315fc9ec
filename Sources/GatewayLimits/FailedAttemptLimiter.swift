import Synchronization

// MARK: - FailedAttemptLimiter

/// Bounds how often one source (a client address or a unix-socket uid) may fail to authenticate: at most `limit`
/// failures in any `window` (a sliding window, exact), after which its attempts are refused until the oldest of
/// those failures leaves the window. Guessing client tokens is then as slow as this bound, whatever the client's
/// other budgets.
///
/// Pure and I/O-free like ``RateLimiter``: time is the caller's monotonic `now`. Memory is bounded: at most
/// `maxSources` sources are remembered; sources whose last failure left the window are forgotten when room is
/// needed (at most one sweep per window), and while the table stays full of recent failures, new sources share
/// one overflow window (a flood of sources is throttled as one).
public final class FailedAttemptLimiter: Sendable {
    /// Failures allowed within one window.
    public let limit: Int
    /// The window.
    public let window: Duration
    private let maxSources: Int
    private let state: Mutex<State>

    /// Creates a limiter: by default at most 10 failures per second per source.
    public init(limit: Int = 10, window: Duration = .seconds(1), maxSources: Int = 10_000) {
        precondition(limit >= 1 && window > .zero && maxSources >= 1)
        self.limit = limit
        self.window = window
        self.maxSources = maxSources
        self.state = Mutex(State())
    }

    /// How long `source` must wait before its next attempt, or nil when it may try now.
    public func retryAfter(source: String, now: Duration) -> Duration? {
        let t = now.nanoseconds, span = window.nanoseconds
        return state.withLock { s -> Duration? in
            let times = s.sources[source] ?? (s.overflowSources.contains(source) ? s.overflow : [])
            guard times.count >= limit, let oldest = times.min(), oldest > t - span else { return nil }
            return .nanoseconds(oldest + span - t)
        }
    }

    /// Records one failed attempt of `source`.
    public func recordFailure(source: String, now: Duration) {
        let t = now.nanoseconds, span = window.nanoseconds
        state.withLock { s in
            if s.sources[source] == nil, !s.overflowSources.contains(source), s.sources.count >= maxSources {
                if s.lastSweep.map({ t - $0 >= span }) ?? true {
                    s.lastSweep = t
                    s.sources = s.sources.filter { ($0.value.max() ?? .min) > t - span }
                    s.overflowSources.removeAll()
                }
                if s.sources.count >= maxSources {
                    if s.overflowSources.count < maxSources { s.overflowSources.insert(source) }
                    Self.append(t, to: &s.overflow, limit: limit)
                    return
                }
            }
            if s.overflowSources.contains(source) {
                Self.append(t, to: &s.overflow, limit: limit)
                return
            }
            Self.append(t, to: &s.sources[source, default: []], limit: limit)
        }
    }

    /// Number of sources remembered (≤ `maxSources`).
    public var sourceCount: Int { state.withLock { $0.sources.count } }

    /// Keeps the newest `limit` failure times.
    private static func append(_ time: Int64, to times: inout [Int64], limit: Int) {
        if times.count >= limit, let oldest = times.indices.min(by: { times[$0] < times[$1] }) {
            times[oldest] = time
        } else {
            times.append(time)
        }
    }

    private struct State: Sendable {
        /// The newest failure times (at most `limit`) of each source.
        var sources: [String: [Int64]] = [:]
        /// Failure times shared by the sources that found the table full.
        var overflow: [Int64] = []
        var overflowSources: Set<String> = []
        var lastSweep: Int64?
    }
}
