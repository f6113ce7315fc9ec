import NIOCore
import NIOPosix
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

    let port: Int
    private let channel: any Channel
    /// Every ``Event``, for one reader.
    let events: AsyncStream<Event>

    var url: String { "http://127.0.0.1:\(port)" }

    private init(channel: any Channel, events: AsyncStream<Event>) {
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
        self.events = events
    }

    static func start(_ behaviour: Behaviour) async throws -> MisbehavingUpstream {
        let (events, sink) = AsyncStream.makeStream(of: Event.self)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Handler(behaviour: behaviour, events: sink))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return MisbehavingUpstream(channel: channel, events: events)
    }

    /// Waits for `event` (bounded), skipping others.
    /// - Throws: ``WaitTimeout`` naming the event.
    func next(_ event: Event, within timeout: Duration = .seconds(30)) async throws {
        let events = self.events
        try await withDeadline("\(event) at the misbehaving upstream", within: timeout) {
            for await seen in events where seen == event { return }
        }
    }

    func stop() async { try? await channel.close() }

    /// The head of a 200 whose body is `declared` bytes long, followed by `sent` bytes of it.
    static func truncated(declared: Int, sent: Int) -> [UInt8] {
        Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(declared)\r\nCache-Control: max-age=60\r\n\r\n".utf8)
            + Array(repeating: UInt8(ascii: "x"), count: sent)
    }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let behaviour: Behaviour
        let events: AsyncStream<Event>.Continuation
        var received: [UInt8] = []
        var done = false

        init(behaviour: Behaviour, events: AsyncStream<Event>.Continuation) {
            self.behaviour = behaviour
            self.events = events
        }

        func channelInactive(context: ChannelHandlerContext) {
            events.yield(.connectionClosed)
            context.fireChannelInactive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard !done else { return }
            received += unwrapInboundIn(data).readableBytesView
            guard received.firstRange(of: [13, 10, 13, 10]) != nil else { return }
            done = true
            events.yield(.requestReceived)
            let channel = context.channel
            switch behaviour {
            case .hold:
                return
            case .closeImmediately:
                context.close(promise: nil)
            case .sendThenClose(let bytes):
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: bytes))).whenComplete { _ in channel.close(promise: nil) }
            case .sendThenReset(let bytes):
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: bytes))).whenComplete { _ in
                    guard let provider = channel as? any SocketOptionProvider else { return channel.close(promise: nil) }
                    provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in
                        channel.close(promise: nil)
                    }
                }
            }
        }
    }
}
