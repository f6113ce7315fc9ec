import NIOConcurrencyHelpers
import NIOCore

/// A small Redis client: a pool of pipelined command connections, one pub/sub connection, Lua scripts by SHA.
///
/// Every call takes a timeout and completes by it: with the reply, a ``RedisServerError`` for an error reply, or a
/// ``RedisClientError``. A connection whose call timed out, or that broke, is closed and replaced with backoff and
/// jitter. The future-returning methods can be called from any event loop without a hop to Swift concurrency;
/// their futures complete on a loop of the client's group. Health is reported through ``RedisClientHooks``.
///
/// The client starts connecting when created; call ``shutdown()`` before releasing it.
public final class RedisClient: Sendable {
    /// Where the client connects; log its ``RedisConfiguration/redactedURL``.
    public let configuration: RedisConfiguration

    private let pool: RedisConnectionPool
    private let subscriber: RedisSubscriber
    private let group: any EventLoopGroup
    private let hooks: RedisClientHooks
    /// Script source to the SHA1 that `SCRIPT LOAD` returned for it.
    private let scriptHashes = NIOLockedValueBox<[String: String]>([:])

    /// Creates the client and starts its command connections.
    ///
    /// - Parameters:
    ///   - configuration: Where to connect, with which credentials and database.
    ///   - eventLoopGroup: The loops the connections and timers run on.
    ///   - options: Pool size, connect timeout, backoff and decoder limits.
    ///   - hooks: Callbacks for availability, errors and round-trip times.
    public init(
        configuration: RedisConfiguration,
        eventLoopGroup: any EventLoopGroup,
        options: RedisClientOptions = RedisClientOptions(),
        hooks: RedisClientHooks = RedisClientHooks()
    ) {
        self.configuration = configuration
        self.group = eventLoopGroup
        self.hooks = hooks
        self.pool = RedisConnectionPool(
            configuration: configuration,
            group: eventLoopGroup,
            options: options,
            hooks: hooks
        )
        self.subscriber = RedisSubscriber(
            configuration: configuration,
            group: eventLoopGroup,
            options: options,
            hooks: hooks
        )
        self.pool.start()
    }

    // MARK: - Commands

    /// Sends a command on one of the pool's connections.
    ///
    /// - Parameters:
    ///   - command: The command.
    ///   - timeout: The bound on the call, waiting for a connection included.
    /// - Returns: The reply. It fails with ``RedisServerError`` for an error reply, with
    ///   ``RedisClientError/timeout``, ``RedisClientError/connectionClosed``, ``RedisClientError/unavailable`` or
    ///   ``RedisClientError/shutDown``, or with ``RESPProtocolError`` for a malformed reply.
    public func send(_ command: RedisCommand, timeout: TimeAmount) -> EventLoopFuture<RESPValue> {
        let start = NIODeadline.now()
        let reply = self.pool.send(command.respValue, deadline: start + timeout)
        return self.observe(reply, operation: command.operation, start: start)
    }

    /// Sends a command on one of the pool's connections; see ``send(_:timeout:)-(_,_)->EventLoopFuture<RESPValue>``.
    public func send(_ command: RedisCommand, timeout: TimeAmount) async throws -> RESPValue {
        let reply: EventLoopFuture<RESPValue> = self.send(command, timeout: timeout)
        return try await reply.get()
    }

    // MARK: - Scripts

    /// Runs a Lua script with `EVALSHA`, loading it with `SCRIPT LOAD` first if this client has not yet, and
    /// loading it again and retrying once when the server answers `NOSCRIPT` (after a restart or `SCRIPT FLUSH`).
    ///
    /// - Parameters:
    ///   - script: The script.
    ///   - keys: The keys, `KEYS[1]...` in Lua.
    ///   - arguments: The arguments, `ARGV[1]...` in Lua.
    ///   - timeout: The bound on the whole call, a reload included.
    /// - Returns: The script's reply; failures as for ``send(_:timeout:)-(_,_)->EventLoopFuture<RESPValue>``.
    public func evalSHA(
        _ script: RedisScript,
        keys: [String],
        arguments: [String],
        timeout: TimeAmount
    ) -> EventLoopFuture<RESPValue> {
        let start = NIODeadline.now()
        let deadline = start + timeout
        let cached = self.scriptHashes.withLockedValue { $0[script.source] }
        let sha = cached.map { self.group.any().makeSucceededFuture($0) } ?? self.load(script, deadline: deadline)
        let reply = sha.flatMap { sha in
            self.pool.send(Self.evalSHACommand(sha, keys: keys, arguments: arguments), deadline: deadline)
        }.flatMapError { error in
            guard let serverError = error as? RedisServerError, serverError.code == "NOSCRIPT" else {
                return self.group.any().makeFailedFuture(error)
            }
            return self.load(script, deadline: deadline).flatMap { sha in
                self.pool.send(Self.evalSHACommand(sha, keys: keys, arguments: arguments), deadline: deadline)
            }
        }
        return self.observe(reply, operation: "EVALSHA", start: start)
    }

