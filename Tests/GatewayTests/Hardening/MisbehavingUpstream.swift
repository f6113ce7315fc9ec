import NIOCore
import NIOPosix
import Synchronization
import TestSupport

/// A tiny upstream on 127.0.0.1 (port 0) that reads a request head and then misbehaves as told.
final class MisbehavingUpstream: Sendable {
    enum Behaviour: Sendable {
        /// Send these bytes, then close normally (FIN).
        case sendThenClose([UInt8])
        /// Send these bytes, then reset (RST).
        case sendThenReset([UInt8])
        /// Close as soon as the request arrives, sending nothing.
        case closeImmediately
        /// Answer the first request of each connection with these bytes (a kept-alive answer), then close the
        /// connection, sending nothing, when its next request arrives: a pooled connection the upstream had
        /// already given up on.
        case answerOnceThenCloseOnNext([UInt8])
        /// Reset (RST) the connection as soon as a request head arrives, whatever body follows.
        case resetAfterHead
        /// Read the request and never answer: only the client can end the connection.
        case hold
    }

    /// What happened on the upstream's connections, in order.
    enum Event: Sendable, Equatable {
        /// A request head arrived.
        case requestReceived
        /// A connection closed (for ``Behaviour/hold``: the client closed it).
        case connectionClosed
    }

    /// What arrived, across connections.
    final class Counts: Sendable {
        private let state = Mutex((heads: 0, connections: 0))
        var heads: Int { state.withLock { $0.heads } }
        var connections: Int { state.withLock { $0.connections } }
        func head() { state.withLock { $0.heads += 1 } }
        func connection() { state.withLock { $0.connections += 1 } }
    }

    let port: Int
    /// Request heads and connections seen so far.
    let counts: Counts
    /// Every ``Event``, for one reader.
    let events: AsyncStream<Event>
    private let channel: any Channel

    var url: String { "http://127.0.0.1:\(port)" }

    private init(channel: any Channel, counts: Counts, events: AsyncStream<Event>) {
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
        self.counts = counts
        self.events = events
    }

    static func start(_ behaviour: Behaviour) async throws -> MisbehavingUpstream {
        let counts = Counts()
        let (events, sink) = AsyncStream.makeStream(of: Event.self)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    counts.connection()
                    try channel.pipeline.syncOperations.addHandler(Handler(behaviour: behaviour, counts: counts, events: sink))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return MisbehavingUpstream(channel: channel, counts: counts, events: events)
    }

    func stop() async { try? await channel.close() }

    /// Waits for `event` (bounded), skipping others.
    /// - Throws: ``WaitTimeout`` naming the event.
    func next(_ event: Event, within timeout: Duration = .seconds(30)) async throws {
        let events = self.events
        try await withDeadline("\(event) at the misbehaving upstream", within: timeout) {
            for await seen in events where seen == event { return }
        }
    }

    /// The head of a 200 whose body is `declared` bytes long, followed by `sent` bytes of it.
    static func truncated(declared: Int, sent: Int) -> [UInt8] {
        Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(declared)\r\nCache-Control: max-age=60\r\n\r\n".utf8)
            + Array(repeating: UInt8(ascii: "x"), count: sent)
    }

    /// A complete kept-alive `200` with a small JSON body.
    static let okAnswer = Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"status\":\"ok\"}".utf8)

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let behaviour: Behaviour
        let counts: Counts
        let events: AsyncStream<Event>.Continuation
        var received: [UInt8] = []
        var answered = 0
        var done = false

        init(behaviour: Behaviour, counts: Counts, events: AsyncStream<Event>.Continuation) {
            self.behaviour = behaviour
            self.counts = counts
            self.events = events
        }

        func channelInactive(context: ChannelHandlerContext) {
            events.yield(.connectionClosed)
            context.fireChannelInactive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard !done else { return }
            received += unwrapInboundIn(data).readableBytesView
            guard let headEnd = received.firstRange(of: [13, 10, 13, 10]) else { return }
            received.removeSubrange(..<headEnd.upperBound)
            counts.head()
            events.yield(.requestReceived)
            let channel = context.channel
            switch behaviour {
            case .hold:
                done = true
            case .closeImmediately:
                done = true
                context.close(promise: nil)
            case .sendThenClose(let bytes):
                done = true
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: bytes))).whenComplete { _ in channel.close(promise: nil) }
            case .sendThenReset(let bytes):
                done = true
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: bytes))).whenComplete { _ in Self.reset(channel) }
            case .answerOnceThenCloseOnNext(let bytes):
                answered += 1
                if answered == 1 {
                    context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: bytes)), promise: nil)
                } else {
                    done = true
                    context.close(promise: nil)
                }
            case .resetAfterHead:
                done = true
                Self.reset(channel)
            }
        }

        static func reset(_ channel: any Channel) {
            guard let provider = channel as? any SocketOptionProvider else { return channel.close(promise: nil) }
            provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in
                channel.close(promise: nil)
            }
        }
    }
}
