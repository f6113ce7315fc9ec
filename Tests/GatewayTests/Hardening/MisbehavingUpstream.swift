import NIOCore
import NIOPosix

/// A tiny upstream on 127.0.0.1 (port 0) that reads a request head and then misbehaves as told.
final class MisbehavingUpstream: Sendable {
    enum Behaviour: Sendable {
        /// Send these bytes, then close normally (FIN).
        case sendThenClose([UInt8])
        /// Send these bytes, then reset (RST).
        case sendThenReset([UInt8])
        /// Close as soon as the request arrives, sending nothing.
        case closeImmediately
    }

    let port: Int
    private let channel: any Channel

    var url: String { "http://127.0.0.1:\(port)" }

    private init(channel: any Channel) {
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
    }

    static func start(_ behaviour: Behaviour) async throws -> MisbehavingUpstream {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Handler(behaviour: behaviour))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return MisbehavingUpstream(channel: channel)
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
        var received: [UInt8] = []
        var done = false

        init(behaviour: Behaviour) { self.behaviour = behaviour }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard !done else { return }
            received += unwrapInboundIn(data).readableBytesView
            guard received.firstRange(of: [13, 10, 13, 10]) != nil else { return }
            done = true
            let channel = context.channel
            switch behaviour {
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
