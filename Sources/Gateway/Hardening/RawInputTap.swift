import NIOCore

/// The first handler of a connection, on raw bytes, working for ``RequestGuardHandler``:
///
/// - tells the guard when bytes of a new request head start arriving (the header timeout starts then);
/// - measures the request line as it arrives, so an endless one is refused (414) without buffering it;
/// - once the guard refused, drops all further input (nothing more is parsed or forwarded) and finishes the
///   lingering close when the client half-closes.
final class RawInputTap: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// The guard this tap reports to (weak: the guard owns the tap).
    weak var owner: RequestGuardHandler?
    private let maxRequestLine: Int

    /// Input is dropped (a refusal was answered or is being answered).
    private(set) var dropping = false
    /// The client half-closed (or closed) its side.
    private(set) var inputClosed = false
    /// The request line of the next head is being received (no LF seen yet).
    private(set) var inRequestLine = true
    /// Bytes of the current request line seen so far (CR included).
    private var requestLineBytes = 0
    private var context: ChannelHandlerContext?

    init(maxRequestLine: Int) {
        self.maxRequestLine = maxRequestLine
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    /// The guard saw a request end and the read carrying it complete: the next bytes start a new head.
    func expectHead() {
        inRequestLine = true
        requestLineBytes = 0
    }

    /// The request line was complete (a head was decoded); nothing is scanned until ``expectHead()``.
    func headDecoded() {
        inRequestLine = false
        requestLineBytes = 0
    }

    /// Some bytes of the current head arrived.
    var sawHeadBytes: Bool { requestLineBytes > 0 || !inRequestLine }

    /// Drop all further input.
    func startDropping() { dropping = true }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if dropping { return }
        let buffer = unwrapInboundIn(data)
        owner?.bytesArrived()
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
                owner?.refuse(.requestLineTooLong(maxRequestLine))
                return
            }
        }
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            inputClosed = true
            if dropping {
                context.close(promise: nil)
                return
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        inputClosed = true
        context.fireChannelInactive()
    }

    /// Writes bytes that are already an HTTP/1.1 response straight to the socket (below the HTTP encoder), then flushes.
    func writeAndFlush(_ first: ByteBuffer, _ second: ByteBuffer, _ third: ByteBuffer?) {
        guard let context else { return }
        context.write(wrapInboundOut(first), promise: nil)
        context.write(wrapInboundOut(second), promise: nil)
        if let third { context.write(wrapInboundOut(third), promise: nil) }
        context.flush()
    }
}
