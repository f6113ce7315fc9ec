/// Result of ``ResponseCache/lookup(target:profile:requestHeaders:now:)``.
public enum CacheLookup: Sendable {
    /// Serve this entry; send `Age: age` and `Cache-Status: pingate; hit`.
    case fresh(CachedResponse, age: Int)
    /// An entry exists but must not be served as is (expired or stored from `no-cache`): go
    /// upstream (`fwd=stale`); serve it only if upstream fails and
    /// ``CachedResponse/isUsableOnError(at:)`` says so.
    case stale(CachedResponse, age: Int)
    /// Nothing stored for this target, profile and `Vary` selection (`fwd=miss`).
    case miss
}
