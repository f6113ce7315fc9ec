import GatewayCache
import GatewayLimits
import PingateCore

/// `GET /_pingate/stats`: everything the dashboard (`/_pingate/`) and `pingate status` show, as one JSON object
/// assembled on demand.
///
/// Totals since start are read back from the metrics exposition (``MetricsReading``), so they are the numbers a
/// Prometheus scrape at that instant returns; the last minutes, the last requests and the per-client counts come
/// from the ``TrafficWindow``; budget levels, breaker and pause states from the limiter and the breakers. Nothing
/// here is a secret: paths are redacted as in the access log, and no token, key or header value is shown.
enum DashboardStats {
    /// Clients listed, by requests.
    static let maxClients = 20
    /// Cached targets listed, by hits.
    static let maxCachedTargets = 10

    /// The JSON text of the stats at this instant.
    static func json(state: GatewayState) -> String {
        let now = state.clock.now(), wallClock = state.clock.wallClockSeconds()
        let statistics = state.cache?.statistics
        let metrics = state.metrics.reading(cache: statistics)
        let window = state.window.snapshot(now: now)

        var json = JSONWriter(capacity: 32 * 1024)
        json.beginObject()
        json.member("version", state.instance.version)
        json.member("now", AccessLog.timestamp(wallClock))
        json.member("started", AccessLog.timestamp(state.startedWallClock))
        json.member("uptime_s", Int((now - state.started).components.seconds))
        json.member("vault", state.instance.vaultPath)
        json.key("last_reload")
        if let reload = state.instance.lastReload {
            json.beginObject()
            json.member("time", AccessLog.timestamp(reload.time))
            json.member("result", reload.succeeded ? "ok" : "failed")
            json.endObject()
        } else {
            json.null()
        }
        requests(into: &json, metrics: metrics, window: window)
        upstream(into: &json, state: state, now: now, metrics: metrics, window: window)
        budgets(into: &json, state: state, now: now, metrics: metrics, window: window)
        cache(into: &json, state: state, statistics: statistics, metrics: metrics, window: window)
        series(into: &json, window: window)
        recent(into: &json, window: window)
        json.endObject()
        return json.text
    }

    // MARK: - Sections

    private static func requests(into json: inout JSONWriter, metrics: MetricsReading, window: TrafficWindow.Snapshot) {
        json.key("requests")
        json.beginObject()
        json.member("total", Int(metrics.total("pingate_requests_total")))
        json.member("proxied", Int(metrics.total("pingate_requests_total") { $0["route"] != "admin" }))
        json.member("in_flight", Int(metrics.total("pingate_inflight_requests")))
        json.member("last_minute", window.requestsLastMinute)
        json.member("per_second", rate(window.requestsLastMinute, over: window.minuteSpan))
        json.endObject()
    }

    private static func upstream(
        into json: inout JSONWriter, state: GatewayState, now: Duration, metrics: MetricsReading, window: TrafficWindow.Snapshot
    ) {
        let pauses = state.limiter.pushbackPauses(now: now)
        json.key("upstream")
        json.beginObject()
        endpoint(into: &json, state.configuration.upstream, state: state, now: now, pauses: pauses)
        json.member("requests_last_second", window.upstreamLastSecond)
        json.member("requests_last_minute", window.upstreamLastMinute)
        json.member("requests_per_second", rate(window.upstreamLastMinute, over: window.minuteSpan))
        json.key("latency_ms")
        json.beginObject()
        json.key("p50")
        optionalNumber(LatencyBuckets.quantile(0.5, of: window.latency), into: &json)
        json.key("p99")
        optionalNumber(LatencyBuckets.quantile(0.99, of: window.latency), into: &json)
        json.member("samples", window.latency.reduce(0) { $0 + Int($1) })
        json.endObject()
        json.key("errors")
        counts(metrics.totals("pingate_upstream_errors_total", by: "kind"), into: &json)
        json.member("retries", Int(metrics.total("pingate_upstream_retries_total")))
        json.member("connections_opened", Int(metrics.total("pingate_upstream_connections_opened_total")))
        json.key("other_routes")
        json.beginArray()
        for route in state.configuration.extraRoutes.sorted(by: { $0.name < $1.name }) {
            json.beginObject()
            json.member("route", route.name)
            json.member("prefix", route.prefix)
            endpoint(into: &json, route.upstream, state: state, now: now, pauses: pauses)
            json.endObject()
        }
        json.endArray()
        json.endObject()
    }

