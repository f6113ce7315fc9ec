// MARK: - CircuitBreaker

/// The circuit breaker of one upstream: after `failures` consecutive failures it opens, and requests that need the
/// upstream are refused at once (no connection attempt) until the open time has passed; then one request goes
/// through as a probe (half-open): its success closes the breaker, its failure reopens it for twice as long, up to
/// `maxOpen`.
///
/// A failure is what says the upstream is down, not what it said about one request: a refused or reset connection,
/// a connect or read timeout, a TLS failure, or a 502/503/504 answer. Any other answer is a success.
///
/// Pure value type: time is a parameter (`now`, monotonic).
public struct CircuitBreaker: Sendable, Hashable {
    /// Tunables.
    public struct Configuration: Sendable, Hashable {
        /// Consecutive failures that open the breaker; 0 turns it off.
        public var failures: Int
        /// How long it stays open the first time.
        public var openDuration: Duration
        /// The longest it stays open (the open time doubles after each failed probe).
        public var maxOpenDuration: Duration

        /// Defaults: 5 failures, 5 s, doubling up to 60 s.
        public init(failures: Int = 5, openDuration: Duration = .seconds(5), maxOpenDuration: Duration = .seconds(60)) {
            self.failures = failures
            self.openDuration = openDuration
            self.maxOpenDuration = maxOpenDuration
        }
    }

    /// Where the breaker is.
    public enum State: Sendable, Hashable {
        /// Requests flow.
        case closed
        /// Requests are refused until `until`.
        case open(until: Duration)
        /// One probe is (or may be) on its way; everything else is refused.
        case halfOpen
    }

    /// What happens to a request that needs the upstream.
    public enum Decision: Sendable, Hashable {
        /// Forward it.
        case allow
        /// Forward it as the half-open probe; report its outcome.
        case probe
        /// Refuse it; the breaker may let requests through after `retryAfter`.
        case reject(retryAfter: Duration)
    }

    public let configuration: Configuration
    public private(set) var state: State = .closed
    /// Failures in a row while closed.
    public private(set) var consecutiveFailures = 0
    /// How long the next opening lasts.
    private var nextOpenDuration: Duration
    private var probeInFlight = false

    /// A closed breaker.
    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
        self.nextOpenDuration = configuration.openDuration
    }

    /// Whether the breaker does anything (`failures > 0`).
    public var isEnabled: Bool { configuration.failures > 0 }

    /// Decides for a request that needs the upstream; an open breaker whose time is up turns half-open here.
    public mutating func admit(now: Duration) -> Decision {
        guard isEnabled else { return .allow }
        switch state {
        case .closed:
            return .allow
        case .open(let until):
            guard now >= until else { return .reject(retryAfter: until - now) }
            state = .halfOpen
            probeInFlight = true
            return .probe
        case .halfOpen:
            if probeInFlight { return .reject(retryAfter: .seconds(1)) }
            probeInFlight = true
            return .probe
        }
    }

    /// Reports the outcome of a forwarded request. Returns the new state when it changed.
    @discardableResult
    public mutating func record(success: Bool, now: Duration) -> State? {
        guard isEnabled else { return nil }
        switch (state, success) {
        case (.closed, true):
            consecutiveFailures = 0
            return nil
        case (.closed, false):
            consecutiveFailures += 1
            guard consecutiveFailures >= configuration.failures else { return nil }
            return open(now: now)
        case (.halfOpen, true):
            state = .closed
            consecutiveFailures = 0
            probeInFlight = false
            nextOpenDuration = configuration.openDuration
            return state
        case (.halfOpen, false):
            probeInFlight = false
            return open(now: now)
        case (.open, _):
            // An answer to a request sent before the breaker opened changes nothing.
            return nil
        }
    }

    /// The probe ended without an outcome (its client left first): the next request probes instead.
    public mutating func probeAbandoned() {
        if case .halfOpen = state { probeInFlight = false }
    }

    private mutating func open(now: Duration) -> State {
        state = .open(until: now + nextOpenDuration)
        consecutiveFailures = 0
        nextOpenDuration = min(nextOpenDuration * 2, configuration.maxOpenDuration)
        return state
    }

    /// `pingate_upstream_breaker_state`: 0 closed, 1 open, 2 half-open.
    public var gaugeValue: Int {
        switch state {
        case .closed: return 0
        case .open: return 1
        case .halfOpen: return 2
        }
    }
}
