/// What the cache makes of a GET or HEAD request (``ResponseCache/plan(method:target:profile:cacheControl:pragma:conditions:now:headerValue:)``).
public enum CachePlan: Sendable {
    /// Answer from this entry (applying the request's conditions and range), with `Age: age`. `refresh`: the
    /// entry is stale but within its stale-while-revalidate window: `Cache-Status: pingate; hit; fwd=stale`, and one
    /// background refresh should run.
    case serve(CachedResponse, age: Int, refresh: Bool)
    /// Go upstream and store the answer, coalescing with other requests for the target when `coalesce`.
    /// `stale` is the entry being replaced: its validators make the request conditional (a `304` freshens it),
    /// and it may answer when the upstream fails within its stale-if-error window.
    case fill(CacheStatus.ForwardReason, stale: CachedResponse?, coalesce: Bool)
    /// Go upstream as asked (validators and `Range` included) and store nothing. `stale` is the entry found
    /// (a HEAD, or a GET with a `Range`), which may answer when the upstream fails within its stale-if-error window.
    case forward(CacheStatus, stale: CachedResponse?)
}
