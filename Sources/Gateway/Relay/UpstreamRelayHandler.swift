import NIOCore
import NIOHTTP1

/// The last handler of a relay upstream connection: hands each response part to the exchange using the
/// connection, and tells it when the connection fails or closes. An idle pooled connection has no exchange.
final class UpstreamRelayHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    /// The exchange the connection serves now (same event loop).
    var exchange: RelayExchange?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        exchange?.upstreamRead(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        exchange?.upstreamReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let exchange = self.exchange
        self.exchange = nil
        context.close(promise: nil)
        exchange?.upstreamFailed(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        let exchange = self.exchange
        self.exchange = nil
        exchange?.upstreamFailed(ChannelError.eof)
        context.fireChannelInactive()
    }
}