    /// `url`, `breaker`, `breaker_retry_s` and `paused_s` of one upstream.
    private static func endpoint(
        into json: inout JSONWriter, _ upstream: UpstreamEndpoint, state: GatewayState, now: Duration, pauses: [String: Duration]
    ) {
        json.member("url", upstream.description)
        let breaker = state.breakers.state(of: upstream, now: now)
        json.member("breaker", breaker.name)
        json.key("breaker_retry_s")
        optionalNumber(breaker.opensIn.map(seconds), into: &json)
        // Pushback applies to the upstream's own scope and to its scopes per rate class.
        let paused = pauses.filter { $0.key == upstream.origin || $0.key.hasPrefix(upstream.origin + " ") }.values.max()
        json.member("paused_s", paused.map(seconds) ?? 0)
    }

    private static func budgets(
        into json: inout JSONWriter, state: GatewayState, now: Duration, metrics: MetricsReading, window: TrafficWindow.Snapshot
    ) {
        let configured = state.budgets
        // With a reachable shared store the budgets live in Redis: this instance cannot say what remains.
        let remainingKnown = !(state.shared?.isAvailable ?? false)
        let clients = window.clients.sorted { ($0.requests, $0.requestsLastMinute) > ($1.requests, $1.requestsLastMinute) }
            .prefix(maxClients)
        let levels = state.limiter.levels(now: now, clients: clients.map(\.client))
        let rejectedTotal = metrics.totals("pingate_ratelimit_rejections_total", by: "budget")

        json.key("budgets")
        json.beginObject()
        json.member("shared", state.shared != nil)
        json.member("max_wait_ms", Int(seconds(configured.maxWait) * 1000))
        json.key("list")
        json.beginArray()
        var listed: Set<String> = []
        func row(_ name: String, _ budget: RateBudget?, remaining: Int?) {
            listed.insert(name)
            json.beginObject()
            json.member("name", name)
            json.key("rate")
            optionalNumber(budget?.rate, into: &json)
            json.key("burst")
            optionalNumber(budget.map { Double($0.burst) }, into: &json)
            json.key("remaining")
            optionalNumber(remainingKnown ? remaining.map(Double.init) : nil, into: &json)
            json.member("rejected_last_minute", window.rejectedLastMinute[name] ?? 0)
            json.member("rejected_total", Int(rejectedTotal[name] ?? 0))
            json.endObject()
        }
        if let upstream = configured.upstream { row(BudgetName.upstream, upstream, remaining: levels.upstream?.remaining) }
        for (name, budget) in configured.classBudgets.sorted(by: { $0.key < $1.key }) {
            row(name, budget, remaining: levels.classes[name]?.remaining)
        }
        if let client = configured.client { row(BudgetName.client, client, remaining: nil) }
        // Budgets that refused requests without being configured here now: upstream pushback, or one a reload removed.
        let others = Set(rejectedTotal.keys).union(window.rejectedLastMinute.keys).subtracting(listed).sorted()
        for name in others { row(name, nil, remaining: nil) }
        json.endArray()

        json.key("client_budget")
        if let client = configured.client {
            json.beginObject()
            json.member("rate", client.rate)
            json.member("burst", client.burst)
            json.endObject()
        } else {
            json.null()
        }
        json.key("clients")
        json.beginArray()
        for client in clients {
            json.beginObject()
            json.member("client", client.client)
            json.member("requests", client.requests)
            json.member("requests_last_minute", client.requestsLastMinute)
            json.member("rejected_last_minute", client.rejectedLastMinute)
            json.key("remaining")
            let folded = client.client == TrafficWindow.otherName
            optionalNumber(remainingKnown && !folded ? levels.clients[client.client].map { Double($0.remaining) } : nil, into: &json)
            json.endObject()
        }
        json.endArray()
        json.endObject()
    }

