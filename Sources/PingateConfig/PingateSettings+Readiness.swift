extension PingateSettings {
    /// The `readiness` section.
    public struct Readiness: Sendable, Hashable {
        /// `readiness.upstream_window`: upstream counts as reachable if it
        /// answered within this window.
        public var upstreamWindow: Duration = .seconds(30)

        /// Defaults.
        public init() {}
    }
}
