import Testing
@testable import GatewayLimits

// MARK: - GCRA behaviour through the limiter (single upstream budget)

@Suite("GCRA budget")
struct GCRATests {
    @Test("burst is admitted at once, then one request per emission interval")
    func burstThenSteadyRate() throws {
        let limiter = try makeLimiter(.init(upstream: RateBudget(rate: 10, burst: 5)))
        #expect(limiter.admitMany(5, now: .zero) == 5)
        let rejected = try #require(limiter.admit(routeClass: "read", client: "c", now: .zero).rejection)
        #expect(rejected.budget == "upstream")
        #expect(rejected.retryAfter == ms(100))

        #expect(limiter.admit(routeClass: "read", client: "c", now: ms(99)).rejection != nil)
        #expect(limiter.admitMany(3, now: ms(100)) == 1)
        #expect(limiter.admitMany(3, now: ms(150)) == 0)
        #expect(limiter.admitMany(3, now: ms(200)) == 1)
        // A long pause restores the full burst, never more.
        #expect(limiter.admitMany(10, now: .seconds(100)) == 5)
    }

    @Test("accepted == burst + rate × time (±1) over a long window",
          arguments: [(10.0, 5, 60), (0.5, 2, 60), (3.0, 2, 600)])
    func exactnessOverLongWindow(rate: Double, burst: Int, seconds: Int64) throws {
        let limiter = try makeLimiter(.init(upstream: RateBudget(rate: rate, burst: burst)))
        // Offer 1000 req/s (10 ms steps with 10 per step for the long window, to keep it quick).
        // burst ≥ 2 matters for the coarse steps: with burst 1 (τ = 0) GCRA has no slack, so
        // every arrival that lands after its slot permanently loses that lateness.
        let stepMs: Int64 = seconds > 100 ? 10 : 1
        let perStep = Int(stepMs)
        var accepted = 0
        var t: Int64 = 0
        while t < seconds * 1000 {
            accepted += limiter.admitMany(perStep, now: ms(t))
            t += stepMs
        }
        let expected = Double(burst) + rate * Double(seconds)
        #expect(abs(Double(accepted) - expected) <= 1, "accepted \(accepted), expected \(expected)")
        #expect(limiter.counters.allowed == accepted)
        #expect(limiter.counters.rejectedByBudget["upstream"] == Int(seconds) * 1000 - accepted)
    }

    @Test("Retry-After right after the burst is ceil(emission interval), never 0")
    func retryAfterValues() throws {
        for (budget, interval, seconds) in [
            (RateBudget(rate: 10, burst: 5), ms(100), 1),
            (RateBudget(rate: 0.5, burst: 1), .seconds(2), 2),
            (try RateBudget(parsing: "1/h", burst: 1), .seconds(3600), 3600),
            (RateBudget(rate: 1e6, burst: 1), .microseconds(1), 1),
        ] {
            let limiter = try makeLimiter(.init(upstream: budget))
            #expect(limiter.admitMany(budget.burst, now: .seconds(7)) == budget.burst)
            let r = try #require(limiter.admit(routeClass: "x", client: "c", now: .seconds(7)).rejection)
            #expect(r.retryAfter == interval)
            #expect(r.retryAfterSeconds == seconds)
        }
        #expect(RetryAfter.headerSeconds(for: .zero) == 1)
        #expect(RetryAfter.headerSeconds(for: .nanoseconds(1)) == 1)
        #expect(RetryAfter.headerSeconds(for: .seconds(2)) == 2)
        #expect(RetryAfter.headerSeconds(for: ms(2001)) == 3)
    }

    @Test("queueing hands out increasing slots within maxWait, rejects beyond")
    func queueingWithDeadline() throws {
        let limiter = try makeLimiter(.init(upstream: RateBudget(rate: 10, burst: 1), maxWait: ms(500)))
        #expect(limiter.admit(routeClass: "r", client: "c", now: .zero).isAllowed)
        var slots: [Duration] = []
        for _ in 0..<5 {
            let delayed = try #require(limiter.admit(routeClass: "r", client: "c", now: .zero).delay)
            #expect(delayed.reservation.slot == delayed.until)
            slots.append(delayed.until)
        }
        #expect(slots == [100, 200, 300, 400, 500].map { ms($0) })
        let rejected = try #require(limiter.admit(routeClass: "r", client: "c", now: .zero).rejection)
        #expect(rejected.retryAfter == ms(600))
        #expect(limiter.counters.delayed == 5)

        // Later arrivals are measured from their own `now`.
        let later = try #require(limiter.admit(routeClass: "r", client: "c", now: ms(250)).delay)
        #expect(later.until == ms(600))
    }

    @Test("cancel gives the slot back so the next request gets an earlier one")
    func cancelFreesPlace() throws {
        let limiter = try makeLimiter(.init(upstream: RateBudget(rate: 10, burst: 1), maxWait: .seconds(1)))
        #expect(limiter.admit(routeClass: "r", client: "c", now: .zero).isAllowed)
        let first = try #require(limiter.admit(routeClass: "r", client: "c", now: .zero).delay)
        let last = try #require(limiter.admit(routeClass: "r", client: "c", now: .zero).delay)
        #expect(first.until == ms(100) && last.until == ms(200))

        // Cancelling a reservation others depend on frees nothing (documented).
        limiter.cancel(first.reservation, now: ms(10))
        #expect(limiter.counters.cancelled == 0)

        limiter.cancel(last.reservation, now: ms(10))
        limiter.cancel(last.reservation, now: ms(10)) // idempotent
        #expect(limiter.counters.cancelled == 1)
        let next = try #require(limiter.admit(routeClass: "r", client: "c", now: ms(10)).delay)
        #expect(next.until == ms(200)) // not 300
        #expect(next.reservation.id != last.reservation.id)
    }

    @Test("cancel never moves the state below now")
    func cancelNotBelowNow() throws {
        let limiter = try makeLimiter(.init(upstream: RateBudget(rate: 10, burst: 2), maxWait: .seconds(1)))
        #expect(limiter.admitMany(2, now: .zero) == 2)
        let d = try #require(limiter.admit(routeClass: "r", client: "c", now: .zero).delay)
        #expect(d.until == ms(100))
        // Client leaves long after the slot; the budget is simply fully rested.
        limiter.cancel(d.reservation, now: .seconds(5))
        #expect(limiter.admitMany(5, now: .seconds(5)) == 2)
    }
}
