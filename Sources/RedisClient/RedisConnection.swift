import NIOCore
import NIOPosix

/// One established connection: transport connected, `AUTH` and `SELECT` done.
final class RedisConnection: Sendable {
    let channel: any Channel

    private init(channel: any Channel) {
        self.channel = channel
    }

    /// Connects, authenticates and selects the database, all within `timeout`.
    ///
    /// - Parameters:
    ///   - configuration: Where to connect and with which credentials.
    ///   - eventLoop: The loop the connection lives on.
    ///   - timeout: The bound on the whole connect, handshake included.
    ///   - decoderLimits: The reply decoder's bounds.
    ///   - onPush: Receives pub/sub messages; `nil` for a command connection.
    /// - Returns: The connection, or the first error (a ``RedisServerError`` when `AUTH` or `SELECT` is refused).
    static func connect(
        to configuration: RedisConfiguration,
        on eventLoop: any EventLoop,
        timeout: TimeAmount,
        decoderLimits: RESPDecoder.Limits,
        onPush: (@Sendable (RESPValue) -> Void)? = nil
    ) -> EventLoopFuture<RedisConnection> {
        let deadline = NIODeadline.now() + timeout
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(RESPDecoder(limits: decoderLimits)),
                        MessageToByteHandler(RESPEncoder()),
                        RedisCommandHandler(onPush: onPush),
                    ])
                }
            }
        let connected: EventLoopFuture<any Channel>
        switch configuration.endpoint {
        case .tcp(let host, let port):
            connected = bootstrap
                .channelOption(.socketOption(.so_keepalive), value: 1)
                .connect(host: host, port: port)
        case .unixSocket(let path):
            connected = bootstrap.connect(unixDomainSocketPath: path)
        }
        return connected.flatMap { channel in
            let connection = RedisConnection(channel: channel)
            return connection.handshake(configuration, deadline: deadline)
                .map { connection }
                .flatMapErrorThrowing { error in
                    channel.close(promise: nil)
                    throw error
                }
        }
    }

    private func handshake(_ configuration: RedisConfiguration, deadline: NIODeadline) -> EventLoopFuture<Void> {
        var steps: [RedisCommand] = []
        if let password = configuration.password {
            steps.append(
                configuration.username.map { RedisCommand("AUTH", $0, password) } ?? RedisCommand("AUTH", password)
            )
        }
        if configuration.database != 0 {
            steps.append(RedisCommand("SELECT", String(configuration.database)))
        }
        // Pipelined: a refused AUTH fails its own reply, and the SELECT after it fails too.
        let replies = steps.map { self.send($0.respValue, deadline: deadline) }
        return EventLoopFuture.andAllSucceed(replies, on: self.channel.eventLoop)
    }

    /// Sends one command.
    ///
    /// - Parameters:
    ///   - command: The command as a RESP array.
    ///   - replyCount: How many replies it produces (see ``RedisRequest/replyCount``).
    ///   - deadline: When the reply must have arrived.
    /// - Returns: The reply; an error reply fails with ``RedisServerError``.
    func send(_ command: RESPValue, replyCount: Int = 1, deadline: NIODeadline) -> EventLoopFuture<RESPValue> {
        let promise = self.channel.eventLoop.makePromise(of: RESPValue.self)
        let request = RedisRequest(command: command, replyCount: replyCount, deadline: deadline, promise: promise)
        self.channel.writeAndFlush(request).whenFailure { error in
            // A write that never reached the handler (the channel had closed) completes nothing else.
            promise.fail(error is ChannelError ? RedisClientError.connectionClosed : error)
        }
        return promise.futureResult
    }

    /// Completes when the connection has closed, for whatever reason.
    var closeFuture: EventLoopFuture<Void> {
        self.channel.closeFuture
    }

    /// Closes the connection; waiting requests fail with ``RedisClientError/connectionClosed``.
    @discardableResult
    func close() -> EventLoopFuture<Void> {
        self.channel.close().recover { _ in }
    }
}
