/// Log-linear latency buckets for the dashboard's percentiles: exact below 8 µs, then four buckets per power of two
/// (each at most 25 % wide), up to about four minutes; longer durations share the last bucket.
///
/// A bucket index is found with integer operations only (no logarithm), so recording stays cheap.
enum LatencyBuckets {
    /// Number of buckets.
    static let count = 108

    /// The bucket of a duration in nanoseconds.
    static func index(nanoseconds: Int64) -> Int {
        let micros = UInt64(max(0, nanoseconds / 1000))
        if micros < 8 { return Int(micros) }
        let exponent = 63 - micros.leadingZeroBitCount  // ≥ 3
        let quarter = Int((micros >> UInt64(exponent - 2)) & 3)
        return min(count - 1, 8 + (exponent - 3) * 4 + quarter)
    }

    /// The durations a bucket holds, in microseconds: `lower..<upper`.
    static func bounds(of index: Int) -> (lower: Double, upper: Double) {
        if index < 8 { return (Double(index), Double(index + 1)) }
        let exponent = (index - 8) / 4 + 3
        let quarter = (index - 8) % 4
        let unit = Double(1 << (exponent - 2))
        return (Double(4 + quarter) * unit, Double(5 + quarter) * unit)
    }

    /// The `quantile` (0...1) of the durations counted in `counts` (one count per bucket), in milliseconds: the
    /// middle of the bucket holding that rank. Nil when nothing was counted.
    static func quantile(_ quantile: Double, of counts: [UInt32]) -> Double? {
        let total = counts.reduce(0) { $0 + Int($1) }
        guard total > 0 else { return nil }
        let rank = max(1, Int((quantile * Double(total)).rounded(.up)))
        var seen = 0
        for (index, count) in counts.enumerated() {
            seen += Int(count)
            if seen >= rank {
                let (lower, upper) = bounds(of: index)
                return (lower + upper) / 2 / 1000
            }
        }
        return nil
    }
}
