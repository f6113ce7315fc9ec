import NIOCore

/// The first handler of a client connection, on raw bytes, working for ``RequestGuardHandler`` through pipeline
/// events (``GuardEvent`` inbound, ``TapCommand`` outbound):
///
/// - reports when the first bytes of a new request head arrive (the header timeout starts then);
/// - measures the request line as it arrives, so an endless one is refused (414) without buffering it;
/// - once told to drop, swallows all further input and reports the client's half-close.
final class RawInputTap: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let maxRequestLine: Int
    /// Input is dropped (a refusal is being answered).
    private var dropping = false
    /// The next bytes start a request head (nothing of it seen yet).
    private var awaitingHead = true
    /// The request line of the current head is being received (no LF seen yet).
    private var inRequestLine = true
    /// Bytes of the current request line seen so far (CR included).
    private var requestLineBytes = 0

    init(maxRequestLine: Int) {
        self.maxRequestLine = maxRequestLine
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if dropping { return }
        let buffer = unwrapInboundIn(data)
        if awaitingHead {
            awaitingHead = false
            context.fireUserInboundEventTriggered(GuardEvent.headStarted)
        }
        if inRequestLine {
            let view = buffer.readableBytesView
            if let lf = view.firstIndex(of: UInt8(ascii: "\n")) {
                requestLineBytes += lf - view.startIndex
                inRequestLine = false
            } else {
                requestLineBytes += view.count
            }
            // +1: the CR before LF is not part of the line.
            if requestLineBytes > maxRequestLine + 1 {
                dropping = true
                context.fireUserInboundEventTriggered(GuardEvent.requestLineTooLong)
                return
            }
        }
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if dropping, case ChannelEvent.inputClosed? = event as? ChannelEvent {
            context.fireUserInboundEventTriggered(GuardEvent.inputClosedWhileDropping)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let command = event as? TapCommand else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        switch command {
        case .expectHead:
            awaitingHead = true
            inRequestLine = true
            requestLineBytes = 0
        case .startDropping:
            dropping = true
        }
        promise?.succeed()
    }
}

@available(*, unavailable)
extension RawInputTap: Sendable {}
