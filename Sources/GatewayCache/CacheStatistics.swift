/// A snapshot of ``ResponseCache`` counters. Counters are cumulative since creation.
public struct CacheStatistics: Sendable, Hashable {
    /// Entries (variants) currently stored.
    public var entries = 0
    /// Bytes currently charged (bodies + headers + keys + per-entry overhead).
    public var bytes = 0
    /// Lookups answered fresh.
    public var hits = 0
    /// Lookups that found nothing or only a stale entry.
    public var misses = 0
    /// Successful stores.
    public var stores = 0
    /// Entries evicted to respect `maxBytes` or `maxVariantsPerKey`.
    public var evictions = 0
    /// Entries removed by write invalidation or purge.
    public var invalidations = 0
    /// Stores refused because their fill was superseded by an invalidation.
    public var supersededFills = 0

    /// hits / (hits + misses), 0 when nothing was looked up.
    public var hitRatio: Double {
        let total = self.hits + self.misses
        return total == 0 ? 0 : Double(self.hits) / Double(total)
    }

    public init() {}
}
