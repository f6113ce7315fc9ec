extension PingateSettings {
    /// The `upstream.breaker` section: the circuit breaker in front of the upstream.
    public struct Breaker: Sendable, Hashable {
        /// `upstream.breaker.failures`: consecutive failures that open the breaker; 0 turns it off.
        public var failures = 5
        /// `upstream.breaker.open_s`: how long it stays open before one probe (doubling per failed probe).
        public var openTime: Duration = .seconds(5)

        /// Defaults.
        public init() {}

        /// False when `failures` is 0.
        public var isEnabled: Bool { failures > 0 }
    }
}
