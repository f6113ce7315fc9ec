import NIOCore
import NIOHTTP1
import NIOTLS

/// A part of a request pingate sends upstream.
typealias UpstreamRequestPart = HTTPPart<HTTPRequestHead, IOData>
/// A part of an upstream's answer, as NIO's response decoder delivers it.
typealias UpstreamResponsePart = HTTPPart<HTTPResponseHead, ByteBuffer>

/// What an upstream connection reports to the exchange using it (same event loop).
protocol UpstreamConnectionDelegate: AnyObject {
    func upstreamRead(_ part: UpstreamResponsePart)
    func upstreamReadComplete()
    func upstreamWritabilityChanged(_ writable: Bool)
    func upstreamFailed(_ failure: UpstreamFailure)
}

/// The last handler of an upstream connection's pipeline: it tells the pool when the connection is ready (TCP
/// connected, and the TLS handshake verified for https), hands each answer part to the exchange using the
/// connection, holds reads while that exchange's client is not writable, and reports failures and closes.
final class UpstreamConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = UpstreamResponsePart
    typealias OutboundIn = UpstreamRequestPart
    typealias OutboundOut = UpstreamRequestPart

    /// The exchange the connection serves now; nil while pooled.
    var delegate: (any UpstreamConnectionDelegate)?
    /// Called once when the channel closes (the pool frees its slot).
    var onClose: (() -> Void)?
    private let ready: EventLoopPromise<Void>
    private let isTLS: Bool
    private let diagnosis: CertificateDiagnosis?
    private let host: String
    private var isReady = false
    private var readsPaused = false
    private var readPending = false
    private var context: ChannelHandlerContext?

    /// - Parameters:
    ///   - ready: succeeded once the connection can carry a request; failed with an ``UpstreamFailure``.
    ///   - diagnosis: set for TLS connections, to name a certificate failure.
    init(ready: EventLoopPromise<Void>, diagnosis: CertificateDiagnosis?, host: String) {
        self.ready = ready
        self.isTLS = diagnosis != nil
        self.diagnosis = diagnosis
        self.host = host
    }

    /// Future of ``init(ready:diagnosis:host:)``'s promise.
    var readyFuture: EventLoopFuture<Void> { ready.futureResult }

    // MARK: - Readiness

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive && !isTLS { becomeReady() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        if !isTLS { becomeReady() }
        context.fireChannelActive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted? = event as? TLSUserEvent { becomeReady() }
        context.fireUserInboundEventTriggered(event)
    }

    private func becomeReady() {
        guard !isReady else { return }
        isReady = true
        ready.succeed()
    }

    // MARK: - Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let delegate else {
            // Bytes on an idle connection: it cannot be trusted for another exchange.
            context.close(promise: nil)
            return
        }
        delegate.upstreamRead(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        delegate?.upstreamReadComplete()
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        delegate?.upstreamWritabilityChanged(context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let failure: UpstreamFailure
        if !isReady, let diagnosis {
            failure = diagnosis.failure(for: error, host: host)
        } else {
            failure = UpstreamFailure.classify(error)
        }
        fail(failure)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(UpstreamFailure(.connectionClosed, isReady ? "upstream closed the connection" : "upstream closed the connection during the TLS handshake"))
        let onClose = self.onClose
        self.onClose = nil
        onClose?()
        context.fireChannelInactive()
    }

    private func fail(_ failure: UpstreamFailure) {
        if !isReady {
            isReady = true
            ready.fail(failure)
        }
        let delegate = self.delegate
        self.delegate = nil
        delegate?.upstreamFailed(failure)
    }

    // MARK: - Backpressure

    /// Stops (or resumes) reading the upstream: the exchange's client is not draining.
    func setReadsPaused(_ paused: Bool) {
        readsPaused = paused
        if !paused && readPending {
            readPending = false
            context?.read()
        }
    }

    func read(context: ChannelHandlerContext) {
        if readsPaused {
            readPending = true
        } else {
            context.read()
        }
    }
}

@available(*, unavailable)
extension UpstreamConnectionHandler: Sendable {}
