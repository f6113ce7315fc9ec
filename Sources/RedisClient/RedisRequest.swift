import NIOCore

/// A command handed to ``RedisCommandHandler``: the frame to write and where its reply goes.
struct RedisRequest: Sendable {
    /// The command as a RESP array.
    var command: RESPValue
    /// How many replies the command produces: 1, or one per channel for `SUBSCRIBE`. With more than one, the
    /// promise receives them as an array.
    var replyCount: Int
    /// When the reply must have arrived; past it the request fails with ``RedisClientError/timeout`` and the
    /// connection is closed.
    var deadline: NIODeadline
    /// Completed with the reply, or failed.
    var promise: EventLoopPromise<RESPValue>
}
