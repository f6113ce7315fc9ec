import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import Testing

@testable import RedisClient

@Suite("Command handler", .timeLimit(.minutes(1)))
struct RedisCommandHandlerTests {
    private func makeChannel(onPush: ((RESPValue) -> Void)? = nil) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers([
            ByteToMessageHandler(RESPDecoder()),
            MessageToByteHandler(RESPEncoder()),
            RedisCommandHandler(onPush: onPush),
        ])
        try channel.connect(to: .init(ipAddress: "127.0.0.1", port: 6379)).wait()
        return channel
    }

    private func request(
        _ channel: EmbeddedChannel,
        _ command: RedisCommand,
        replyCount: Int = 1,
        deadline: NIODeadline = .uptimeNanoseconds(1_000_000_000)
    ) -> EventLoopFuture<RESPValue> {
        let promise = channel.eventLoop.makePromise(of: RESPValue.self)
        // As RedisConnection does: a write that never reaches the handler fails the reply.
        channel.writeAndFlush(
            RedisRequest(command: command.respValue, replyCount: replyCount, deadline: deadline, promise: promise)
        ).whenFailure { promise.fail($0) }
        return promise.futureResult
    }

    private func result(_ future: EventLoopFuture<RESPValue>) -> Result<RESPValue, any Error>? {
        let box = NIOLockedValueBox<Result<RESPValue, any Error>?>(nil)
        future.whenComplete { result in box.withLockedValue { $0 = result } }
        return box.withLockedValue { $0 }
    }

    @Test("pipelined commands get their replies in order")
    func pipelining() throws {
        let channel = try makeChannel()
        defer { _ = try? channel.finish() }
        let replies = (0..<3).map { request(channel, RedisCommand("ECHO", "\($0)")) }
        let written = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(String(buffer: written) == "*2\r\n$4\r\nECHO\r\n$1\r\n0\r\n")
        #expect(replies.allSatisfy { result($0) == nil }, "nothing answered yet")
        try channel.writeInbound(ByteBuffer(string: "$1\r\n0\r\n$1\r\n1\r\n$1"))
        #expect(try result(replies[0])?.get() == .bulkString(ByteBuffer(string: "0")))
        #expect(try result(replies[1])?.get() == .bulkString(ByteBuffer(string: "1")))
        #expect(result(replies[2]) == nil)
        try channel.writeInbound(ByteBuffer(string: "\r\n2\r\n"))
        #expect(try result(replies[2])?.get() == .bulkString(ByteBuffer(string: "2")))
    }

    @Test("an error reply fails its command only")
    func errorReply() throws {
        let channel = try makeChannel()
        defer { _ = try? channel.finish() }
        let failing = request(channel, RedisCommand("EVALSHA", "abc", "0"))
        let next = request(channel, RedisCommand("PING"))
        try channel.writeInbound(ByteBuffer(string: "-NOSCRIPT No matching script.\r\n+PONG\r\n"))
        #expect(throws: RedisServerError(message: "NOSCRIPT No matching script.")) { try result(failing)?.get() }
        #expect((try? result(failing)?.get()) == nil)
        #expect(try result(next)?.get() == .simpleString("PONG"))
        #expect(RedisServerError(message: "NOSCRIPT No matching script.").code == "NOSCRIPT")
    }

    @Test("a command with several replies gets them as one array")
    func severalReplies() throws {
        let channel = try makeChannel(onPush: { _ in })
        defer { _ = try? channel.finish() }
        let subscribed = request(channel, RedisCommand("SUBSCRIBE", "a", "b"), replyCount: 2)
        try channel.writeInbound(ByteBuffer(string: "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n"))
        #expect(result(subscribed) == nil)
        try channel.writeInbound(ByteBuffer(string: "*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n"))
        #expect(try result(subscribed)?.get().elements?.count == 2)
    }

    @Test("messages go to the push handler, not to a waiting command")
    func pushRouting() throws {
        let pushed = NIOLockedValueBox<[RedisPubSubMessage]>([])
        let channel = try makeChannel(onPush: { value in
            if let message = RedisPubSubMessage(value) { pushed.withLockedValue { $0.append(message) } }
        })
        defer { _ = try? channel.finish() }
        let ping = request(channel, RedisCommand("PING"))
        try channel.writeInbound(ByteBuffer(string: "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"))
        try channel.writeInbound(ByteBuffer(string: ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$3\r\nhi3\r\n"))
        #expect(result(ping) == nil)
        try channel.writeInbound(ByteBuffer(string: "*2\r\n$4\r\npong\r\n$0\r\n\r\n"))
        #expect(result(ping) != nil)
        #expect(
            pushed.withLockedValue { $0 } == [
                RedisPubSubMessage(channel: "ch", payload: ByteBuffer(string: "hi")),
                RedisPubSubMessage(channel: "ch", payload: ByteBuffer(string: "hi3")),
            ]
        )
    }

    @Test("a RESP3 push on a command connection is dropped, not taken for a reply")
    func pushOnCommandConnection() throws {
        let channel = try makeChannel()
        defer { _ = try? channel.finish() }
        let get = request(channel, RedisCommand("GET", "k"))
        try channel.writeInbound(ByteBuffer(string: ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n$1\r\nv\r\n"))
        #expect(try result(get)?.get() == .bulkString(ByteBuffer(string: "v")))
        #expect(channel.isActive)
    }

    @Test("a passed deadline fails the command with a timeout, the rest as closed, and closes the connection")
    func timeout() throws {
        let channel = try makeChannel()
        defer { _ = try? channel.finish() }
        let slow = request(channel, RedisCommand("GET", "a"), deadline: .uptimeNanoseconds(100))
        let behind = request(channel, RedisCommand("GET", "b"), deadline: .uptimeNanoseconds(10_000))
        channel.embeddedEventLoop.advanceTime(to: .uptimeNanoseconds(99))
        #expect(result(slow) == nil)
        channel.embeddedEventLoop.advanceTime(to: .uptimeNanoseconds(100))
        #expect(throws: RedisClientError.timeout) { try result(slow)?.get() }
        #expect(throws: RedisClientError.connectionClosed) { try result(behind)?.get() }
        #expect(!channel.isActive)
        let late = request(channel, RedisCommand("PING"))
        #expect(throws: (any Error).self) { try result(late)?.get() }
    }

    @Test("a reply nobody asked for closes the connection")
    func unsolicitedReply() throws {
        let channel = try makeChannel()
        defer { _ = try? channel.finish() }
        try channel.writeInbound(ByteBuffer(string: "+OK\r\n"))
        #expect(!channel.isActive)
    }

    @Test("a malformed reply fails the waiting commands with the protocol error")
    func malformedReply() throws {
        let channel = try makeChannel()
        defer { _ = try? channel.finish() }
        let waiting = request(channel, RedisCommand("GET", "a"))
        _ = try? channel.writeInbound(ByteBuffer(string: "?oops\r\n"))
        #expect(throws: RESPProtocolError.unknownType) { try result(waiting)?.get() }
        #expect(!channel.isActive)
    }

    @Test("a closed connection fails every waiting command")
    func closeFailsWaiting() throws {
        let channel = try makeChannel()
        let waiting = (0..<3).map { _ in request(channel, RedisCommand("PING")) }
        _ = try channel.finish()
        for future in waiting {
            #expect(throws: RedisClientError.connectionClosed) { try result(future)?.get() }
        }
    }
}
