import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// An answer the fast path writes itself, without entering Swift concurrency.
public struct FastResponse: Sendable {
    /// Status and header fields.
    public var head: HTTPResponse
    /// The body (nil for HEAD answers and bodiless statuses).
    public var body: ByteBuffer?
    /// Close the connection after writing (refusals of requests that may carry a body).
    public var close: Bool

    /// Creates a fast answer.
    public init(head: HTTPResponse, body: ByteBuffer?, close: Bool = false) {
        self.head = head
        self.body = body
        self.close = close
    }
}

/// Decides, synchronously on the event loop, whether a request head can be answered without the async path.
///
/// Returning nil passes the request on. Called for every request head, so it must be cheap and non-blocking.
public protocol FastPathDecider: Sendable {
    /// The answer for `head`, or nil to pass the request to the async proxy path.
    func answer(_ head: HTTPRequest, peer: SocketAddress?) -> FastResponse?
}

/// Sits right after HTTP decoding and answers what it can from memory: fresh cache hits and refusals.
///
/// Why a channel handler: a hit that travels Hummingbird's async channel, router and middleware cannot beat
/// nginx on this hardware (see PERF-NOTES); answered here it costs one dictionary lookup and one write.
/// Everything else, and any request arriving while an earlier one on the connection is still being
/// answered by the async path (pipelining keeps responses in order), is passed on untouched.
final class FastPathHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let decider: any FastPathDecider
    /// A request was passed downstream and its response has not ended yet.
    private var downstreamBusy = false
    /// Body parts of a request answered here are dropped until its end.
    private var swallowing = false

    init(decider: any FastPathDecider) {
        self.decider = decider
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch part {
        case .head(var head):
            if let answer = decider.answer(head, peer: context.channel.remoteAddress) {
                if !downstreamBusy {
                    swallowing = true
                    write(answer, context: context)
                    return
                }
                if answer.close {
                    // A refused request pipelined behind one still in flight: it cannot be answered in order.
                    context.close(promise: nil)
                    return
                }
                // A hit pipelined behind an in-flight request: the async path answers it, in order.
            }
            if let expect = head.headerFields[.expect] {
                // curl and SDKs wait for 100 Continue before large uploads; answer it once the request is accepted.
                if expect.lowercased() == "100-continue" {
                    context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
                }
                head.headerFields[.expect] = nil
            }
            downstreamBusy = true
            context.fireChannelRead(wrapInboundOut(.head(head)))
        case .body:
            if !swallowing { context.fireChannelRead(data) }
        case .end:
            if swallowing {
                swallowing = false
            } else {
                context.fireChannelRead(data)
            }
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            downstreamBusy = false
        }
        context.write(data, promise: promise)
    }

    private func write(_ answer: FastResponse, context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(answer.head)), promise: nil)
        if let body = answer.body, body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(body)), promise: nil)
        }
        if answer.close {
            // The guard (RequestGuardHandler) half-closes and drains, so the client reads the refusal, not a reset.
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                let promise = context.eventLoop.makePromise(of: Void.self)
                promise.futureResult.assumeIsolated().whenFailure { _ in context.close(promise: nil) }
                context.triggerUserOutboundEvent(LingeringCloseRequest(), promise: promise)
            }
        } else {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}
