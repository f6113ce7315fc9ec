import Testing
@testable import GatewayLimits

// MARK: - Identity table bound and expiry

@Suite("Client identity table")
struct ClientTableTests {
    // 200,000 names (200× the bound) prove the bound; a million only made the suite hog a core for seconds.
    @Test("a flood of 200,000 distinct names keeps the table within maxClients")
    func floodIsBounded() throws {
        let limiter = try makeLimiter(.init(client: RateBudget(rate: 100, burst: 1), maxClients: 1000))
        var allowed = 0
        for i in 0..<200_000 {
            // 1 µs apart: entries go idle after 10 ms, i.e. ~10,000 names later.
            if limiter.admit(routeClass: "r", client: "addr:\(i)", now: .microseconds(i)).isAllowed { allowed += 1 }
            if i % 20_000 == 0 { #expect(limiter.clientCount <= 1000) }
        }
        #expect(limiter.clientCount <= 1000)
        // Overflowed names share one budget, so the flood is throttled.
        #expect(allowed < 200_000)
        #expect(limiter.counters.rejectedByBudget["client"] == 200_000 - allowed)
    }

    @Test("a full table of active clients is never reset by new names")
    func floodDoesNotResetActiveClients() throws {
        let limiter = try makeLimiter(.init(client: RateBudget(rate: 1, burst: 1), maxClients: 3))
        for name in ["a", "b", "c"] {
            #expect(limiter.admit(routeClass: "r", client: name, now: .zero).isAllowed)
        }
        // New names go to the shared overflow budget: first one passes, the rest wait.
        #expect(limiter.admit(routeClass: "r", client: "x1", now: .zero).isAllowed)
        #expect(limiter.admit(routeClass: "r", client: "x2", now: .zero).rejection?.budget == "client")
        #expect(limiter.clientCount == 3)
        // Established clients keep their (exhausted) state.
        for name in ["a", "b", "c"] {
            #expect(limiter.admit(routeClass: "r", client: name, now: ms(500)).rejection != nil)
        }
        // Once idle, entries are replaced losslessly and newcomers get their own budget.
        #expect(limiter.admit(routeClass: "r", client: "x3", now: .seconds(1)).isAllowed)
        #expect(limiter.admit(routeClass: "r", client: "x4", now: .seconds(1)).isAllowed)
        #expect(limiter.clientCount <= 3)
    }

    @Test("idle entries expire, both lazily and on demand")
    func idleExpiry() throws {
        let limiter = try makeLimiter(.init(client: RateBudget(rate: 10, burst: 5), maxClients: 100))
        for i in 0..<50 {
            #expect(limiter.admit(routeClass: "r", client: "c\(i)", now: .zero).isAllowed)
        }
        #expect(limiter.clientCount == 50)
        #expect(limiter.expireIdleClients(now: ms(50)) == 0) // still active: TAT = 100 ms
        #expect(limiter.expireIdleClients(now: ms(100)) == 50) // TAT <= now: idle == fresh
        #expect(limiter.clientCount == 0)

        for i in 0..<50 {
            _ = limiter.admit(routeClass: "r", client: "c\(i)", now: .zero)
        }
        // Each lookup retires a couple of idle heads; no sweep needed.
        for _ in 0..<30 {
            _ = limiter.admit(routeClass: "r", client: "steady", now: .seconds(10))
        }
        #expect(limiter.clientCount == 1)
    }
}
