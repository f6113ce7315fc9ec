extension ResponseCache {
    /// Tunables of a ``ResponseCache``. Every property has the default the issue asks for.
    public struct Configuration: Sendable {
        // MARK: - Freshness

        /// Heuristic lifetime of responses that state no freshness of their own (no `s-maxage`, `max-age` or
        /// `Expires`), for the statuses in ``cacheableStatuses``. `.zero`: such responses are stored already stale.
        public var defaultTTL: Duration = .seconds(30)
        /// Cap on the lifetimes responses state explicitly (`s-maxage`, `max-age`, `Expires - Date`).
        public var maxTTL: Duration = .seconds(86_400)
        /// Lifetime cap of a pin-detail response whose `data.status` is not final (caps explicit lifetimes too).
        public var pendingTTL: Duration = .seconds(2)
        /// Whether pin-detail responses get `pendingTTL` while their pin is still in progress.
        public var statusAwareFreshness = true
        /// `data.status` values (compared lowercased) after which a pin no longer changes by itself.
        /// Any other string value, e.g. `queued`, `pinning`, `pending`, `processing`, is in progress.
        public var finalPinStates: Set<String> = [
            "pinned", "unpinned", "failed", "success", "succeeded", "completed", "done",
            "error", "cancelled", "canceled", "deleted", "removed", "expired",
        ]
        /// Pin-detail paths are `pinDetailPrefix` + one segment (`/api/pinning/<id>`) …
        public var pinDetailPrefix = "/api/pinning/"
        /// … where that segment is not one of these collection/action names.
        public var nonDetailSegments: Set<String> = ["pins", "unpin", "pinByHash"]
        /// How long past expiry an entry may still be served when upstream fails (RFC 5861), for responses
        /// without their own `stale-if-error=N` (which wins). `.zero`: off. `must-revalidate`,
        /// `proxy-revalidate`, `s-maxage` and `no-cache` responses never qualify.
        public var staleIfError: Duration = .zero
        /// How long past expiry an entry may still be served at once while one background refresh runs
        /// (RFC 5861), for responses without their own `stale-while-revalidate=N` (which wins). `.zero`: off.
        /// The same responses as for ``staleIfError`` never qualify.
        public var staleWhileRevalidate: Duration = .zero

        // MARK: - What is stored

        /// Statuses stored under the ``defaultTTL`` heuristic. A response with explicit freshness is storable for
        /// every status RFC 9111 §3 allows (any final status but `206` and `304`).
        public var cacheableStatuses: Set<Int> = [200]
        /// Memory bound: body + headers + key + `entryOverhead` over all entries.
        public var maxBytes = 64 * 1024 * 1024
        /// Bodies larger than this are never stored (the server streams them through).
        public var maxObjectBytes = 1024 * 1024
        /// Bytes charged per entry for bookkeeping (slot, entry object, dictionary share,
        /// buffer/field storage headers). Measured at well under this; see the tests.
        public var entryOverhead = 512
        /// Most variants (distinct `Vary` value sets) kept per target and profile; the least
        /// recently used variant is dropped beyond this.
        public var maxVariantsPerKey = 8

        // MARK: - Invalidation

        /// Per-route invalidation scopes; the longest matching `pathPrefix` wins.
        public var invalidationRules: [InvalidationRule] = []
        /// Scope depth for writes no rule matches: 2 → `/api/pinning/`.
        public var defaultScopeDepth = 2
        /// How many recent invalidations are remembered to judge in-flight fills precisely.
        /// A fill older than the remembered history is refused (safe, costs one refetch).
        public var invalidationHistory = 128

        /// The defaults.
        public init() {}

        /// Convenience initialiser for the most commonly changed values.
        /// - Parameters:
        ///   - defaultTTL: Heuristic freshness lifetime.
        ///   - pendingTTL: Freshness lifetime of in-progress pin details.
        ///   - statusAwareFreshness: Enables `pendingTTL`.
        ///   - maxBytes: Total memory bound.
        ///   - maxObjectBytes: Largest storable body.
        ///   - cacheableStatuses: Statuses stored under the heuristic lifetime.
        ///   - staleIfError: Stale-if-error window (`.zero` = off).
        ///   - maxTTL: Cap on explicit lifetimes.
        ///   - staleWhileRevalidate: Stale-while-revalidate window (`.zero` = off).
        public init(
            defaultTTL: Duration = .seconds(30),
            pendingTTL: Duration = .seconds(2),
            statusAwareFreshness: Bool = true,
            maxBytes: Int = 64 * 1024 * 1024,
            maxObjectBytes: Int = 1024 * 1024,
            cacheableStatuses: Set<Int> = [200],
            staleIfError: Duration = .zero,
            maxTTL: Duration = .seconds(86_400),
            staleWhileRevalidate: Duration = .zero
        ) {
            self.defaultTTL = defaultTTL
            self.pendingTTL = pendingTTL
            self.statusAwareFreshness = statusAwareFreshness
            self.maxBytes = maxBytes
            self.maxObjectBytes = maxObjectBytes
            self.cacheableStatuses = cacheableStatuses
            self.staleIfError = staleIfError
            self.maxTTL = maxTTL
            self.staleWhileRevalidate = staleWhileRevalidate
        }
    }
}
