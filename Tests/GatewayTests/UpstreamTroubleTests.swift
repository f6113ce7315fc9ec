import AsyncHTTPClient
import FakeW3IPFS
import Foundation
import Gateway
import GatewayLimits
import NIOCore
import Testing

/// Upstream trouble: pause only for what the upstream said about the account, fail fast when it is down (circuit
/// breaker, with an injected clock), retry only what is safe.
@Suite("Upstream trouble", .timeLimit(.minutes(3)))
struct UpstreamTroubleTests {
    static let list = "/api/pinning/pins/?limit=10"
    static let noStore = ("Cache-Control", "no-store")

    @Test("a 503 without Retry-After pauses nothing; a 503 with it and a 429 still pause")
    func pushbackOnlyWhenAsked() async throws {
        try await GatewayHarness.run(configure: { $0.cache = nil }) { h in
            h.upstream.updateFaults {
                $0.forcedResponse = .serviceUnavailable
                $0.remainingForcedResponses = 1
            }
            #expect(try await h.send(.GET, "/api/pinning/some-failing-pin").status == 503)
            for index in 0..<10 {
                let reply = try await h.send(.GET, "/api/pinning/pins/?limit=\(index + 1)")
                #expect(reply.status == 200, "no pause after a 503 without Retry-After (\(index))")
            }

            h.upstream.updateFaults {
                $0.forcedResponse = ForcedResponse(status: 503, headers: [("Retry-After", "30")])
                $0.remainingForcedResponses = 1
            }
            #expect(try await h.send(.GET, Self.list).status == 503)
            let paused = try await h.send(.GET, Self.list)
            #expect(paused.status == 429)
            #expect(paused.json?["budget"] as? String == BudgetName.upstreamPushback)
            #expect(paused.headers["retry-after"].first.flatMap(Int.init).map { $0 > 0 && $0 <= 30 } == true)
        }
        // Time stands still: the backoff a bare 429 starts cannot run out between the two requests on a slow machine.
        let clock = ManualClock()
        try await GatewayHarness.run(clock: clock.gatewayClock, configure: { $0.cache = nil }) { h in
            h.upstream.updateFaults {
                $0.forcedResponse = ForcedResponse(status: 429)
                $0.remainingForcedResponses = 1
            }
            #expect(try await h.send(.GET, Self.list).status == 429)
            let paused = try await h.send(.GET, Self.list)
            #expect(paused.status == 429 && paused.json?["budget"] as? String == BudgetName.upstreamPushback, "a 429 without Retry-After backs off")
            #expect(h.upstream.requestCount == 1)
        }
    }

