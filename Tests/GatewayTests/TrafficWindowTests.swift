import Testing

@testable import Gateway

/// The dashboard's window and its helpers, without a server: fixed-size rings that forget what is older than they
/// cover, bounded names, latency quantiles, and the metrics read back from their exposition.
@Suite("Dashboard: traffic window")
struct TrafficWindowTests {
    /// A finished request at the start of second `second`.
    static func record(
        client: String = "client:t", target: String = "/api/pinning/pins/", status: Int = 200, route: String = "w3ipfs",
        cacheRole: ExchangeRecord.CacheRole = .none, upstream: Duration? = nil, rateLimit: String? = nil, second: Int64
    ) -> (ExchangeRecord, Duration) {
        var record = ExchangeRecord(route: route, method: "GET", target: target, client: client, requestID: "id", started: .seconds(second))
        record.status = status
        record.cacheRole = cacheRole
        record.rateLimit = rateLimit
        if let upstream {
            record.upstreamSentAt = .seconds(second)
            record.upstreamDuration = upstream
        }
        return (record, .seconds(second))
    }

    static func add(_ window: TrafficWindow, _ entry: (ExchangeRecord, Duration)) {
        window.record(entry.0, duration: .milliseconds(1), now: entry.1, wallClock: 1_000_000 + Double(entry.1.components.seconds))
    }

    @Test("each request lands in one series: hits, forwarded (or collapsed onto a forward), refused; admin requests in none")
    func classification() {
        let window = TrafficWindow(started: .seconds(100))
        Self.add(window, Self.record(cacheRole: .hit, second: 100))
        Self.add(window, Self.record(cacheRole: .missed(collapsed: false), upstream: .milliseconds(20), second: 100))
        Self.add(window, Self.record(cacheRole: .missed(collapsed: true), second: 100))
        Self.add(window, Self.record(cacheRole: .bypassed, upstream: .milliseconds(40), second: 101))
        Self.add(window, Self.record(status: 429, rateLimit: "rejected:client", second: 101))
        Self.add(window, Self.record(status: 503, second: 101))
        Self.add(window, Self.record(status: 499, second: 101))  // left while waiting: neither
        Self.add(window, Self.record(route: "admin", second: 101))

        let snapshot = window.snapshot(now: .seconds(102))
        #expect(snapshot.hits.count == TrafficWindow.seriesSeconds)
        #expect(Array(snapshot.hits.suffix(2)) == [1, 0])
        #expect(Array(snapshot.forwarded.suffix(2)) == [2, 1])
        #expect(Array(snapshot.refused.suffix(2)) == [0, 2])
        #expect(snapshot.requestsLastMinute == 7)
        #expect(snapshot.upstreamLastMinute == 2 && snapshot.upstreamLastSecond == 1)
        #expect(snapshot.cacheHitsLastMinute == 1 && snapshot.cacheMissesLastMinute == 2)
        #expect(snapshot.rejectedLastMinute == ["client": 1])
        #expect(snapshot.minuteSpan == 3)
        #expect(snapshot.recent.count == 7 && snapshot.recent.first?.status == 499)
        #expect(LatencyBuckets.quantile(0.5, of: snapshot.latency).map { $0 >= 16 && $0 <= 24 } == true)
        #expect(LatencyBuckets.quantile(0.99, of: snapshot.latency).map { $0 >= 32 && $0 <= 48 } == true)
    }

    @Test("the rings forget: the series keeps five minutes, the minute figures one; a ring slot reused by a later second starts at zero")
    func forgetting() {
        let window = TrafficWindow(started: .zero)
        Self.add(window, Self.record(client: "client:old", cacheRole: .hit, upstream: .milliseconds(5), rateLimit: "rejected:upstream", second: 10))
        var snapshot = window.snapshot(now: .seconds(69))
        #expect(snapshot.hits.reduce(0, +) == 1 && snapshot.rejectedLastMinute == ["upstream": 1])
        #expect(snapshot.latency.reduce(0, +) == 1)
        #expect(snapshot.clients.first?.requestsLastMinute == 1)

        snapshot = window.snapshot(now: .seconds(71))
        #expect(snapshot.hits.reduce(0, +) == 1, "still within five minutes")
        #expect(snapshot.rejectedLastMinute.isEmpty && snapshot.latency.reduce(0, +) == 0 && snapshot.requestsLastMinute == 0)
        #expect(snapshot.clients.first?.requests == 1 && snapshot.clients.first?.requestsLastMinute == 0)

        // Second 310 reuses second 10's slots in both rings.
        Self.add(window, Self.record(status: 429, rateLimit: "rejected:client", second: 310))
        snapshot = window.snapshot(now: .seconds(311))
        #expect(snapshot.hits.reduce(0, +) == 0 && snapshot.refused.reduce(0, +) == 1)
        #expect(snapshot.rejectedLastMinute == ["client": 1])
        #expect(snapshot.minuteSpan == 60)
    }

