import Foundation

extension PingateSettings {
    /// The `redis` section: state shared by several pingates. Without `url` nothing is shared.
    public struct Redis: Sendable, Hashable {
        /// What requests that need the upstream get while Redis is unreachable.
        public enum FailureMode: String, Sendable, Hashable, CaseIterable {
            /// Fall back to local budgets (rate / ``Redis/expectedInstances``) and the local cache.
            case local
            /// Answer 503 `shared_state_unavailable`.
            case refuse
        }

        /// `redis.url`: `redis://[user:password@]host:port[/db]` or `unix:///path`; a password in it is a secret.
        public var url: URL?
        /// `redis.prefix` of every key and channel.
        public var prefix = "pingate:"
        /// `redis.timeout_ms`: bound on each Redis call.
        public var timeout: Duration = .milliseconds(50)
        /// `redis.on_failure`.
        public var onFailure = FailureMode.local
        /// `redis.password_entry`: vault entry holding the password.
        public var passwordEntry: String?
        /// `redis.expected_instances`.
        public var expectedInstances = 1

        /// Defaults.
        public init() {}
    }
}
