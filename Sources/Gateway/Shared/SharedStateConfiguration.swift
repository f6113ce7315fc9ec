/// How several pingates share their budgets, upstream pushback and cache invalidations through Redis
/// (`redis.*` settings). Without it, every budget and the cache are this process's own.
public struct SharedStateConfiguration: Sendable, Equatable, CustomStringConvertible {
    /// What happens to requests that need the upstream while Redis cannot be reached.
    public enum FailureMode: String, Sendable, Equatable {
        /// Each instance falls back to its local budgets (the configured rates divided by ``expectedInstances``) and
        /// its local cache with a short lifetime.
        case local
        /// `503 shared_state_unavailable`: no instance may exceed the shared budget, at the price of availability.
        case refuse
    }

    /// `redis://[user:password@]host:port[/db]` or `unix:///path/to/redis.sock`. A password in it is a secret.
    public var url: String
    /// The password from a vault entry (`redis.password_entry`), which wins over one in the URL. A secret.
    public var password: String?
    /// Every key and channel pingate uses starts with this.
    public var prefix: String
    /// The bound on each Redis call.
    public var timeout: Duration
    public var onFailure: FailureMode
    /// How many instances share the budgets: each one's local fallback gets that share.
    public var expectedInstances: Int

    public init(
        url: String, password: String? = nil, prefix: String = "pingate:", timeout: Duration = .milliseconds(50),
        onFailure: FailureMode = .local, expectedInstances: Int = 1
    ) {
        self.url = url
        self.password = password
        self.prefix = prefix
        self.timeout = timeout
        self.onFailure = onFailure
        self.expectedInstances = max(1, expectedInstances)
    }

    /// Never shows the password.
    public var description: String {
        "SharedStateConfiguration(prefix: \(prefix), timeout: \(timeout), onFailure: \(onFailure.rawValue), expectedInstances: \(expectedInstances))"
    }
}
