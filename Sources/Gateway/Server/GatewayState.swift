import GatewayCache
import GatewayLimits
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import Synchronization
import Vault

/// What every connection of one running gateway shares: settings, cache, limiter, upstream pool, observability.
final class GatewayState: Sendable {
    /// Settings fixed at start.
    let configuration: GatewayConfiguration
    /// The GET cache, nil when disabled.
    let cache: ResponseCache?
    /// Coalesces concurrent misses of one target.
    let flights = SingleFlight<FlightKey, FlightResult>()
    /// Upstream, class and client budgets plus upstream pushback (replaced when a reload changes the budgets).
    var limiter: RateLimiter { limiterBox.withLock { $0 } }
    private let limiterBox: Mutex<RateLimiter>
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
    /// Routes by prefix.
    let routes: RouteTable
    /// `Date` header values, formatted once per second.
    let dates = HTTPDateCache()
    /// The one pool of upstream connections.
    let pool: UpstreamConnectionPool
    /// Diagnostics (never a secret).
    let logger: Logger
    /// The circuit breaker of each upstream.
    let breakers: UpstreamBreakers
    /// Failed token checks per source (client address or unix uid).
    let failedAttempts = FailedAttemptLimiter()
    /// Digests of the `--access-token-file` tokens (compared like client tokens, in constant time).
    let fileTokenDigests: [TokenDigest]

    init(
        configuration: GatewayConfiguration, credentials: CredentialStore, clock: GatewayClock, metrics: GatewayMetrics,
        accessLog: AccessLog?, readiness: Readiness, pool: UpstreamConnectionPool, breakers: UpstreamBreakers, logger: Logger
    ) throws {
        self.logger = logger
        self.breakers = breakers
        self.routes = RouteTable(configuration: configuration)
        self.readiness = readiness
        self.accessLog = accessLog
        self.configuration = configuration
        self.cache = configuration.cache.map { ResponseCache(configuration: $0) }
        self.limiterBox = Mutex(try RateLimiter(configuration: configuration.rateLimits))
        self.clock = clock
        self.credentials = credentials
        self.metrics = metrics
        self.pool = pool
        self.fileTokenDigests = configuration.access.accessTokens.map { TokenDigest(of: SecretValue(bytes: $0)) }
    }

    // MARK: - Bookkeeping

    /// The one place a finished request is accounted for: `pingate_requests_total`, the access log, and the
    /// in-flight gauge (which ``requestStarted()`` raised).
    func record(_ record: ExchangeRecord) {
        metrics.inFlightChanged(by: -1)
        metrics.request(route: record.route, method: record.method, status: record.status)
        accessLog?.record(record, duration: clock.now() - record.started, wallClock: clock.wallClockSeconds())
    }

    /// A request head arrived; ``record(_:)`` ends it.
    func requestStarted() {
        metrics.inFlightChanged(by: 1)
    }

    /// The bookkeeping of an upstream answer: readiness, the latency histogram, the limiter's view of pushback
    /// (`429`, or `503` with `Retry-After`, for the budget of `pushbackScope`) and the upstream's breaker (a
    /// 502/503/504 is a failure, any other answer a success). Returns how long the upstream took.
    func upstreamAnswered(status: Int, retryAfter: String?, sentAt: Duration, upstream: UpstreamEndpoint, pushbackScope: String) -> Duration {
        let now = clock.now()
        readiness.upstreamAnswered()
        metrics.upstreamDuration(now - sentAt)
        limiter.upstreamResponded(status: status, retryAfter: retryAfter, now: now, wallClockSeconds: clock.wallClockSeconds(), pushbackScope: pushbackScope)
        breakers.record(upstream, success: !(502...504).contains(status), now: now)
        return now - sentAt
    }

    /// The budget an upstream pushback applies to: the route's upstream, and the request's rate class when class
    /// budgets exist.
    static func pushbackScope(upstream: UpstreamEndpoint, routeClass: String) -> String {
        routeClass.isEmpty ? upstream.origin : upstream.origin + " " + routeClass
    }

    /// The rate class a request is charged to; "" when no class budgets are configured (classifying, which
    /// normalises the path, would then be wasted work on every forwarded request).
    func routeClass(of route: GatewayRoute, method: String, target: String, budgets: RateLimiter.Configuration) -> String {
        if let rateClass = route.rateClass { return rateClass }
        guard !budgets.classBudgets.isEmpty else { return "" }
        return configuration.routeClasses.classify(method: method, path: target)  // the classifier drops the query
    }

    /// Installs new budgets (a reload changed them); budgets start afresh, a pushback pause carries over.
    /// Returns false when they equal the ones in force (nothing is replaced then).
    func replaceBudgets(_ budgets: RateLimiter.Configuration) throws(LimitConfigurationError) -> Bool {
        let current = limiter
        guard current.configuration != budgets else { return false }
        let replacement = try RateLimiter(configuration: budgets)
        for (scope, pause) in current.pushbackPauses(now: clock.now()) {
            replacement.pause(for: pause, now: clock.now(), pushbackScope: scope)
        }
        limiterBox.withLock { $0 = replacement }
        return true
    }
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
