import FakeW3IPFS
import Foundation
import Gateway
import GatewayLimits
import Synchronization
import Testing

/// `GET /_pingate/stats` and the dashboard's page through the real server: the numbers agree with the metrics, the
/// last requests are redacted as in the access log, nothing is shared with another origin.
@Suite("Dashboard: stats and page end to end", .timeLimit(.minutes(3)))
struct DashboardStatsTests {
    static let list = "/api/pinning/pins/?limit=3"
    /// The last request: a secret-looking query value the stats must not show.
    static let last = "/api/pinning/pins/?limit=7&token=sekrit-value&sortBy=name"

    @Test("stats: hits, forwards and refusals, per client and per budget; the last request's path redacted as in the access log; totals equal the metrics")
    func statsEndToEnd() async throws {
        let lines = Mutex<[String]>([])
        let log = AccessLog(format: .json) { text in lines.withLock { $0.append(text) } }
        // A clock that moves only when told: every request falls in one second, and budgets do not refill.
        let clock = ManualClock()
        try await GatewayHarness.run(clock: clock.gatewayClock, accessLog: log, configure: {
            $0.rateLimits = .init(client: RateBudget(rate: 0.001, burst: 6))
        }) { h in
            let a = [("X-Pingate-Client", "dash-a")], b = [("X-Pingate-Client", "dash-b")]
            #expect(try await h.send(.GET, Self.list, headers: a).headers["cache-status"] == ["pingate; fwd=miss; stored"])
            for _ in 0..<3 { #expect(try await h.send(.GET, Self.list, headers: a).status == 200) }
            for _ in 0..<6 { #expect(try await h.send(.GET, Self.list, headers: b).headers["cache-status"] == ["pingate; hit"]) }
            #expect(try await h.send(.GET, Self.list, headers: b).status == 429)
            #expect(try await h.send(.GET, Self.last, headers: a + [("X-Request-Id", "the-last-one")]).status == 200)
            clock.advance(by: .seconds(1))  // the series holds complete seconds

            let reply = try await h.send(.GET, "/_pingate/stats")
            #expect(reply.status == 200)
            #expect(reply.headers["content-type"] == ["application/json"])
            #expect(reply.headers["cache-control"] == ["no-store"])
            let stats = try #require(reply.json, "stats is not a JSON object: \(reply.text)")
            let cache = try #require(stats["cache"] as? [String: Any])
            // The cache counts the refused request's lookup as a hit too (as `pingate_cache_hits_total` does); the
            // series counts what was answered from the cache.
            #expect(cache["hits"] as? Int == 10)
            #expect(cache["misses"] as? Int == 2)
            #expect(cache["stores"] as? Int == 2)
            #expect(cache["entries"] as? Int == 2)
            #expect(cache["hit_ratio_last_minute"] as? Double == 0.818)  // 9 answered from the cache of 11
            let top = try #require(cache["top"] as? [[String: Any]])
            #expect(top.first?["target"] as? String == Self.list && top.first?["hits"] as? Int == 10)

            let series = try #require(stats["series"] as? [String: Any])
            let sums = ["hits", "forwarded", "refused"].map { ((series[$0] as? [Int]) ?? []).reduce(0, +) }
            #expect(sums == [9, 2, 1], "hits, forwarded, refused")
            #expect((series["hits"] as? [Int])?.count == 300)

            let upstream = try #require(stats["upstream"] as? [String: Any])
            #expect(upstream["url"] as? String == h.upstreamURL)
            #expect(upstream["breaker"] as? String == "closed")
            #expect(upstream["requests_last_minute"] as? Int == 2)
            #expect((upstream["latency_ms"] as? [String: Any])?["samples"] as? Int == 2)

            let budgets = try #require(stats["budgets"] as? [String: Any])
            let client = try #require((budgets["list"] as? [[String: Any]])?.first { $0["name"] as? String == "client" })
            #expect(client["rejected_last_minute"] as? Int == 1 && client["rejected_total"] as? Int == 1)
            let clients = try #require(budgets["clients"] as? [[String: Any]])
            #expect(clients.map { $0["client"] as? String } == ["client:dash-b", "client:dash-a"])
            #expect(clients.map { $0["requests"] as? Int } == [7, 5])
            #expect(clients.map { $0["rejected_last_minute"] as? Int } == [1, 0])
            #expect(clients.map { $0["remaining"] as? Int } == [0, 1])

            let recent = try #require(stats["recent"] as? [[String: Any]])
            #expect(recent.count == 12, "pingate's own endpoints are not listed")
            let newest = try #require(recent.first)
            log.flush()
            let logged = try #require(lines.withLock { $0.joined() }.split(separator: "\n")
                .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                .first { $0["request_id"] as? String == "the-last-one" })
            #expect(newest["path"] as? String == logged["path"] as? String)
            #expect(newest["path"] as? String == "/api/pinning/pins/?limit=7&token=REDACTED&sortBy=name")
            #expect(newest["client"] as? String == "client:dash-a" && newest["status"] as? Int == 200)
            #expect(newest["cache"] as? String == "pingate; fwd=miss; stored")
            #expect(recent[1]["status"] as? Int == 429)
            #expect(!reply.text.contains("sekrit-value"))
            #expect(!reply.text.contains(TestVault.apiKey) && !reply.text.contains(TestVault.secretKey))

            // The same instant's scrape: every total the stats show is the metrics' own.
            let metrics = try PrometheusText.parse(try await h.send(.GET, "/_pingate/metrics").text)
            func total(_ name: String, where filter: ([String: String]) -> Bool = { _ in true }) -> Int {
                Int((metrics[name]?.samples ?? []).filter { filter($0.labels) }.reduce(0) { $0 + $1.value })
            }
            #expect(cache["hits"] as? Int == total("pingate_cache_hits_total"))
            #expect(cache["misses"] as? Int == total("pingate_cache_misses_total"))
            #expect(cache["stores"] as? Int == total("pingate_cache_stores_total"))
            #expect(cache["bytes"] as? Int == total("pingate_cache_bytes"))
            let requests = try #require(stats["requests"] as? [String: Any])
            #expect(requests["proxied"] as? Int == total("pingate_requests_total") { $0["route"] != "admin" })
            #expect(requests["proxied"] as? Int == 12)
            #expect(client["rejected_total"] as? Int == total("pingate_ratelimit_rejections_total") { $0["budget"] == "client" })
            #expect(upstream["connections_opened"] as? Int == total("pingate_upstream_connections_opened_total"))
        }
    }

    @Test("stats names upstream errors by kind, the breaker and what the budgets have left")
    func upstreamTrouble() async throws {
        try await ClosedPort.with { closedPort in
            try await GatewayHarness.run(upstreamURL: "http://127.0.0.1:\(closedPort)", configure: {
                $0.cache = nil
                $0.breaker = .init(failures: 2, openDuration: .seconds(60))
                $0.rateLimits = .init(upstream: RateBudget(rate: 0.001, burst: 10), classBudgets: ["read": RateBudget(rate: 0.001, burst: 5)])
            }) { h in
                for _ in 0..<2 { #expect(try await h.send(.GET, "/api/pinning/pins/").status == 502) }
                #expect(try await h.send(.GET, "/api/pinning/pins/").status == 503)  // the breaker is open
                let stats = try #require(try await h.send(.GET, "/_pingate/stats").json)
                let upstream = try #require(stats["upstream"] as? [String: Any])
                #expect(upstream["errors"] as? [String: Int] == ["connect_refused": 2])
                #expect(upstream["breaker"] as? String == "open")
                #expect((upstream["breaker_retry_s"] as? Double).map { $0 > 0 && $0 <= 60 } == true)
                let list = try #require((stats["budgets"] as? [String: Any])?["list"] as? [[String: Any]])
                #expect(list.map { $0["name"] as? String } == ["upstream", "read"])
                // Each failed request was admitted once more for its retry on a new connection.
                let admitted = 2 + (upstream["retries"] as? Int ?? 0)
                #expect(list.map { $0["remaining"] as? Int } == [10 - admitted, 5 - admitted])
                #expect(list.map { $0["burst"] as? Int } == [10, 5])
                #expect((stats["cache"] as? [String: Any])?["enabled"] as? Bool == false)
                let series = try #require(stats["series"] as? [String: Any])
                #expect(series["hits"] != nil)
            }
        }
    }

    @Test("the page, its script and its style sheet: same origin only, a strict Content-Security-Policy, nothing external")
    func page() async throws {
        try await GatewayHarness.run { h in
            let page = try await h.send(.GET, "/_pingate/")
            #expect(page.status == 200)
            #expect(page.headers["content-type"] == ["text/html; charset=utf-8"])
            let policy = try #require(page.headers["content-security-policy"].first)
            #expect(policy.contains("default-src 'none'") && policy.contains("script-src 'self'") && policy.contains("connect-src 'self'"))
            #expect(policy.contains("frame-ancestors 'none'") && !policy.contains("unsafe"))
            #expect(page.headers["x-content-type-options"] == ["nosniff"])
            #expect(page.text.contains(#"<script src="/_pingate/dashboard.js""#))
            #expect(!page.text.contains("<script>") && !page.text.contains("style="), "nothing inline")
            let script = try await h.send(.GET, "/_pingate/dashboard.js")
            #expect(script.status == 200 && script.headers["content-type"] == ["text/javascript; charset=utf-8"])
            #expect(script.text.contains("/_pingate/stats"))
            let style = try await h.send(.GET, "/_pingate/dashboard.css")
            #expect(style.status == 200 && style.headers["content-type"] == ["text/css; charset=utf-8"])
            // No address of another origin anywhere (the SVG namespace is a name, not a fetch).
            for text in [page.text, script.text.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: ""), style.text] {
                #expect(!text.contains("http://") && !text.contains("https://") && !text.contains("@import"))
            }

            let head = try await h.send(.HEAD, "/_pingate/")
            #expect(head.status == 200 && head.body.readableBytes == 0)
            #expect(try await h.send(.POST, "/_pingate/").status == 405)
            #expect(try await h.send(.POST, "/_pingate/stats").status == 405)
            let (bare, connection) = try await h.raw("GET /_pingate HTTP/1.1\r\nHost: localhost\r\n\r\n")
            #expect(bare?.status == 308 && bare?.header("location") == "/_pingate/")
            await connection.close()
        }
    }

    @Test("the page and stats obey the Host and Origin allow-lists and never carry Access-Control-Allow-Origin")
    func access() async throws {
        let origin = "http://tool.local:3000"
        try await GatewayHarness.run(configure: { $0.access = AccessPolicy(allowedOrigins: [origin]) }) { h in
            for path in ["/_pingate/", "/_pingate/stats", "/_pingate/dashboard.js"] {
                let (rebound, connection) = try await h.raw("GET \(path) HTTP/1.1\r\nHost: attacker.example\r\n\r\n")
                #expect(rebound?.status == 403, "\(path) with a foreign Host")
                await connection.close()
                #expect(try await h.send(.GET, path, headers: [("Origin", "http://evil.example")]).status == 403, "\(path) from a foreign Origin")
                let allowed = try await h.send(.GET, path, headers: [("Origin", origin)])
                #expect(allowed.status == 200)
                #expect(allowed.headers["access-control-allow-origin"].isEmpty, "\(path) is not shared with \(origin)")
            }
            // What an allowed origin gets on the API, for contrast.
            let api = try await h.send(.GET, "/api/pinning/pins/", headers: [("Origin", origin)])
            #expect(api.headers["access-control-allow-origin"] == [origin])
        }
    }

    @Test("with tokens required, the page and stats need one, like every admin endpoint but healthz and readyz")
    func tokens() async throws {
        let token = "dashboard-token-0123456789"
        try await GatewayHarness.run(configure: { $0.access = AccessPolicy(accessTokens: [Array(token.utf8)], requireToken: true) }) { h in
            for path in ["/_pingate/", "/_pingate/stats", "/_pingate/dashboard.js"] {
                #expect(try await h.send(.GET, path).status == 401, "\(path) without a token")
                #expect(try await h.send(.GET, path, headers: [("Authorization", "Bearer " + token)]).status == 200, "\(path) with one")
            }
            let stats = try await h.send(.GET, "/_pingate/stats", headers: [("X-Pingate-Token", token)]).text
            #expect(!stats.contains(token))
        }
    }
}
