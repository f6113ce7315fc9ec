import GatewayCache
import HTTPTypes
import NIOCore
import NIOHTTP1

/// Answers fresh cache hits straight from the event loop, before any HTTPTypes conversion or Swift
/// concurrency hop; everything else passes on to Hummingbird untouched.
///
/// Why here: a hit that travels Hummingbird's codec, async channel and responder cannot beat nginx on this
/// hardware (PERF-NOTES); answered right after HTTP/1 decoding it costs one cache lookup and one write.
/// It sits after the request guard, so every request it answers has passed the framing, Host and Origin checks.
/// A request arriving while an earlier one on the connection is still being answered by the async path is
/// passed on too (pipelined responses stay in order). It also answers `Expect: 100-continue`.
final class CacheHitHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let fastPath: GatewayFastPath
    /// Requests passed downstream whose responses have not ended yet.
    private var downstreamPending = 0
    /// Body parts of a request answered here are dropped until its end.
    private var swallowing = false
    /// Writes encoded hits below the HTTP encoder (nil without a guard in the pipeline, e.g. in unit tests).
    private var guardHandler: RequestGuardHandler?

    init(fastPath: GatewayFastPath) {
        self.fastPath = fastPath
    }

    func handlerAdded(context: ChannelHandlerContext) {
        guardHandler = try? context.pipeline.syncOperations.handler(type: RequestGuardHandler.self)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        guardHandler = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(var head):
            if downstreamPending == 0, let hit = fastPath.hit(head, peer: context.channel.remoteAddress) {
                swallowing = true
                answer(hit, to: head, context: context)
                return
            }
            if let expect = head.headers.first(name: "expect") {
                // curl and SDKs wait for 100 Continue before large uploads; the request has passed the guard.
                if expect.lowercased() == "100-continue" {
                    context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
                }
                head.headers.remove(name: "expect")
            }
            downstreamPending += 1
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

    /// Writes a hit: HTTP/1.1 keep-alive without `Origin` (the common case) as one encoded head through the guard,
    /// below the HTTP encoder; anything else as NIOHTTP1 parts, so the encoder and the guard handle version,
    /// `Connection: close` and CORS exactly as for every other response.
    private func answer(_ hit: GatewayFastPath.Hit, to head: HTTPRequestHead, context: ChannelHandlerContext) {
        if let guardHandler, head.version == .http1_1, head.isKeepAlive, !head.headers.contains(name: "origin") {
            let encoded = hit.encodedHead(date: fastPath.date, allocator: context.channel.allocator)
            guardHandler.writeEncodedResponse(head: encoded, body: hit.isHEAD ? nil : hit.entry.body)
            return
        }
        let (responseHead, body) = hit.parts(version: head.version, date: fastPath.date)
        context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
        if let body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        if head.isKeepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), downstreamPending > 0 {
            downstreamPending -= 1
        }
        context.write(data, promise: promise)
    }
}
