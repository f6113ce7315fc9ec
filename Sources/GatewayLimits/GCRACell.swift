// MARK: - GCRACell

/// The state of one GCRA budget: its theoretical arrival time (TAT).
///
/// Pure value math; the limiter keeps many of these under one lock. A cell whose
/// `tat <= now` is indistinguishable from a fresh one, which is what makes
/// dropping idle client entries lossless.
struct GCRACell: Sendable, Hashable {
    /// Theoretical arrival time in nanoseconds; `.min` means "never used".
    var tat: Int64 = .min

    /// Earliest instant at which one more request conforms.
    func allowedAt(now: Int64, budget: RateBudget) -> Int64 {
        max(tat, now) - budget.toleranceNanos
    }

    /// The TAT after a request that is actually sent at `sendAt`.
    ///
    /// Using the send instant (not the arrival) for delayed requests matches how
    /// the upstream, itself presumably GCRA-limited, will see the traffic.
    func tatAfterSending(at sendAt: Int64, budget: RateBudget) -> Int64 {
        max(tat, sendAt) + budget.emissionIntervalNanos
    }

    /// How many more requests would be admitted immediately at `now` (0...burst).
    func remaining(now: Int64, budget: RateBudget) -> Int {
        let slack = now + budget.toleranceNanos - max(tat, now)
        guard slack >= 0 else { return 0 }
        return min(budget.burst, Int(slack / budget.emissionIntervalNanos) + 1)
    }

    /// Header view of this cell at `now` (see ``LimitInfo/resetSeconds``).
    func limitInfo(name: String, now: Int64, budget: RateBudget) -> LimitInfo {
        let remaining = remaining(now: now, budget: budget)
        let resetNanos = remaining == 0
            ? allowedAt(now: now, budget: budget) - now // until the next unit
            : max(tat, now) - now // until fully restored (0 when rested)
        return LimitInfo(
            budget: name,
            quota: budget.headerQuota,
            windowSeconds: budget.headerWindowSeconds,
            remaining: remaining,
            resetSeconds: Nanos.ceilSeconds(resetNanos)
        )
    }
}
