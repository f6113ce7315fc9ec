extension PingateSettings {
    /// The `auth` section: client tokens.
    public struct Auth: Sendable, Hashable {
        /// `auth.require_token`; `nil` when not set (see ``PingateSettings/requiresToken`` for the effective value).
        public var requireToken: Bool?

        /// Defaults.
        public init() {}
    }
}
