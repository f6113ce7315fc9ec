/// What one request became: filled in as it is answered, then handed once to ``GatewayState/record(_:)``, which
/// feeds the metrics, the access log and the in-flight gauge from it.
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
    /// `allowed`, `queued`, `rejected:<budget>`, or nil when no budget was consulted.
    var rateLimit: String?
    /// Monotonic time the request went upstream (nil when it never did).
    var upstreamSentAt: Duration?
    /// From sending upstream to the upstream's answer head.
    var upstreamDuration: Duration?
}