    @Test("bounded: 64 clients by name and the rest as `other`, 15 budgets by name, the last 100 requests")
    func bounds() {
        let window = TrafficWindow(started: .zero)
        for index in 0..<70 {
            Self.add(window, Self.record(client: "client:c\(index)", rateLimit: "rejected:class\(index % 20)", second: 5))
        }
        for index in 0..<150 { Self.add(window, Self.record(target: "/t/\(index)", second: 6)) }
        let snapshot = window.snapshot(now: .seconds(7))
        #expect(snapshot.clients.count == TrafficWindow.maxClients + 1)
        #expect(snapshot.clients.last?.client == "other" && snapshot.clients.last?.requests == 6 + 150)
        #expect(snapshot.clients.first?.client == "client:c0")
        #expect(snapshot.clients.first { $0.client == "client:t" } == nil, "a 71st name is folded too")
        #expect(snapshot.rejectedLastMinute.count == TrafficWindow.maxBudgets)
        #expect(snapshot.rejectedLastMinute["other"] == 15, "class15…class19, three each")
        #expect(snapshot.rejectedLastMinute.values.reduce(0, +) == 70)
        #expect(snapshot.recent.count == TrafficWindow.recentCapacity)
        #expect(snapshot.recent.first?.target == "/t/149" && snapshot.recent.last?.target == "/t/50")
    }

    @Test("latency buckets: at most 25 % wide, in order, and quantiles from them")
    func latencyBuckets() {
        var previous = -1
        for micros in [0, 1, 7, 8, 9, 15, 16, 100, 1000, 12_345, 1_000_000, 60_000_000] {
            let index = LatencyBuckets.index(nanoseconds: Int64(micros) * 1000)
            #expect(index >= previous, "\(micros) µs")
            previous = index
            let (lower, upper) = LatencyBuckets.bounds(of: index)
            #expect(Double(micros) >= lower && Double(micros) < upper, "\(micros) µs in [\(lower), \(upper))")
            if micros >= 8 { #expect(upper / lower <= 1.25 + 1e-9) }
        }
        #expect(LatencyBuckets.index(nanoseconds: .max) == LatencyBuckets.count - 1)
        #expect(LatencyBuckets.quantile(0.5, of: [UInt32](repeating: 0, count: LatencyBuckets.count)) == nil)
    }

    @Test("metrics are read back from their exposition: labels with escapes, histograms, sums by label")
    func metricsReading() {
        let text = """
        # HELP x
        # TYPE pingate_requests_total counter
        pingate_requests_total{route="w3ipfs",method="GET",status="200"} 7
        pingate_requests_total{route="admin",method="GET",status="200"} 3
        pingate_ratelimit_rejections_total{budget="client",client="client:a \\"quoted\\" \\\\ name"} 2
        pingate_inflight_requests 1.0
        pingate_upstream_duration_seconds_bucket{le="0.005"} 4
        """
        let reading = MetricsReading(exposition: Array(text.utf8))
        #expect(reading.total("pingate_requests_total") == 10)
        #expect(reading.total("pingate_requests_total") { $0["route"] != "admin" } == 7)
        #expect(reading.totals("pingate_ratelimit_rejections_total", by: "client") == [#"client:a "quoted" \ name"#: 2])
        #expect(reading.total("pingate_inflight_requests") == 1)
        #expect(reading.total("pingate_upstream_duration_seconds_bucket") { $0["le"] == "0.005" } == 4)
        #expect(reading.total("missing") == 0)
    }
}
