import Testing
@testable import GatewayLimits

// MARK: - RateLimit / RateLimit-Policy header values

@Suite("RateLimit headers")
struct HeaderTests {
    @Test("policy maps GCRA to quota = burst, window = ceil(burst / rate)")
    func policyMapping() {
        #expect(RateBudget(rate: 10, burst: 5).headerWindowSeconds == 1)
        #expect(RateBudget(rate: 0.5, burst: 3).headerWindowSeconds == 6)
        #expect(RateBudget(rate: 3, burst: 10).headerWindowSeconds == 4)
        #expect(RateBudget(rate: 1000, burst: 1).headerWindowSeconds == 1)
        #expect(RateLimitHeaders.policy(name: "upstream", quota: 5, windowSeconds: 1) == #""upstream";q=5;w=1"#)
        #expect(RateLimitHeaders.rateLimit(name: "upstream", remaining: 3, resetSeconds: 1) == #""upstream";r=3;t=1"#)
    }

    @Test("remaining and reset follow the budget state")
    func headerValuesFromLimiter() throws {
        let limiter = try makeLimiter(.init(upstream: RateBudget(rate: 0.5, burst: 3)))
        let fresh = GCRACell().limitInfo(name: "upstream", now: 0, budget: RateBudget(rate: 0.5, burst: 3))
        #expect(fresh.rateLimitHeaderValue == #""upstream";r=3;t=0"#)

        let first = try #require(limiter.admit(routeClass: "r", client: "c", now: .zero).limit)
        #expect(first.policyHeaderValue == #""upstream";q=3;w=6"#)
        #expect(first.rateLimitHeaderValue == #""upstream";r=2;t=2"#) // fully restored in 2 s
        _ = limiter.admit(routeClass: "r", client: "c", now: .zero)
        let third = try #require(limiter.admit(routeClass: "r", client: "c", now: ms(500)).limit)
        // r = 0: t is the time until the next unit (tat 6 s − τ 4 s − now 0.5 s = 1.5 s → 2).
        #expect(third.rateLimitHeaderValue == #""upstream";r=0;t=2"#)
        let rejected = try #require(limiter.admit(routeClass: "r", client: "c", now: ms(500)).rejection)
        #expect(rejected.limit == third)
        #expect(RateLimitHeaders.fields(for: third).map(\.name) == ["RateLimit-Policy", "RateLimit"])
    }

    @Test("the most restrictive applied budget is advertised")
    func mostRestrictive() throws {
        let limiter = try makeLimiter(.init(
            upstream: RateBudget(rate: 100, burst: 100),
            classBudgets: ["upload": RateBudget(rate: 1, burst: 2)],
            client: RateBudget(rate: 10, burst: 50)))
        let upload = try #require(limiter.admit(routeClass: "upload", client: "c", now: .zero).limit)
        #expect(upload == LimitInfo(budget: "upload", quota: 2, windowSeconds: 2, remaining: 1, resetSeconds: 1))
        let read = try #require(limiter.admit(routeClass: "read", client: "c", now: .zero).limit)
        #expect(read.budget == "client" && read.remaining == 48)
        let a = LimitInfo(budget: "a", quota: 1, windowSeconds: 1, remaining: 0, resetSeconds: 1)
        let b = LimitInfo(budget: "b", quota: 1, windowSeconds: 1, remaining: 0, resetSeconds: 5)
        #expect(LimitInfo.mostRestrictive(a, b) == b)
    }

    @Test("delayed admissions report r=0")
    func delayedInfo() throws {
        let limiter = try makeLimiter(.init(upstream: RateBudget(rate: 10, burst: 1), maxWait: .seconds(1)))
        _ = limiter.admit(routeClass: "r", client: "c", now: .zero)
        let admission = limiter.admit(routeClass: "r", client: "c", now: .zero)
        #expect(admission.limit?.remaining == 0 && admission.limit?.resetSeconds == 1)
    }

    @Test("policy names are serialised as valid sf-strings")
    func structuredStrings() {
        #expect(RateLimitHeaders.structuredString(#"a"b\c"#) == #""a\"b\\c""#)
        #expect(RateLimitHeaders.structuredString("é\n") == #""??""#)
        #expect(RateLimitHeaders.rateLimit(name: "x", remaining: -3, resetSeconds: 2) == #""x";r=0;t=2"#)
    }
}
