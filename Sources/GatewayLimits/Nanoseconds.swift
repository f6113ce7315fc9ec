// Internal time arithmetic. Everything inside the limiter runs on Int64
// nanoseconds so that GCRA bookkeeping is exact (no floating-point drift over
// long runs) and cheap to compare under the lock.

// MARK: - Duration <-> nanoseconds

extension Duration {
    /// This duration in whole nanoseconds, truncated toward zero and saturated
    /// to the Int64 range (≈ ±292 years), so absurd inputs cannot trap.
    var nanoseconds: Int64 {
        let (secs, atto) = components
        let (scaled, overflow) = secs.multipliedReportingOverflow(by: Nanos.perSecond)
        if overflow { return secs < 0 ? .min : .max }
        let (sum, overflow2) = scaled.addingReportingOverflow(atto / 1_000_000_000)
        if overflow2 { return secs < 0 ? .min : .max }
        return sum
    }
}

/// Namespace for nanosecond helpers.
enum Nanos {
    static let perSecond: Int64 = 1_000_000_000

    /// Whole seconds covering `ns`, rounded up; 0 for non-positive input.
    static func ceilSeconds(_ ns: Int64) -> Int {
        guard ns > 0 else { return 0 }
        return Int(ns / perSecond) + (ns % perSecond == 0 ? 0 : 1)
    }

    /// Saturating addition: keeps far-future sentinels from trapping.
    static func add(_ a: Int64, _ b: Int64) -> Int64 {
        let (r, o) = a.addingReportingOverflow(b)
        if o { return b > 0 ? .max : .min }
        return r
    }

    /// Saturating subtraction.
    static func sub(_ a: Int64, _ b: Int64) -> Int64 {
        let (r, o) = a.subtractingReportingOverflow(b)
        if o { return b < 0 ? .max : .min }
        return r
    }
}
