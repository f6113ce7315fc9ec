import GatewayLimits
import NIOCore
import NIOHTTP1

/// A GET the event loop relays upstream itself: everything decided before the upstream is contacted.
struct RelayPlan {
    /// Where it goes and whose credentials it carries.
    let route: RouteTable.Entry
    /// The request sent upstream: credentials injected, client credentials and hop-by-hop fields dropped.
    let upstreamHead: HTTPRequestHead
    /// Path + query exactly as the client sent it.
    let target: String
    let requestID: String
    /// Client identity, for the access log.
    let client: String
    /// The budget that admitted it, for `RateLimit` headers.
    let limit: LimitInfo?
    /// The `Cache-Status` value the answer carries, if the cache is on.
    let cacheStatus: String?
    /// The client's HTTP version (the answer uses it).
    let clientVersion: HTTPVersion
    /// Whether the client connection stays open after the answer.
    let keepAlive: Bool
    /// Monotonic time the request was decided.
    let started: Duration
}