    /// Runs a Lua script; see ``evalSHA(_:keys:arguments:timeout:)-(_,_,_,_)->EventLoopFuture<RESPValue>``.
    public func evalSHA(
        _ script: RedisScript,
        keys: [String],
        arguments: [String],
        timeout: TimeAmount
    ) async throws -> RESPValue {
        let reply: EventLoopFuture<RESPValue> = self.evalSHA(script, keys: keys, arguments: arguments, timeout: timeout)
        return try await reply.get()
    }

    private func load(_ script: RedisScript, deadline: NIODeadline) -> EventLoopFuture<String> {
        self.pool.send(RedisCommand("SCRIPT", "LOAD", script.source).respValue, deadline: deadline)
            .flatMapThrowing { reply in
                guard case .bulkString(.some(let buffer)) = reply else {
                    throw RedisClientError.unexpectedReply
                }
                let sha = String(buffer: buffer)
                self.scriptHashes.withLockedValue { $0[script.source] = sha }
                return sha
            }
    }

    private static func evalSHACommand(_ sha: String, keys: [String], arguments: [String]) -> RESPValue {
        RedisCommand("EVALSHA", arguments: ([sha, String(keys.count)] + keys + arguments).map { ByteBuffer(string: $0) })
            .respValue
    }

    // MARK: - Pub/sub

    /// Publishes a message through the command pool.
    ///
    /// - Parameters:
    ///   - message: The message.
    ///   - channel: The channel.
    ///   - timeout: The bound on the call.
    /// - Returns: How many subscribers received it (on this server).
    public func publish(_ message: ByteBuffer, to channel: String, timeout: TimeAmount) -> EventLoopFuture<Int64> {
        self.send(RedisCommand("PUBLISH", arguments: [ByteBuffer(string: channel), message]), timeout: timeout)
            .flatMapThrowing { reply in
                guard let receivers = reply.integer else {
                    throw RedisClientError.unexpectedReply
                }
                return receivers
            }
    }

    /// Publishes a message; see ``publish(_:to:timeout:)-(_,_,_)->EventLoopFuture<Int64>``.
    public func publish(_ message: ByteBuffer, to channel: String, timeout: TimeAmount) async throws -> Int64 {
        let receivers: EventLoopFuture<Int64> = self.publish(message, to: channel, timeout: timeout)
        return try await receivers.get()
    }

    /// Subscribes to channels on the client's pub/sub connection, opening it on the first call.
    ///
    /// The connection reconnects with backoff and jitter after a drop and subscribes again; each time this
    /// subscription becomes active again it calls `onReconnect`, since messages published meanwhile were missed.
    /// Failed connects and `SUBSCRIBE`s are reported to ``RedisClientHooks/onError`` as `SUBSCRIBE`.
    ///
    /// - Parameters:
    ///   - channels: The channels.
    ///   - onMessage: Called for every message on them, on the connection's event loop.
    ///   - onReconnect: Called each time the subscription is active again after the connection was lost.
    /// - Returns: Completes when the subscription is first active. While Redis is unreachable that waits; it
    ///   fails only with ``RedisClientError/shutDown``.
    public func subscribe(
        to channels: [String],
        onMessage: @escaping @Sendable (RedisPubSubMessage) -> Void,
        onReconnect: @escaping @Sendable () -> Void = {}
    ) -> EventLoopFuture<Void> {
        self.subscriber.subscribe(to: channels, onMessage: onMessage, onReconnect: onReconnect)
    }

    // MARK: - Shutdown

    /// Closes every connection and stops reconnecting; calls still waiting fail.
    ///
    /// - Returns: Completes when every connection is closed.
    public func shutdown() -> EventLoopFuture<Void> {
        EventLoopFuture.andAllComplete([self.pool.shutdown(), self.subscriber.shutdown()], on: self.group.any())
    }

    /// Closes every connection and stops reconnecting; see ``shutdown()-()->EventLoopFuture<Void>``.
    public func shutdown() async {
        let done: EventLoopFuture<Void> = self.shutdown()
        try? await done.get()
    }

    // MARK: - Hooks

    private func observe<Value: Sendable>(
        _ reply: EventLoopFuture<Value>,
        operation: String,
        start: NIODeadline
    ) -> EventLoopFuture<Value> {
        reply.whenComplete { result in
            switch result {
            case .success:
                self.hooks.onRoundTrip(operation, .now() - start)
            case .failure(let error as RedisClientError) where error == .shutDown:
                break
            case .failure(let error):
                self.hooks.onError(operation, error)
            }
        }
        return reply
    }
}
