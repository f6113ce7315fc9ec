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
    /// Bounds the background refreshes of stale entries (stale-while-revalidate) running at once.
    let refreshes = CacheRefresh.Limit(maximum: 64)
    /// Upstream, class and client budgets plus upstream pushback (replaced when a reload changes the budgets). With
    /// shared state, this is the local fallback: the budgets divided among the expected instances.
    var limiter: RateLimiter { limiterBox.withLock { $0.local } }
    /// The budgets as configured, which a shared store applies across instances.
    var budgets: RateLimiter.Configuration { limiterBox.withLock { $0.configured } }
    private let limiterBox: Mutex<(local: RateLimiter, configured: RateLimiter.Configuration)>
    /// Budgets, pushback and invalidations shared with other pingates; nil without `redis.url`.
    let shared: SharedState?
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
    /// The dashboard's last minutes and last requests.
    let window: TrafficWindow
    /// Version, vault file and last reload, for the dashboard.
    let instance: InstanceDescription
    /// Monotonic and Unix time the gateway started.
    let started: Duration
    let startedWallClock: Double
    /// Failed token checks per source (client address or unix uid).
    let failedAttempts = FailedAttemptLimiter()
    /// Digests of the `--access-token-file` tokens (compared like client tokens, in constant time).
    let fileTokenDigests: [TokenDigest]

    init(
        configuration: GatewayConfiguration, credentials: CredentialStore, clock: GatewayClock, metrics: GatewayMetrics,
        accessLog: AccessLog?, readiness: Readiness, pool: UpstreamConnectionPool, breakers: UpstreamBreakers,
        shared: SharedState?, instance: InstanceDescription = InstanceDescription(), logger: Logger
    ) throws {
        self.logger = logger
        self.instance = instance
        self.started = clock.now()
        self.startedWallClock = clock.wallClockSeconds()
        self.window = TrafficWindow(started: started)
        self.breakers = breakers
        self.routes = RouteTable(configuration: configuration)
        self.readiness = readiness
        self.accessLog = accessLog
        self.configuration = configuration
        self.cache = configuration.cache.map { ResponseCache(configuration: $0) }
        self.limiterBox = Mutex((
            try RateLimiter(configuration: Self.localBudgets(configuration.rateLimits, shared: configuration.sharedState)),
            configuration.rateLimits
        ))
        self.shared = shared
        self.clock = clock
        self.credentials = credentials
        self.metrics = metrics
        self.pool = pool
        self.fileTokenDigests = configuration.access.accessTokens.map { TokenDigest(of: SecretValue(bytes: $0)) }
    }

    // MARK: - Bookkeeping

    /// The one place a finished request is accounted for: `pingate_requests_total`, the access log, the dashboard's
    /// window, and the in-flight gauge (which ``requestStarted()`` raised).
    func record(_ record: ExchangeRecord) {
        metrics.inFlightChanged(by: -1)
        metrics.request(route: record.route, method: record.method, status: record.status)
        let now = clock.now(), wallClock = clock.wallClockSeconds()
        let duration = now - record.started
        accessLog?.record(record, duration: duration, wallClock: wallClock)
        window.record(record, duration: duration, now: now, wallClock: wallClock)
    }

    /// A request head arrived; ``record(_:)`` ends it.
    func requestStarted() {
        metrics.inFlightChanged(by: 1)
    }

    /// The bookkeeping of an upstream answer: readiness, the latency histogram, the limiter's view of pushback
    /// (`429`, or `503` with `Retry-After`, for the budget of `pushbackScope`) and the upstream's breaker (a
    /// 502/503/504 is a failure, any other answer a success). Returns how long the upstream took, and with shared
    /// state a pause being written to Redis, which the answer waits for.
    @discardableResult
    func upstreamAnswered(
        status: Int, retryAfter: String?, sentAt: Duration, upstream: UpstreamEndpoint, pushbackScope: String
    ) -> (duration: Duration, sharedPause: EventLoopFuture<Void>?) {
        let now = clock.now()
        readiness.upstreamAnswered()
        metrics.upstreamDuration(now - sentAt)
        let limiter = self.limiter
        limiter.upstreamResponded(status: status, retryAfter: retryAfter, now: now, wallClockSeconds: clock.wallClockSeconds(), pushbackScope: pushbackScope)
        var sharedPause: EventLoopFuture<Void>?
        if let shared, status == 429 || status == 503, let pause = limiter.pushbackRemaining(now: now, pushbackScope: pushbackScope) {
            sharedPause = shared.pause(scope: pushbackScope, for: pause)
        }
        breakers.record(upstream, success: !(502...504).contains(status), now: now)
        return (now - sentAt, sharedPause)
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
        guard self.budgets != budgets else { return false }
        let replacement = try RateLimiter(configuration: Self.localBudgets(budgets, shared: configuration.sharedState))
        for (scope, pause) in current.pushbackPauses(now: clock.now()) {
            replacement.pause(for: pause, now: clock.now(), pushbackScope: scope)
        }
        limiterBox.withLock { $0 = (replacement, budgets) }
        return true
    }

    /// The budget of a client token as this instance's own limiter applies it: whole, or its share when several
    /// instances share budgets (the local limiter then stands in for an unreachable shared store).
    func localBudget(of token: TokenPolicy?) -> TokenBudget? {
        guard let budget = token?.budget else { return nil }
        guard let shared = configuration.sharedState else { return budget }
        return budget.dividedAmong(shared.expectedInstances)
    }

    /// This instance's own budgets: all of them alone, or its share when several instances share them.
    static func localBudgets(_ budgets: RateLimiter.Configuration, shared: SharedStateConfiguration?) -> RateLimiter.Configuration {
        guard let shared else { return budgets }
        // A share of a positive rate is positive and its burst at least 1: dividing cannot fail.
        return (try? budgets.dividedAmong(shared.expectedInstances)) ?? budgets
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
