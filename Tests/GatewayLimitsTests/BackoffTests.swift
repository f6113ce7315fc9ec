import Testing
import PingateCore
@testable import GatewayLimits

// MARK: - Upstream pushback and exponential backoff

@Suite("Upstream pushback")
struct BackoffTests {
    @Test("429 with Retry-After seconds pauses all admissions, resumes exactly on time")
    func retryAfterSeconds() throws {
        let limiter = try makeLimiter(.init(upstream: RateBudget(rate: 10, burst: 5)))
        limiter.upstreamResponded(status: 429, retryAfter: "30", now: .seconds(10), wallClockSeconds: 1_700_000_000)
        let r = try #require(limiter.admit(routeClass: "r", client: "c", now: .seconds(10)).rejection)
        #expect(r.budget == "upstream-pushback" && r.retryAfter == .seconds(30) && r.retryAfterSeconds == 30)
        #expect(r.limit?.remaining == 0 && r.limit?.resetSeconds == 30 && r.limit?.budget == "upstream")

        let late = try #require(limiter.admit(routeClass: "r", client: "c", now: ms(39_500)).rejection)
        #expect(late.retryAfter == ms(500) && late.retryAfterSeconds == 1)
        #expect(limiter.admit(routeClass: "r", client: "c", now: .seconds(40) - .nanoseconds(1)).rejection != nil)
        #expect(limiter.pushbackRemaining(now: .seconds(40)) == nil)
        // The pause consumed no budget: the full burst is available on resumption.
        #expect(limiter.admitMany(10, now: .seconds(40)) == 5)
        #expect(limiter.counters.upstreamPushbacks == 1)
    }

    @Test("503 with an HTTP-date pauses until that wall-clock instant")
    func retryAfterHTTPDate() throws {
        let limiter = try makeLimiter(.init())
        let wall = 1_700_000_000.25
        let date = HTTPDate.format(epochSeconds: 1_700_000_045)
        limiter.upstreamResponded(status: 503, retryAfter: date, now: .seconds(100), wallClockSeconds: wall)
        #expect(limiter.pushbackRemaining(now: .seconds(100)) == ms(44_750))
        let r = try #require(limiter.admit(routeClass: "r", client: "c", now: .seconds(144)).rejection)
        #expect(r.retryAfter == ms(750) && r.retryAfterSeconds == 1 && r.limit == nil)
        #expect(limiter.admit(routeClass: "r", client: "c", now: ms(144_750)).isAllowed)
    }

