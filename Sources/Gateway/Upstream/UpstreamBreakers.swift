import GatewayLimits
import Logging
import Synchronization

/// The circuit breaker of every upstream (keyed by origin), with its metrics and its log lines: each state change is
/// logged once and counted in `pingate_upstream_breaker_transitions_total{to}`; `pingate_upstream_breaker_state`
/// shows the worst breaker (open, then half-open, then closed).
final class UpstreamBreakers: Sendable {
    private let breakers: Mutex<[String: CircuitBreaker]>
    /// Whether every breaker is closed with no failure counted: a success then changes nothing (no lock taken).
    private let allClean = Atomic<Bool>(true)
    private let configuration: CircuitBreaker.Configuration
    private let metrics: GatewayMetrics
    private let logger: Logger

    init(configuration: CircuitBreaker.Configuration, metrics: GatewayMetrics, logger: Logger) {
        self.configuration = configuration
        self.breakers = Mutex([:])
        self.metrics = metrics
        self.logger = logger
        metrics.breakerState(0)
    }

    /// Whether a request to `upstream` may go (and whether it is the half-open probe).
    func admit(_ upstream: UpstreamEndpoint, now: Duration) -> CircuitBreaker.Decision {
        guard configuration.failures > 0, !allClean.load(ordering: .relaxed) else { return .allow }
        let (decision, changed) = breakers.withLock { breakers -> (CircuitBreaker.Decision, CircuitBreaker.State?) in
            var breaker = breakers[upstream.origin] ?? CircuitBreaker(configuration: configuration)
            let before = breaker.state
            let decision = breaker.admit(now: now)
            breakers[upstream.origin] = breaker
            if breaker.state != .closed { allClean.store(false, ordering: .relaxed) }
            return (decision, breaker.state != before ? breaker.state : nil)
        }
        if let changed { report(changed, upstream: upstream) }
        return decision
    }

    /// Reports a forwarded request's outcome.
    func record(_ upstream: UpstreamEndpoint, success: Bool, now: Duration) {
        guard configuration.failures > 0 else { return }
        if success && allClean.load(ordering: .relaxed) { return }
        let changed = breakers.withLock { breakers -> CircuitBreaker.State? in
            var breaker = breakers[upstream.origin] ?? CircuitBreaker(configuration: configuration)
            let changed = breaker.record(success: success, now: now)
            breakers[upstream.origin] = breaker
            allClean.store(breakers.values.allSatisfy { $0.state == .closed && $0.consecutiveFailures == 0 }, ordering: .relaxed)
            return changed
        }
        if let changed { report(changed, upstream: upstream) }
    }

    /// A probe's client left before its outcome was known.
    func probeAbandoned(_ upstream: UpstreamEndpoint) {
        breakers.withLock { $0[upstream.origin]?.probeAbandoned() }
    }

    /// Whether some upstream's breaker is open now (readiness).
    var anyOpen: Bool {
        breakers.withLock { $0.values.contains { if case .open = $0.state { return true } else { return false } } }
    }

    private func report(_ state: CircuitBreaker.State, upstream: UpstreamEndpoint) {
        let name: String
        switch state {
        case .closed:
            name = "closed"
            logger.notice("upstream circuit breaker closed: the upstream answers again", metadata: ["upstream": "\(upstream)"])
        case .open(let until):
            name = "open"
            logger.warning("upstream circuit breaker opened: refusing requests that need the upstream", metadata: [
                "upstream": "\(upstream)", "open_s": "\((until - .zero).components.seconds)",
            ])
        case .halfOpen:
            name = "half_open"
            logger.notice("upstream circuit breaker half-open: one probe goes through", metadata: ["upstream": "\(upstream)"])
        }
        metrics.breakerTransition(to: name)
        let worst = breakers.withLock { breakers in
            breakers.values.map(\.gaugeValue).max { Self.severity($0) < Self.severity($1) } ?? 0
        }
        metrics.breakerState(worst)
    }

    /// Open (1) is worse than half-open (2), which is worse than closed (0).
    private static func severity(_ gauge: Int) -> Int { [0: 0, 2: 1, 1: 2][gauge] ?? 0 }
}
