import Testing
@testable import GatewayLimits

// MARK: - A client token's own budget, and failed attempts per source

@Suite("Token budgets and failed attempts")
struct TokenBudgetTests {
    static let slow = TokenBudget(token: "ci", budget: RateBudget(rate: 1, burst: 2))

    @Test("a token's budget binds its own requests only, and names itself")
    func tokenBudgetIsPerToken() throws {
        let limiter = try makeLimiter(.init(upstream: RateBudget(rate: 100, burst: 100)))
        #expect(limiter.admit(routeClass: "read", client: "token:ci", token: Self.slow, now: .zero).isAllowed)
        #expect(limiter.admit(routeClass: "read", client: "token:ci", token: Self.slow, now: .zero).isAllowed)
        let rejection = try #require(limiter.admit(routeClass: "read", client: "token:ci", token: Self.slow, now: .zero).rejection)
        #expect(rejection.budget == BudgetName.token)
        #expect(rejection.client == "token:ci")
        #expect(rejection.retryAfter == .seconds(1))
        let other = TokenBudget(token: "deploy", budget: RateBudget(rate: 1, burst: 2))
        #expect(limiter.admit(routeClass: "read", client: "token:deploy", token: other, now: .zero).isAllowed)
        #expect(limiter.admit(routeClass: "read", client: "addr:127.0.0.1", now: .zero).isAllowed)
        // The rejection spent nothing: the upstream budget counted 4 admissions.
        #expect(limiter.counters.admittedByBudget[BudgetName.upstream] == 4)
        #expect(limiter.counters.rejectedByBudget == [BudgetName.token: 1])
        #expect(limiter.admit(routeClass: "read", client: "token:ci", token: Self.slow, now: .seconds(1)).isAllowed)
    }

    @Test("an upstream rejection does not consume the token's budget")
    func upstreamRejectionKeepsTokenBudget() throws {
        let limiter = try makeLimiter(.init(upstream: RateBudget(rate: 1, burst: 1)))
        #expect(limiter.admit(routeClass: "read", client: "a", now: .zero).isAllowed)
        for _ in 0..<5 {
            #expect(limiter.admit(routeClass: "read", client: "token:ci", token: Self.slow, now: .zero).rejection?.budget == BudgetName.upstream)
        }
        #expect(limiter.admitClientOnly(client: "token:ci", token: Self.slow, now: .zero).isAllowed)
        #expect(limiter.admitClientOnly(client: "token:ci", token: Self.slow, now: .zero).isAllowed)
        #expect(limiter.admitClientOnly(client: "token:ci", token: Self.slow, now: .zero).rejection?.budget == BudgetName.token)
    }

    @Test("hits spend the token's budget and the client's, rejecting on either without spending the other")
    func clientOnlyWithToken() throws {
        let limiter = try makeLimiter(.init(client: RateBudget(rate: 1, burst: 3)))
        let info = try #require(limiter.admitClientOnly(client: "token:ci", token: Self.slow, now: .zero).limit)
        #expect(info.remaining == 1)
        #expect(limiter.admitClientOnly(client: "token:ci", token: Self.slow, now: .zero).isAllowed)
        #expect(limiter.admitClientOnly(client: "token:ci", token: Self.slow, now: .zero).rejection?.budget == BudgetName.token)
        // The client budget kept its third unit.
        #expect(limiter.admitClientOnly(client: "token:ci", now: .zero).isAllowed)
        #expect(limiter.admitClientOnly(client: "token:ci", now: .zero).rejection?.budget == BudgetName.client)
    }

    @Test("cancelling a queued token request gives its slot back")
    func cancelRestoresToken() throws {
        let limiter = try makeLimiter(.init(maxWait: .seconds(5)))
        #expect(limiter.admit(routeClass: "read", client: "t", token: Self.slow, now: .zero).isAllowed)
        #expect(limiter.admit(routeClass: "read", client: "t", token: Self.slow, now: .zero).isAllowed)
        let queued = try #require(limiter.admit(routeClass: "read", client: "t", token: Self.slow, now: .zero).delay)
        #expect(queued.until == .seconds(1))
        limiter.cancel(queued.reservation, now: .zero)
        #expect(limiter.admit(routeClass: "read", client: "t", token: Self.slow, now: .zero).delay?.until == .seconds(1))
    }