    @Test("the breaker: after N failures requests get 503 upstream_down without reaching the upstream; hits and stale-if-error still served; one probe closes it")
    func breaker() async throws {
        let clock = ManualClock()
        try await GatewayHarness.run(clock: clock.gatewayClock, configure: {
            $0.breaker = .init(failures: 3, openDuration: .seconds(5))
            $0.cache?.defaultTTL = .seconds(60)
            $0.cache?.staleIfError = .seconds(600)
        }) { h in
            #expect(try await h.send(.GET, "/api/pinning/pins/?limit=2").status == 200)  // cached now, stale later
            clock.advance(by: .seconds(50))
            #expect(try await h.send(.GET, Self.list).status == 200)  // cached, fresh for 60 s
            clock.advance(by: .seconds(20))
            h.upstream.updateFaults { $0.forcedResponse = ForcedResponse(status: 502) }
            for index in 0..<3 {
                #expect(try await h.send(.GET, Self.list, headers: [Self.noStore]).status == 502, "failure \(index + 1)")
            }
            let before = h.upstream.requestCount
            let down = try await h.send(.POST, "/api/pinning/pinByHash", headers: [("Content-Type", "application/json")],
                                        body: .bytes(ByteBuffer(string: #"{"hash_to_pin":"Qmc1135ziMvmFG534i75E8HpJoLqzLzgKBxfjBV9cBsMAs"}"#)))
            #expect(down.status == 503)
            #expect(down.json?["error"] as? String == "upstream_down")
            #expect(down.headers["retry-after"] == ["5"])
            #expect(h.upstream.requestCount == before, "no request reaches the upstream while the breaker is open")
            #expect(try await h.send(.GET, Self.list).headers["cache-status"] == ["pingate; hit"], "a fresh entry is still a hit")
            let stale = try await h.send(.GET, "/api/pinning/pins/?limit=2")
            #expect(stale.status == 200 && stale.headers["cache-status"] == ["pingate; fwd=stale"], "a stale entry within stale-if-error is served")
            #expect(h.upstream.requestCount == before)
            #expect(try await h.send(.GET, "/_pingate/readyz").status == 503)
            var metrics = try await h.send(.GET, "/_pingate/metrics").text
            #expect(metrics.contains("pingate_upstream_breaker_state 1"))
            #expect(metrics.contains(#"pingate_upstream_breaker_transitions_total{to="open"} 1"#))

            // The upstream is back; after the open time one probe goes through and closes the breaker.
            h.upstream.updateFaults { $0.forcedResponse = nil }
            #expect(try await h.send(.GET, Self.list, headers: [Self.noStore]).status == 503, "still open: the clock has not moved")
            clock.advance(by: .seconds(5))
            #expect(try await h.send(.GET, Self.list, headers: [Self.noStore]).status == 200)
            #expect(h.upstream.requestCount == before + 1)
            for _ in 0..<3 {
                let status = try await h.send(.GET, Self.list, headers: [Self.noStore]).status
                #expect(status == 200)
            }
            #expect(try await h.send(.GET, "/_pingate/readyz").status == 200)
            metrics = try await h.send(.GET, "/_pingate/metrics").text
            #expect(metrics.contains("pingate_upstream_breaker_state 0"))
            #expect(metrics.contains(#"pingate_upstream_breaker_transitions_total{to="half_open"} 1"#))
            #expect(metrics.contains(#"pingate_upstream_breaker_transitions_total{to="closed"} 1"#))
        }
    }

    @Test("a half-open probe refused by a budget before it is sent lets the next request probe")
    func probeRefusedByBudget() async throws {
        let clock = ManualClock()
        try await GatewayHarness.run(clock: clock.gatewayClock, configure: {
            $0.cache = nil
            $0.breaker = .init(failures: 1, openDuration: .seconds(5))
            $0.rateLimits = .init(client: RateBudget(rate: 1.0 / 3600, burst: 1))
        }) { (h: GatewayHarness) async throws in
            h.upstream.updateFaults { $0.forcedResponse = ForcedResponse(status: 502) }
            #expect(try await h.send(.GET, Self.list, headers: [("X-Pingate-Client", "spent")]).status == 502)  // opens
            h.upstream.updateFaults { $0.forcedResponse = nil }
            clock.advance(by: .seconds(5))
            // The probe's client has no budget left: 429, nothing sent; the breaker must not wait for it forever.
            #expect(try await h.send(.GET, Self.list, headers: [("X-Pingate-Client", "spent")]).status == 429)
            #expect(try await h.send(.GET, Self.list, headers: [("X-Pingate-Client", "fresh")]).status == 200)
            #expect(try await h.send(.GET, "/_pingate/readyz").status == 200)
        }
    }

    @Test("a refused connection counts as a failure: the breaker opens and the next request is refused without a connect")
    func breakerOnRefusedConnections() async throws {
        try await ClosedPort.with { closedPort in
            try await GatewayHarness.run(upstreamURL: "http://127.0.0.1:\(closedPort)", configure: {
                $0.cache = nil
                $0.breaker = .init(failures: 2, openDuration: .seconds(60))
            }) { h in
                #expect(try await h.send(.GET, Self.list).status == 502)
                #expect(try await h.send(.GET, Self.list).status == 502)
                let down = try await h.send(.GET, Self.list)
                #expect(down.status == 503 && down.json?["error"] as? String == "upstream_down")
                let metrics = try await h.send(.GET, "/_pingate/metrics").text
                // Each failed request tried twice (a refused connection is retried once); the refused one none.
                #expect(metrics.contains(#"pingate_upstream_errors_total{kind="connect_refused"} 2"#))
                #expect(metrics.contains(#"pingate_upstream_retries_total{reason="connect_refused"} 2"#))
            }
        }
    }

    @Test("upstream.breaker.failures 0 turns the breaker off")
    func breakerOff() async throws {
        try await GatewayHarness.run(configure: {
            $0.cache = nil
            $0.breaker = .init(failures: 0)
        }) { h in
            h.upstream.updateFaults { $0.forcedResponse = ForcedResponse(status: 502) }
            for _ in 0..<8 {
                let status = try await h.send(.GET, Self.list).status
                #expect(status == 502)
            }
            #expect(h.upstream.requestCount == 8)
        }
    }

    @Test("a GET whose pooled connection the upstream closed while idle succeeds, with one counted retry")
    func staleKeepAliveRetried() async throws {
        let upstream = try await MisbehavingUpstream.start(.answerOnceThenCloseOnNext(MisbehavingUpstream.okAnswer))
        defer { Task { await upstream.stop() } }
        try await GatewayHarness.run(upstreamURL: upstream.url, configure: { $0.cache = nil }) { h in
            #expect(try await h.send(.GET, Self.list).status == 200)
            #expect(try await h.send(.GET, Self.list).status == 200, "the retry on a fresh connection answers")
            #expect(upstream.counts.heads == 3)
            #expect(upstream.counts.connections == 2)
            let metrics = try await h.send(.GET, "/_pingate/metrics").text
            #expect(metrics.contains(#"pingate_upstream_retries_total{reason="stale_connection"} 1"#))
        }
    }

    @Test("a POST whose connection is reset mid-body reaches the upstream once and gets a 502 (never retried)")
    func postNeverRetried() async throws {
        let upstream = try await MisbehavingUpstream.start(.resetAfterHead)
        defer { Task { await upstream.stop() } }
        try await GatewayHarness.run(upstreamURL: upstream.url, configure: {
            $0.cache = nil
            $0.breaker = .init(failures: 0)
        }) { h in
            let upload = GeneratedUpload(size: 4 << 20)
            let reply = try await h.send(.POST, "/api/pinning/", headers: [("Content-Type", upload.contentType)],
                                         body: .stream(upload, length: .known(Int64(upload.totalLength))))
            #expect(reply.status == 502)
            #expect(reply.json?["error"] as? String == "upstream_unavailable")
            #expect(upstream.counts.heads == 1)
            #expect(upstream.counts.connections == 1)
            #expect(!(try await h.send(.GET, "/_pingate/metrics").text).contains("pingate_upstream_retries_total"))
        }
    }
}
