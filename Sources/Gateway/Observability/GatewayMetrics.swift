import CoreMetrics
import GatewayCache
import GatewayLimits
import Metrics
import NIOCore
import Prometheus
import Synchronization

/// pingate's metrics, exposed at `/_pingate/metrics` in Prometheus text format.
///
/// Built on swift-metrics with a per-gateway `PrometheusMetricsFactory` (no process-global bootstrap, so
/// several gateways in one test process never share counters). Label values are bounded: methods outside
/// the standard set become `OTHER`, and client identities beyond `maxClientLabels` become `other`.
public final class GatewayMetrics: Sendable {
    /// Distinct client label values kept before folding into `other`.
    static let maxClientLabels = 64
    static let knownMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    /// The registry the metrics live in.
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let requestCounters = Mutex<[RequestKey: CoreMetrics.Counter]>([:])

    /// Label set of `pingate_requests_total` (a struct key: no string building per request).
    private struct RequestKey: Hashable {
        let route: String
        let method: String
        let status: Int
    }
    /// Counters other than `pingate_requests_total`, by label and label values.
    private let labelledCounters = Mutex<[LabelledKey: CoreMetrics.Counter]>([:])
    private struct LabelledKey: Hashable {
        let label: String
        let values: [String]
    }
    private let clientLabels = Mutex<Set<String>>([])
    private let upstreamLatency: CoreMetrics.Timer
    private let inFlight: CoreMetrics.Meter
    private let vaultReloadsOK: CoreMetrics.Counter
    private let vaultReloadsFailed: CoreMetrics.Counter
    /// Cache statistics already reported, so scrape-time deltas become counter increments.
    private let reportedCache = Mutex(CacheStatistics())
    private let cacheHits: CoreMetrics.Counter
    private let cacheMisses: CoreMetrics.Counter
    private let cacheEvictions: CoreMetrics.Counter
    private let cacheStores: CoreMetrics.Counter
    private let cacheBytes: CoreMetrics.Gauge
    private let cacheEntries: CoreMetrics.Gauge
    private let breakerGauge: CoreMetrics.Gauge
    private let redisGauge: CoreMetrics.Gauge
    private let redisLatency: CoreMetrics.Timer

