extension PingateSettings {
    /// The `timeouts` section.
    public struct Timeouts: Sendable, Hashable {
        /// `timeouts.connect`: upstream connect (TCP + TLS).
        public var connect: Duration = .seconds(10)
        /// `timeouts.read`: upstream response.
        public var read: Duration = .seconds(60)
        /// `timeouts.drain`: graceful shutdown.
        public var drain: Duration = .seconds(30)
        /// `timeouts.header`: client request head.
        public var header: Duration = .seconds(10)
        /// `timeouts.idle`: idle keep-alive client connection.
        public var idle: Duration = .seconds(75)

        /// Defaults.
        public init() {}
    }
}
