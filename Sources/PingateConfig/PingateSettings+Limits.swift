extension PingateSettings {
    /// The `limits` section.
    public struct Limits: Sendable, Hashable {
        /// `limits.max_body_bytes` (0 = unlimited).
        public var maxBodyBytes = 0
        /// `limits.max_connections`.
        public var maxConnections = 1024
        /// `limits.max_header_bytes`.
        public var maxHeaderBytes = 65_536
        /// `limits.max_headers`.
        public var maxHeaders = 100
        /// `limits.max_request_line`.
        public var maxRequestLine = 8192
        /// `limits.upstream_connections`: upstream connections across all event loops.
        public var upstreamConnections = 128

        /// Defaults.
        public init() {}
    }
}