    private static func cache(
        into json: inout JSONWriter, state: GatewayState, statistics: CacheStatistics?, metrics: MetricsReading,
        window: TrafficWindow.Snapshot
    ) {
        json.key("cache")
        json.beginObject()
        guard let cache = state.cache, let statistics else {
            json.member("enabled", false)
            json.endObject()
            return
        }
        let hits = Int(metrics.total("pingate_cache_hits_total"))
        let misses = Int(metrics.total("pingate_cache_misses_total"))
        json.member("enabled", true)
        json.member("entries", Int(metrics.total("pingate_cache_entries")))
        json.member("bytes", Int(metrics.total("pingate_cache_bytes")))
        json.member("max_bytes", cache.configuration.maxBytes)
        json.member("hits", hits)
        json.member("misses", misses)
        json.key("hit_ratio")
        optionalNumber(ratio(hits, of: hits + misses), into: &json)
        json.key("hit_ratio_last_minute")
        optionalNumber(ratio(window.cacheHitsLastMinute, of: window.cacheHitsLastMinute + window.cacheMissesLastMinute), into: &json)
        json.member("stores", Int(metrics.total("pingate_cache_stores_total")))
        json.member("evictions", Int(metrics.total("pingate_cache_evictions_total")))
        json.member("invalidations", statistics.invalidations)
        json.key("top")
        json.beginArray()
        for entry in cache.mostRequested(limit: maxCachedTargets) {
            json.beginObject()
            json.member("target", AccessLog.redactedTarget(entry.target))
            json.member("route", entry.profile)
            json.member("hits", entry.hits)
            json.endObject()
        }
        json.endArray()
        json.endObject()
    }

    private static func series(into json: inout JSONWriter, window: TrafficWindow.Snapshot) {
        json.key("series")
        json.beginObject()
        json.member("step_s", 1)
        for (name, values) in [("hits", window.hits), ("forwarded", window.forwarded), ("refused", window.refused)] {
            json.key(name)
            json.beginArray()
            for value in values { json.number(value) }
            json.endArray()
        }
        json.endObject()
    }

    private static func recent(into json: inout JSONWriter, window: TrafficWindow.Snapshot) {
        json.key("recent")
        json.beginArray()
        for request in window.recent {
            json.beginObject()
            json.member("time", AccessLog.timestamp(request.time))
            json.member("client", request.client)
            json.member("method", request.method)
            json.member("path", AccessLog.redactedTarget(request.target))
            json.member("status", request.status)
            json.member("cache", request.cacheStatus)
            json.member("duration_ms", AccessLog.milliseconds(request.duration))
            json.endObject()
        }
        json.endArray()
    }

    // MARK: - Helpers

    private static func counts(_ counts: [String: Double], into json: inout JSONWriter) {
        json.beginObject()
        for (name, count) in counts.sorted(by: { $0.key < $1.key }) { json.member(name, Int(count)) }
        json.endObject()
    }

    private static func optionalNumber(_ value: Double?, into json: inout JSONWriter) {
        if let value { json.number(value.rounded(toPlaces: 3)) } else { json.null() }
    }

    private static func rate(_ count: Int, over seconds: Int) -> Double {
        (Double(count) / Double(max(1, seconds))).rounded(toPlaces: 3)
    }

    private static func ratio(_ part: Int, of whole: Int) -> Double? {
        whole == 0 ? nil : Double(part) / Double(whole)
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
