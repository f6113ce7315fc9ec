import AsyncHTTPClient
import GatewayCache
import GatewayLimits
import HTTPTypes
import NIOCore

/// What both request paths (the channel-level fast path and the async proxy path) share.
final class GatewayState: Sendable {
    /// Settings fixed at start.
    let configuration: GatewayConfiguration
    /// The GET cache, nil when disabled.
    let cache: ResponseCache?
    /// Coalesces concurrent misses of one target.
    let flights = SingleFlight<FlightKey, FlightResult>()
    /// Upstream, class and client budgets plus upstream pushback.
    let limiter: RateLimiter
    /// Injected time.
    let clock: GatewayClock
    /// The current credentials (replaced on reload).
    let credentials: CredentialStore
    /// Counters and histograms.
    let metrics: GatewayMetrics
    /// One JSON (or text) line per request; nil when disabled.
    let accessLog: AccessLog?
    /// What `/_pingate/readyz` reports.
    let readiness: Readiness
    /// Routes by prefix, each with its forwarder.
    let routes: RouteTable
    /// `Date` header values, formatted once per second.
    let dates = HTTPDateCache()
    /// Upstream connections of the event-loop relay (``RelayExchange``).
    let relayPool: UpstreamRelayPool

    init(configuration: GatewayConfiguration, credentials: CredentialStore, clock: GatewayClock, metrics: GatewayMetrics, accessLog: AccessLog?, readiness: Readiness, client: HTTPClient) throws {
        self.routes = RouteTable(configuration: configuration, client: client, credentials: credentials)
        self.readiness = readiness
        self.accessLog = accessLog
        self.configuration = configuration
        self.cache = configuration.cache.map { ResponseCache(configuration: $0) }
        self.limiter = try RateLimiter(configuration: configuration.rateLimits)
        self.clock = clock
        self.credentials = credentials
        self.metrics = metrics
        self.relayPool = UpstreamRelayPool(connectTimeout: .init(configuration.connectTimeout))
    }

    /// The rate class a request is charged to; "" when no class budgets are configured (classifying, which
    /// normalises the path, would then be wasted work on every forwarded request).
    func routeClass(of route: GatewayRoute, method: String, target: String) -> String {
        if let rateClass = route.rateClass { return rateClass }
        guard !configuration.rateLimits.classBudgets.isEmpty else { return "" }
        let path = target.firstIndex(of: "?").map { String(target[..<$0]) } ?? target
        return configuration.routeClasses.classify(method: method, path: path)
    }

    /// Whether a request is counted against budgets at all (configured limits exist).
    var hasClientLimit: Bool { configuration.rateLimits.client != nil }
}

/// Single-flight key: one cache primary key.
struct FlightKey: Hashable, Sendable {
    let target: String
    let profile: String
}

/// What a fill leader shares with the requests that waited for it.
enum FlightResult: Sendable {
    /// The stored answer.
    case response(status: HTTPResponse.Status, headers: HTTPFields, body: ByteBuffer)
    /// The upstream failed; everyone gets the same error.
    case error(GatewayErrorResponse)
}
