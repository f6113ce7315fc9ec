import PingateCore

extension PingateSettings {
    /// The `log` section.
    public struct Log: Sendable, Hashable {
        /// `log.level`.
        public var level: LogLevel = .info
        /// `log.format`.
        public var format: LogFormat = .json

        /// Defaults.
        public init() {}
    }
}
