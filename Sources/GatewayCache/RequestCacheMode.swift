/// How a request's own directives let the cache take part (RFC 9111 §5.2.1).
public enum RequestCacheMode: Sendable, Hashable {
    /// Look up, serve fresh hits, store misses.
    case normal
    /// `Cache-Control: no-cache`, `max-age=0` or `Pragma: no-cache`: skip the lookup, go upstream,
    /// and store the answer so the entry is refreshed (`Cache-Status: … fwd=request`).
    case refresh
    /// `Cache-Control: no-store`: neither read nor write (`fwd=bypass`).
    case bypass
}