    @Test("a token's budget comes first among the budgets of a request, and an instance's share of it is divided like the others")
    func applicableAndDivided() throws {
        let configuration = RateLimiter.Configuration(upstream: RateBudget(rate: 10, burst: 10), classBudgets: ["read": RateBudget(rate: 5, burst: 5)],
                                                      client: RateBudget(rate: 2, burst: 4))
        let token = TokenBudget(token: "ci", budget: RateBudget(rate: 3, burst: 6))
        let kinds = configuration.applicableBudgets(routeClass: "read", token: token).map(\.kind)
        #expect(kinds == [.token("ci"), .client, .routeClass("read"), .upstream])
        #expect(configuration.applicableBudgets(routeClass: "read").map(\.kind) == [.client, .routeClass("read"), .upstream])
        #expect(configuration.ownBudgets(token: token).map(\.name) == [BudgetName.token, BudgetName.client])
        let share = token.dividedAmong(2)
        #expect(share.token == "ci")
        #expect(share.budget.rate == 1.5 && share.budget.burst == 3)
        #expect(TokenBudget(token: "ci", budget: RateBudget(rate: 1, burst: 1)).dividedAmong(3).budget.burst == 1, "never below 1")
        #expect(token.dividedAmong(1) == token)
        #expect(try configuration.dividedAmong(2).client == RateBudget(rate: 1, burst: 2))
    }

    @Test("token is a reserved budget name")
    func reservedName() {
        #expect(throws: LimitConfigurationError.reservedClassName("token")) {
            try RateLimiter(configuration: .init(classBudgets: ["token": RateBudget(rate: 1, burst: 1)]))
        }
    }

    @Test("at most 10 failures in any second per source, then refused until the oldest ages out")
    func failedAttempts() {
        let limiter = FailedAttemptLimiter()
        for i in 0..<10 {
            #expect(limiter.retryAfter(source: "addr:10.0.0.1", now: ms(Int64(i))) == nil)
            limiter.recordFailure(source: "addr:10.0.0.1", now: ms(Int64(i)))
        }
        #expect(limiter.retryAfter(source: "addr:10.0.0.1", now: ms(10)) == ms(990))
        #expect(limiter.retryAfter(source: "addr:10.0.0.2", now: ms(10)) == nil, "another source is not affected")
        #expect(limiter.retryAfter(source: "addr:10.0.0.1", now: ms(999)) == ms(1))
        #expect(limiter.retryAfter(source: "addr:10.0.0.1", now: ms(1000)) == nil, "the first failure left the window")
        limiter.recordFailure(source: "addr:10.0.0.1", now: ms(1000))
        #expect(limiter.retryAfter(source: "addr:10.0.0.1", now: ms(1000)) == ms(1))
    }

    @Test("the source table is bounded: idle sources are forgotten, a flood of new ones shares one window")
    func failedAttemptsBounded() {
        let limiter = FailedAttemptLimiter(limit: 2, window: .seconds(1), maxSources: 3)
        for i in 0..<3 { limiter.recordFailure(source: "s\(i)", now: .zero) }
        #expect(limiter.sourceCount == 3)
        // Full of recent failures: newcomers share the overflow window.
        limiter.recordFailure(source: "new1", now: ms(10))
        limiter.recordFailure(source: "new2", now: ms(10))
        #expect(limiter.sourceCount == 3)
        #expect(limiter.retryAfter(source: "new1", now: ms(10)) != nil)
        #expect(limiter.retryAfter(source: "new2", now: ms(10)) != nil)
        // Once the old failures aged out, a sweep makes room again.
        limiter.recordFailure(source: "late", now: .seconds(2))
        #expect(limiter.sourceCount == 1)
        #expect(limiter.retryAfter(source: "late", now: .seconds(2)) == nil)
    }
}
