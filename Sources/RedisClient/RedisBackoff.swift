import NIOCore

/// Exponential backoff with jitter between reconnect attempts.
///
/// After `n` consecutive failures the delay is `initial × multiplier^(n-1)`, capped at `maximum`, then drawn
/// uniformly from its upper half so that instances that lost Redis together do not reconnect in lockstep.
public struct RedisBackoff: Sendable, Hashable {
    /// The delay after the first failure, before jitter.
    public var initial: TimeAmount
    /// The largest delay, before jitter.
    public var maximum: TimeAmount
    /// The growth factor per further failure.
    public var multiplier: Double

    /// - Parameters:
    ///   - initial: The delay after the first failure.
    ///   - maximum: The cap on the delay.
    ///   - multiplier: The growth factor per failure.
    public init(
        initial: TimeAmount = .milliseconds(50),
        maximum: TimeAmount = .seconds(5),
        multiplier: Double = 2
    ) {
        self.initial = initial
        self.maximum = maximum
        self.multiplier = multiplier
    }

    /// The delay before the next attempt.
    ///
    /// - Parameters:
    ///   - failures: Consecutive failures so far, at least 1.
    ///   - jitter: A number in `0..<1`; 0 gives half the capped delay, values near 1 the whole of it.
    public func delay(afterFailures failures: Int, jitter: Double) -> TimeAmount {
        let cap = Double(self.maximum.nanoseconds)
        var uncapped = Double(self.initial.nanoseconds)
        var remaining = failures - 1
        while remaining > 0, uncapped < cap, self.multiplier > 1 {
            uncapped *= self.multiplier
            remaining -= 1
        }
        let capped = min(uncapped, cap)
        let jittered = capped / 2 + capped / 2 * min(max(jitter, 0), 1)
        return .nanoseconds(Int64(jittered))
    }

    /// The delay before the next attempt, with jitter from the system's random source.
    func delay(afterFailures failures: Int) -> TimeAmount {
        self.delay(afterFailures: failures, jitter: Double.random(in: 0..<1))
    }
}
