import Testing
@testable import GatewayLimits

// MARK: - What the budgets have left, read without spending

@Suite("Budget levels")
struct LevelsTests {
    @Test("levels show what remains of each budget and each client's, and reading them spends nothing")
    func levels() throws {
        let limiter = try makeLimiter(.init(
            upstream: RateBudget(rate: 1, burst: 5),
            classBudgets: ["upload": RateBudget(rate: 1, burst: 2)],
            client: RateBudget(rate: 1, burst: 3)))
        #expect(limiter.admit(routeClass: "upload", client: "a", now: .zero).isAllowed)
        #expect(limiter.admit(routeClass: "read", client: "a", now: .zero).isAllowed)
        #expect(limiter.admit(routeClass: "read", client: "b", now: .zero).isAllowed)

        for _ in 0..<3 {
            let levels = limiter.levels(now: .zero, clients: ["a", "b", "never-seen"])
            #expect(levels.upstream?.remaining == 2)
            #expect(levels.classes["upload"]?.remaining == 1)
            #expect(levels.clients["a"]?.remaining == 1)
            #expect(levels.clients["b"]?.remaining == 2)
            #expect(levels.clients["never-seen"]?.remaining == 3)
        }
        // Time restores them: one request a second.
        let later = limiter.levels(now: .seconds(1), clients: ["a"])
        #expect(later.upstream?.remaining == 3)
        #expect(later.classes["upload"]?.remaining == 2)
        #expect(later.clients["a"]?.remaining == 2)
        #expect(limiter.counters.admittedByBudget["upstream"] == 3)
    }

    @Test("budgets that are not configured have no level")
    func unconfigured() throws {
        let levels = try makeLimiter(.init()).levels(now: .zero, clients: ["a"])
        #expect(levels.upstream == nil && levels.classes.isEmpty && levels.clients.isEmpty)
    }
}