    @Test("Retry-After edge cases: past date, zero, garbage, huge, shorter second pushback")
    func retryAfterEdgeCases() throws {
        var rng = SplitMix64(seed: 1)
        var b = UpstreamBackoff(configuration: .init(base: .seconds(1), cap: .seconds(60), jitter: .none, maxPause: .seconds(3600)))
        let wall = 1_700_000_000.0
        #expect(b.record(status: 429, retryAfter: HTTPDate.format(epochSeconds: 1_600_000_000),
                         now: .zero, wallClockSeconds: wall, using: &rng) == nil)
        #expect(b.record(status: 429, retryAfter: "0", now: .zero, wallClockSeconds: wall, using: &rng) == nil)
        #expect(b.pausedUntil == nil)
        // Unparsable → exponential (third consecutive pushback: 4 s).
        #expect(b.record(status: 429, retryAfter: "soon", now: .zero, wallClockSeconds: wall, using: &rng) == .seconds(4))
        // Absurd values are clamped to maxPause.
        #expect(b.record(status: 503, retryAfter: "99999999999999999999999", now: .zero, wallClockSeconds: wall, using: &rng) == .seconds(3600))
        // A shorter pushback never shortens the pause.
        b.record(status: 429, retryAfter: "5", now: .seconds(10), wallClockSeconds: wall, using: &rng)
        #expect(b.pausedUntil == .seconds(3600))
        // 500 is not a rate signal: no pause change, no reset.
        let count = b.consecutivePushbacks
        #expect(b.record(status: 500, retryAfter: "100000", now: .zero, wallClockSeconds: wall, using: &rng) == nil)
        #expect(b.consecutivePushbacks == count)
    }

    @Test("exponential backoff doubles to the cap and resets on success")
    func exponentialNoJitter() {
        var rng = SplitMix64(seed: 7)
        var b = UpstreamBackoff(configuration: .init(base: .seconds(1), cap: .seconds(8), jitter: .none))
        var pauses: [Duration?] = []
        for i in 0..<5 {
            pauses.append(b.record(status: 429, retryAfter: nil, now: .seconds(Int64(i)), wallClockSeconds: 0, using: &rng))
        }
        #expect(pauses == [1, 2, 4, 8, 8].map { Duration.seconds($0) })
        b.record(status: 200, retryAfter: nil, now: .seconds(5), wallClockSeconds: 0, using: &rng)
        #expect(b.consecutivePushbacks == 0)
        #expect(b.record(status: 429, retryAfter: nil, now: .seconds(100), wallClockSeconds: 0, using: &rng) == .seconds(1))
        #expect(b.remainingPause(now: .seconds(100)) == .seconds(1))
        #expect(b.remainingPause(now: .seconds(101)) == nil)
    }

    @Test("only what the upstream said about the account pauses: 429 with or without Retry-After, 503 only with it; other 5xx never")
    func whatPauses() {
        var rng = SplitMix64(seed: 7)
        var b = UpstreamBackoff(configuration: .init(base: .seconds(1), cap: .seconds(8), jitter: .none))
        #expect(b.record(status: 503, retryAfter: nil, now: .zero, wallClockSeconds: 0, using: &rng) == nil)
        #expect(b.record(status: 503, retryAfter: "soon", now: .zero, wallClockSeconds: 0, using: &rng) == nil, "an unparsable Retry-After is none")
        for status in [500, 502, 504] {
            #expect(b.record(status: status, retryAfter: "5", now: .zero, wallClockSeconds: 0, using: &rng) == nil)
        }
        #expect(b.remainingPause(now: .zero) == nil)
        #expect(b.consecutivePushbacks == 0)
        #expect(b.record(status: 503, retryAfter: "3", now: .zero, wallClockSeconds: 0, using: &rng) == .seconds(3))
        #expect(b.record(status: 429, retryAfter: nil, now: .zero, wallClockSeconds: 0, using: &rng) == .seconds(2), "the second pushback in a row")
    }

    @Test("pushback pauses only its own scope (an upstream, or an upstream and a class)")
    func scopedPushback() throws {
        let limiter = try RateLimiter(configuration: .init())
        limiter.upstreamResponded(status: 429, retryAfter: "10", now: .zero, wallClockSeconds: 0, pushbackScope: "https://a upload")
        guard case .rejected(let rejection) = limiter.admit(routeClass: "upload", client: "c", now: .seconds(1), pushbackScope: "https://a upload") else {
            Issue.record("the paused scope must refuse")
            return
        }
        #expect(rejection.budget == BudgetName.upstreamPushback)
        #expect(rejection.retryAfter == .seconds(9))
        guard case .allowed = limiter.admit(routeClass: "read", client: "c", now: .seconds(1), pushbackScope: "https://a read"),
              case .allowed = limiter.admit(routeClass: "", client: "c", now: .seconds(1), pushbackScope: "https://b")
        else {
            Issue.record("other scopes are not paused")
            return
        }
        #expect(limiter.pushbackPauses(now: .seconds(1)) == ["https://a upload": .seconds(9)])
    }

    @Test("jitter is deterministic with an injected generator and stays within bounds",
          arguments: [UpstreamBackoff.Jitter.full, .equal])
    func jitterBounds(jitter: UpstreamBackoff.Jitter) {
        func run(seed: UInt64) -> [Duration] {
            var rng = SplitMix64(seed: seed)
            var b = UpstreamBackoff(configuration: .init(base: .seconds(1), cap: .seconds(60), jitter: jitter))
            return (0..<12).map { i in
                b.record(status: 429, retryAfter: nil, now: .seconds(Int64(i) * 1000), wallClockSeconds: 0, using: &rng) ?? .zero
            }
        }
        let pauses = run(seed: 99)
        #expect(pauses == run(seed: 99))
        #expect(pauses != run(seed: 100))
        for (i, pause) in pauses.enumerated() {
            let ceiling = Duration.seconds(min(60, 1 << i))
            #expect(pause <= ceiling)
            if jitter == .equal { #expect(pause >= ceiling / 2) }
        }
    }

    @Test("limiter: pushback without Retry-After uses jittered backoff; success resets it")
    func limiterBackoff() throws {
        let limiter = try makeLimiter(.init(backoff: .init(base: .seconds(2), cap: .seconds(60), jitter: .equal)), seed: 5)
        limiter.upstreamResponded(status: 429, retryAfter: nil, now: .zero, wallClockSeconds: 0)
        let pause = try #require(limiter.pushbackRemaining(now: .zero))
        #expect(pause >= .seconds(1) && pause <= .seconds(2))
        let r = try #require(limiter.admit(routeClass: "r", client: "c", now: pause - .nanoseconds(1)).rejection)
        #expect(r.retryAfter == .nanoseconds(1) && r.retryAfterSeconds == 1)
        #expect(limiter.admit(routeClass: "r", client: "c", now: pause).isAllowed)

        limiter.upstreamResponded(status: 429, retryAfter: nil, now: .seconds(10), wallClockSeconds: 0)
        let second = try #require(limiter.pushbackRemaining(now: .seconds(10)))
        #expect(second >= .seconds(2) && second <= .seconds(4))
        limiter.upstreamResponded(status: 204, retryAfter: nil, now: .seconds(20), wallClockSeconds: 0)
        limiter.upstreamResponded(status: 429, retryAfter: nil, now: .seconds(30), wallClockSeconds: 0)
        let reset = try #require(limiter.pushbackRemaining(now: .seconds(30)))
        #expect(reset >= .seconds(1) && reset <= .seconds(2))
        #expect(limiter.counters.rejectedByBudget["upstream-pushback"] == 1)
    }
}
