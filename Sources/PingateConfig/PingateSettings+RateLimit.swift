extension PingateSettings {
    /// The `rate_limit` section.
    public struct RateLimit: Sendable, Hashable {
        /// `rate_limit.rate`: global upstream budget (`nil` = unlimited).
        public var rate: Rate?
        /// `rate_limit.burst` (default `max(1, ceil(rate))`, 1 without a rate).
        public var burst = 1
        /// `rate_limit.wait_ms`: how long a request may queue for a token.
        public var waitMilliseconds = 0
        /// `rate_limit.client_rate`: per-client budget (`nil` = unlimited).
        public var clientRate: Rate?
        /// `rate_limit.client_burst` (default `max(1, ceil(client_rate))`).
        public var clientBurst = 1
        /// `rate_limit.max_clients`.
        public var maxClients = 10_000
        /// `rate_limit.classes`, by name.
        public var classes: [String: RateClass] = [:]

        /// Defaults.
        public init() {}
    }
}
