import Testing

@testable import GatewayLimits

/// The breaker's states with a manual clock: closed, open after N failures, half-open probe, doubling open time.
@Suite("Circuit breaker")
struct CircuitBreakerTests {
    @Test("N consecutive failures open it; a success in between starts the count again")
    func opensAfterConsecutiveFailures() {
        var breaker = CircuitBreaker(configuration: .init(failures: 3, openDuration: .seconds(5)))
        #expect(breaker.record(success: false, now: .zero) == nil)
        #expect(breaker.record(success: false, now: .zero) == nil)
        #expect(breaker.record(success: true, now: .zero) == nil)
        #expect(breaker.record(success: false, now: .seconds(1)) == nil)
        #expect(breaker.record(success: false, now: .seconds(1)) == nil)
        #expect(breaker.record(success: false, now: .seconds(2)) == .open(until: .seconds(7)))
        #expect(breaker.gaugeValue == 1)
    }

    @Test("open: refused with the time left; at the end one probe goes, the others wait for it")
    func openThenProbe() {
        var breaker = CircuitBreaker(configuration: .init(failures: 1, openDuration: .seconds(5)))
        breaker.record(success: false, now: .zero)
        #expect(breaker.admit(now: .seconds(3)) == .reject(retryAfter: .seconds(2)))
        #expect(breaker.admit(now: .seconds(5)) == .probe)
        #expect(breaker.state == .halfOpen && breaker.gaugeValue == 2)
        #expect(breaker.admit(now: .seconds(5)) == .reject(retryAfter: .seconds(1)), "one probe at a time")
        #expect(breaker.record(success: true, now: .seconds(6)) == .closed)
        #expect(breaker.admit(now: .seconds(6)) == .allow)
    }

    @Test("a failed probe reopens for twice as long, up to the maximum; a success resets the open time")
    func doublingOpenTime() {
        var breaker = CircuitBreaker(configuration: .init(failures: 1, openDuration: .seconds(5), maxOpenDuration: .seconds(12)))
        breaker.record(success: false, now: .zero)  // open until 5
        var now: Duration = .seconds(5)
        var expectedOpen: [Duration] = []
        for _ in 0..<3 {
            #expect(breaker.admit(now: now) == .probe)
            guard case .open(let until) = breaker.record(success: false, now: now) else {
                Issue.record("a failed probe must reopen")
                return
            }
            expectedOpen.append(until - now)
            now = until
        }
        #expect(expectedOpen == [.seconds(10), .seconds(12), .seconds(12)])
        #expect(breaker.admit(now: now) == .probe)
        breaker.record(success: true, now: now)
        breaker.record(success: false, now: now)
        #expect(breaker.state == .open(until: now + .seconds(5)))
    }

    @Test("a probe whose client left lets the next request probe")
    func abandonedProbe() {
        var breaker = CircuitBreaker(configuration: .init(failures: 1, openDuration: .seconds(1)))
        breaker.record(success: false, now: .zero)
        #expect(breaker.admit(now: .seconds(1)) == .probe)
        breaker.probeAbandoned()
        #expect(breaker.admit(now: .seconds(1)) == .probe)
    }

    @Test("failures 0 turns it off")
    func disabled() {
        var breaker = CircuitBreaker(configuration: .init(failures: 0))
        for _ in 0..<100 { #expect(breaker.record(success: false, now: .zero) == nil) }
        #expect(breaker.admit(now: .zero) == .allow)
    }
}
