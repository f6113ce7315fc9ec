import NIOCore

/// How a ``RedisClient`` sizes and paces its connections.
public struct RedisClientOptions: Sendable {
    /// Command connections kept open; commands are spread over them and pipelined on each.
    public var poolSize: Int
    /// The bound on one connect, `AUTH` and `SELECT` (and the subscriber's `SUBSCRIBE`) included.
    public var connectTimeout: TimeAmount
    /// The pause between reconnect attempts.
    public var backoff: RedisBackoff
    /// The reply decoder's bounds.
    public var decoderLimits: RESPDecoder.Limits

    /// - Parameters:
    ///   - poolSize: Command connections, at least 1.
    ///   - connectTimeout: The bound on one connect and handshake.
    ///   - backoff: The pause between reconnect attempts.
    ///   - decoderLimits: The reply decoder's bounds.
    public init(
        poolSize: Int = 2,
        connectTimeout: TimeAmount = .seconds(1),
        backoff: RedisBackoff = RedisBackoff(),
        decoderLimits: RESPDecoder.Limits = RESPDecoder.Limits()
    ) {
        self.poolSize = max(poolSize, 1)
        self.connectTimeout = connectTimeout
        self.backoff = backoff
        self.decoderLimits = decoderLimits
    }
}
