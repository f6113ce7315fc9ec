import GatewayCache

/// What one request became: filled in as it is answered, then handed once to ``GatewayState/record(_:)``, which
/// feeds the metrics, the access log, the dashboard's window and the in-flight gauge from it.
struct ExchangeRecord {
    /// Route name, `admin` for pingate's own endpoints, `-` for a request refused before its head was read.
    var route: String
    var method: String
    /// Path + query exactly as sent.
    var target: String
    /// Client identity (`uid:…`, `client:…`, `addr:…`).
    var client: String
    var requestID: String
    /// Monotonic time the request head arrived.
    let started: Duration
    /// Status sent, or 499 when the client left before an answer ended.
    var status = 0
    /// Request body bytes received.
    var bytesIn = 0
    /// Response body bytes sent.
    var bytesOut = 0
    /// The `Cache-Status` value sent, if any.
    var cacheStatus: String?
    /// How the cache took part, set with ``cacheStatus``.
    var cacheRole = CacheRole.none
    /// `allowed`, `queued`, `rejected:<budget>`, or nil when no budget was consulted.
    var rateLimit: String?
    /// Monotonic time the request went upstream (nil when it never did).
    var upstreamSentAt: Duration?
    /// From sending upstream to the upstream's answer head.
    var upstreamDuration: Duration?

    /// How the cache took part in a request (what the dashboard's series and hit ratio count).
    enum CacheRole: Equatable {
        /// It did not: the cache is off, the route does not cache, or the request was refused first.
        case none
        /// Answered from a stored entry.
        case hit
        /// Looked up and not answered from a stored entry (nothing stored, stale, or the request asked for a fresh
        /// answer). `collapsed`: answered by another request's upstream answer for the same target.
        case missed(collapsed: Bool)
        /// Passed by on purpose (`no-store`, a method the cache does not store, preconditions for the origin).
        case bypassed

        init(_ status: CacheStatus) {
            if status.isHit {
                self = .hit
                return
            }
            switch status.forward {
            case .miss, .stale, .request: self = .missed(collapsed: status.collapsed)
            case .bypass, .method, nil: self = .bypassed
            }
        }
    }

    /// The budget that refused the request (`rejected:<budget>`), if one did.
    var rejectingBudget: Substring? {
        guard let rateLimit, rateLimit.hasPrefix("rejected:") else { return nil }
        return rateLimit.dropFirst("rejected:".count)
    }
}
