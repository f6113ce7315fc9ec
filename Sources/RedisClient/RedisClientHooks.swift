import NIOCore

/// Callbacks through which the client reports its health, for logs and metrics, without depending on a metrics
/// library. They run on the connections' event loops and must return quickly.
public struct RedisClientHooks: Sendable {
    /// Called once per change of the command pool's availability: `true` when it gains its first usable
    /// connection, `false` when it has none left and no connect attempt in flight (including when the first
    /// attempts fail).
    public var onAvailabilityChange: @Sendable (_ isAvailable: Bool) -> Void
    /// Called when an operation fails: a command (its uppercased name, such as `GET` or `EVALSHA`), a connect of
    /// the pool (`CONNECT`) or of the subscriber (`SUBSCRIBE`).
    public var onError: @Sendable (_ operation: String, _ error: any Error) -> Void
    /// Called when a command's reply has arrived, with the time from sending to the reply (for ``RedisClient``'s
    /// `evalSHA`, the whole call including a script reload).
    public var onRoundTrip: @Sendable (_ operation: String, _ duration: TimeAmount) -> Void

    /// - Parameters:
    ///   - onAvailabilityChange: Receives availability changes.
    ///   - onError: Receives failures by operation.
    ///   - onRoundTrip: Receives round-trip durations by operation.
    public init(
        onAvailabilityChange: @escaping @Sendable (_ isAvailable: Bool) -> Void = { _ in },
        onError: @escaping @Sendable (_ operation: String, _ error: any Error) -> Void = { _, _ in },
        onRoundTrip: @escaping @Sendable (_ operation: String, _ duration: TimeAmount) -> Void = { _, _ in }
    ) {
        self.onAvailabilityChange = onAvailabilityChange
        self.onError = onError
        self.onRoundTrip = onRoundTrip
    }
}
