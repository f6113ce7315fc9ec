extension PingateSettings {
    /// The `cache` section.
    public struct Cache: Sendable, Hashable {
        /// `cache.enabled`.
        public var enabled = true
        /// `cache.ttl`.
        public var ttl: Duration = .seconds(30)
        /// `cache.ttl_pending`: freshness of unfinished pin statuses.
        public var ttlPending: Duration = .seconds(2)
        /// `cache.max_ttl`: cap on lifetimes the upstream states explicitly.
        public var maxTTL: Duration = .seconds(86_400)
        /// `cache.status_aware`.
        public var statusAware = true
        /// `cache.max_bytes`.
        public var maxBytes = 64 * 1024 * 1024
        /// `cache.max_object_bytes`; when not set, `min(1 MiB, maxBytes)`.
        public var maxObjectBytes = 1024 * 1024
        /// `cache.statuses`: cacheable upstream statuses.
        public var statuses: [Int] = [200]
        /// `cache.stale_if_error` (zero = never serve stale).
        public var staleIfError: Duration = .zero
        /// `cache.stale_while_revalidate` for responses without the directive (zero = never).
        public var staleWhileRevalidate: Duration = .zero

        /// Defaults.
        public init() {}
    }
}