    /// Creates the metric set in a fresh registry.
    public init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
        ]
        self.registry = registry
        self.factory = factory
        self.upstreamLatency = CoreMetrics.Timer(label: "pingate_upstream_duration_seconds", dimensions: [], factory: factory)
        self.inFlight = CoreMetrics.Meter(label: "pingate_inflight_requests", dimensions: [], factory: factory)
        self.vaultReloadsOK = CoreMetrics.Counter(label: "pingate_vault_reloads_total", dimensions: [("result", "ok")], factory: factory)
        self.vaultReloadsFailed = CoreMetrics.Counter(label: "pingate_vault_reloads_total", dimensions: [("result", "failed")], factory: factory)
        self.cacheHits = CoreMetrics.Counter(label: "pingate_cache_hits_total", dimensions: [], factory: factory)
        self.cacheMisses = CoreMetrics.Counter(label: "pingate_cache_misses_total", dimensions: [], factory: factory)
        self.cacheEvictions = CoreMetrics.Counter(label: "pingate_cache_evictions_total", dimensions: [], factory: factory)
        self.cacheStores = CoreMetrics.Counter(label: "pingate_cache_stores_total", dimensions: [], factory: factory)
        self.cacheBytes = CoreMetrics.Gauge(label: "pingate_cache_bytes", dimensions: [], factory: factory)
        self.cacheEntries = CoreMetrics.Gauge(label: "pingate_cache_entries", dimensions: [], factory: factory)
        self.breakerGauge = CoreMetrics.Gauge(label: "pingate_upstream_breaker_state", dimensions: [], factory: factory)
        self.redisGauge = CoreMetrics.Gauge(label: "pingate_redis_up", dimensions: [], factory: factory)
        self.redisLatency = CoreMetrics.Timer(label: "pingate_redis_roundtrip_seconds", dimensions: [], factory: factory)
    }

    // MARK: - Recording

    /// Counts one answered request.
    func request(route: String, method: String, status: Int) {
        let method = Self.knownMethods.contains(method) ? method : "OTHER"
        let key = RequestKey(route: route, method: method, status: status)
        let counter = requestCounters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = CoreMetrics.Counter(
                label: "pingate_requests_total",
                dimensions: [("route", route), ("method", method), ("status", String(status))],
                factory: factory
            )
            counters[key] = counter
            return counter
        }
        counter.increment()
    }

    /// Records how long the upstream took to answer (head received).
    func upstreamDuration(_ duration: Duration) {
        upstreamLatency.recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    /// Tracks requests being answered.
    func inFlightChanged(by delta: Int) {
        delta > 0 ? inFlight.increment(by: Double(delta)) : inFlight.decrement(by: Double(-delta))
    }

    /// Counts a 429 pingate answered itself.
    func rejected(budget: String, client: String) {
        let clientLabel = clientLabels.withLock { labels -> String in
            if labels.contains(client) { return client }
            if labels.count < Self.maxClientLabels { labels.insert(client); return client }
            return "other"
        }
        counter("pingate_ratelimit_rejections_total", [("budget", budget), ("client", clientLabel)]).increment()
    }

    /// Counts a request refused for its client token (`pingate_token_refusals_total{reason}`: `missing`, `unknown`
    /// (unknown, revoked or expired), `forbidden` (outside the token's rules), `throttled` (too many failures)).
    func tokenRefused(reason: String) {
        counter("pingate_token_refusals_total", [("reason", reason)]).increment()
    }

    /// Counts a retry on a new connection by reason (`connect_refused`, `stale_connection`).
    func upstreamRetry(reason: String) {
        counter("pingate_upstream_retries_total", [("reason", reason)]).increment()
    }

    /// Sets `pingate_upstream_breaker_state` (0 closed, 1 open, 2 half-open).
    func breakerState(_ value: Int) {
        breakerGauge.record(value)
    }

    /// Counts a breaker state change (`pingate_upstream_breaker_transitions_total{to}`).
    func breakerTransition(to state: String) {
        counter("pingate_upstream_breaker_transitions_total", [("to", state)]).increment()
    }

    /// `pingate_redis_up`: 1 while the shared store answers.
    func redisUp(_ up: Bool) {
        redisGauge.record(up ? 1 : 0)
    }

    /// Counts a failed Redis call by operation (`pingate_redis_errors_total{op}`).
    func redisError(operation: String) {
        counter("pingate_redis_errors_total", [("op", operation)]).increment()
    }

    /// Records one Redis round trip (`pingate_redis_roundtrip_seconds`).
    func redisRoundTrip(_ duration: TimeAmount) {
        redisLatency.recordNanoseconds(duration.nanoseconds)
    }

    /// Counts a new upstream connection (TCP connected, TLS verified): with keep-alive, far fewer than requests.
    func upstreamConnectionOpened() {
        counter("pingate_upstream_connections_opened_total", []).increment()
    }

    /// Counts an upstream failure by kind (`connect_refused`, `read_timeout`, …).
    func upstreamError(kind: String) {
        counter("pingate_upstream_errors_total", [("kind", kind)]).increment()
    }

    /// The counter `label` with these (bounded) label values, made on first use.
    private func counter(_ label: String, _ dimensions: [(String, String)]) -> CoreMetrics.Counter {
        let key = LabelledKey(label: label, values: dimensions.map(\.1))
        return labelledCounters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = CoreMetrics.Counter(label: label, dimensions: dimensions, factory: factory)
            counters[key] = counter
            return counter
        }
    }

    /// Counts a vault reload attempt.
    public func vaultReload(succeeded: Bool) {
        (succeeded ? vaultReloadsOK : vaultReloadsFailed).increment()
    }

    // MARK: - Exposition

    /// The Prometheus text exposition, with cache statistics brought up to date first.
    func render(cache: CacheStatistics?) -> ByteBuffer {
        ByteBuffer(bytes: exposition(cache: cache))
    }

    /// The same exposition read back, for the dashboard: its numbers are the ones a scrape at this instant returns.
    func reading(cache: CacheStatistics?) -> MetricsReading {
        MetricsReading(exposition: exposition(cache: cache))
    }

    private func exposition(cache: CacheStatistics?) -> [UInt8] {
        if let cache {
            let previous = reportedCache.withLock { reported in
                let previous = reported
                reported = cache
                return previous
            }
            if cache.hits > previous.hits { cacheHits.increment(by: cache.hits - previous.hits) }
            if cache.misses > previous.misses { cacheMisses.increment(by: cache.misses - previous.misses) }
            if cache.evictions > previous.evictions { cacheEvictions.increment(by: cache.evictions - previous.evictions) }
            if cache.stores > previous.stores { cacheStores.increment(by: cache.stores - previous.stores) }
            cacheBytes.record(cache.bytes)
            cacheEntries.record(cache.entries)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8192)
        registry.emit(into: &bytes)
        return bytes
    }
}
