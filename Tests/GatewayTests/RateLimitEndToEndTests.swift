import AsyncHTTPClient
import FakeW3IPFS
import Foundation
import Gateway
import GatewayLimits
import NIOCore
import Testing

/// Rate limits through the real server: budgets, cached hits, upstream pushback, per-client shares.
@Suite("Rate limits end to end", .timeLimit(.minutes(3)))
struct RateLimitEndToEndTests {
    static let list = "/api/pinning/pins/"

    @Test("over budget: 429 with Retry-After and RateLimit headers, and no upstream call")
    func overBudget() async throws {
        try await GatewayHarness.run(configure: { $0.rateLimits = .init(upstream: RateBudget(rate: 0.01, burst: 2)); $0.cache = nil }) { h in
            h.upstream.resetLog()
            let first = try await h.send(.GET, Self.list)
            let second = try await h.send(.GET, Self.list)
            #expect(first.status == 200 && second.status == 200)
            #expect(first.headers["ratelimit-policy"].first?.contains("\"upstream\"") == true)
            #expect(first.headers["ratelimit"].first?.contains("r=1") == true)
            let third = try await h.send(.GET, Self.list)
            #expect(third.status == 429)
            let retryAfter = try #require(third.headers["retry-after"].first.flatMap { Int($0) })
            #expect(retryAfter >= 1)
            #expect(third.headers["ratelimit-policy"].isEmpty == false)
            #expect(third.json?["budget"] as? String == "upstream")
            #expect((third.json?["client"] as? String)?.hasPrefix("addr:127.0.0.1") == true)
            #expect(h.upstream.requestCount == 2)
        }
    }

    @Test("cached hits pass while the upstream budget is empty")
    func hitsIgnoreBudget() async throws {
        try await GatewayHarness.run(configure: { $0.rateLimits = .init(upstream: RateBudget(rate: 0.01, burst: 1)) }) { h in
            #expect(try await h.send(.GET, Self.list).status == 200)
            #expect(try await h.send(.GET, "/api/pinning/pins/?limit=2").status == 429)
            for _ in 0..<5 {
                let hit = try await h.send(.GET, Self.list)
                #expect(hit.status == 200)
                #expect(hit.headers["cache-status"] == ["pingate; hit"])
            }
        }
    }

    @Test("an upstream 429 with Retry-After pauses forwarding, which resumes on time")
    func upstreamPushback() async throws {
        let clock = ManualClock()
        try await GatewayHarness.run(clock: clock.gatewayClock, configure: { $0.cache = nil }) { h in
            h.upstream.updateFaults {
                $0.forcedResponse = .tooManyRequests(retryAfterSeconds: 5)
                $0.remainingForcedResponses = 1
            }
            h.upstream.resetLog()
            let pushed = try await h.send(.GET, Self.list)
            #expect(pushed.status == 429)
            #expect(h.upstream.requestCount == 1)
            let paused = try await h.send(.GET, Self.list)
            #expect(paused.status == 429)
            #expect(paused.json?["budget"] as? String == BudgetName.upstreamPushback)
            #expect(paused.headers["retry-after"] == ["5"])
            #expect(h.upstream.requestCount == 1)
            clock.advance(by: .seconds(3))
            #expect(try await h.send(.GET, Self.list).headers["retry-after"] == ["2"])
            #expect(h.upstream.requestCount == 1)
            clock.advance(by: .seconds(2))
            #expect(try await h.send(.GET, Self.list).status == 200)
            #expect(h.upstream.requestCount == 2)
        }
    }

    @Test("two clients with different identities each get their own share")
    func perClientShares() async throws {
        try await GatewayHarness.run(configure: {
            $0.rateLimits = .init(client: RateBudget(rate: 0.01, burst: 2))
            $0.cache = nil
        }) { h in
            for client in ["tool-a", "tool-b"] {
                #expect(try await h.send(.GET, Self.list, headers: [("X-Pingate-Client", client)]).status == 200)
                #expect(try await h.send(.GET, Self.list, headers: [("X-Pingate-Client", client)]).status == 200)
            }
            let rejected = try await h.send(.GET, Self.list, headers: [("X-Pingate-Client", "tool-a")])
            #expect(rejected.status == 429)
            #expect(rejected.json?["budget"] as? String == "client")
            #expect(rejected.json?["client"] as? String == "client:tool-a")
            #expect(try await h.send(.GET, Self.list, headers: [("X-Pingate-Client", "tool-c")]).status == 200)
        }
    }

    @Test("with a wait budget, an over-budget request is queued and forwarded when its slot comes")
    func queueing() async throws {
        try await GatewayHarness.run(configure: {
            $0.rateLimits = .init(upstream: RateBudget(rate: 20, burst: 1), maxWait: .seconds(2))
            $0.cache = nil
        }) { h in
            h.upstream.resetLog()
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<4 { group.addTask { try await h.send(.GET, Self.list).status } }
                var statuses: [Int] = []
                for try await status in group { statuses.append(status) }
                return statuses
            }
            #expect(statuses == [200, 200, 200, 200])
            #expect(h.upstream.requestCount == 4)
        }
    }
}
