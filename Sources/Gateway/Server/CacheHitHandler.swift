import GatewayCache
import HTTPTypes
import NIOCore
import NIOHTTP1

/// The event-loop fast path: answers fresh cache hits, relays bypass GETs (``RelayExchange``) and refuses
/// their over-budget requests, all before any HTTPTypes conversion or Swift concurrency hop; everything else
/// passes on to Hummingbird untouched.
///
/// Why here: a hit that travels Hummingbird's codec, async channel and responder cannot beat nginx on this
/// hardware (PERF-NOTES); answered right after HTTP/1 decoding it costs one cache lookup and one write.
/// It sits after the request guard, so every request it answers has passed the framing, Host and Origin checks.
/// Responses stay in order: nothing is answered here while an earlier request on the connection is still being
/// answered by the async path, and requests arriving during a relay wait for it to end.
/// It also answers `Expect: 100-continue`.
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
    /// The GET being relayed on this connection.
    private var relay: RelayExchange?
    /// Parts that arrived during a relay (pipelined), handled in order when it ends.
    private var queued: [HTTPServerRequestPart] = []
    /// Events held until the relay ends: a shutdown's quiesce event (Hummingbird would close a connection it sees
    /// idle) and the client's half-close (Hummingbird would end the connection before the relayed answer).
    private var heldEvents: [Any] = []
    /// A read request held while pipelined input waits behind a relay (backpressure on the client).
    private var heldRead = false
    /// The connection is closing after a relay: further input is dropped.
    private var closing = false

    init(fastPath: GatewayFastPath) {
        self.fastPath = fastPath
    }

    func handlerAdded(context: ChannelHandlerContext) {
        guardHandler = try? context.pipeline.syncOperations.handler(type: RequestGuardHandler.self)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        guardHandler = nil
        relay?.clientClosed()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        handle(unwrapInboundIn(data), context: context)
    }

    private func handle(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        if closing { return }
        if relay != nil {
            queued.append(part)
            return
        }
        switch part {
        case .head(var head):
            if downstreamPending == 0 {
                switch fastPath.decide(head, channel: context.channel) {
                case .passOn:
                    break
                case .hit(let hit):
                    swallowing = true
                    answer(hit, to: head, context: context)
                    return
                case .answer(let responseHead, let body):
                    swallowing = true
                    writeComplete(responseHead, body: body, keepAlive: head.isKeepAlive, context: context)
                    return
                case .relay(let plan):
                    swallowing = true
                    startRelay(plan, context: context)
                    return
                }
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
            if !swallowing { context.fireChannelRead(wrapInboundOut(part)) }
        case .end:
            if swallowing {
                swallowing = false
            } else {
                context.fireChannelRead(wrapInboundOut(part))
            }
        }
    }

    // MARK: - Relay

    private func startRelay(_ plan: RelayPlan, context: ChannelHandlerContext) {
        let exchange = RelayExchange(plan: plan, state: fastPath.state, context: context) { [weak self] clientReusable, lastWrite in
            self?.relayEnded(clientReusable: clientReusable, lastWrite: lastWrite, context: context)
        }
        relay = exchange
        exchange.start()
    }

    private func relayEnded(clientReusable: Bool, lastWrite: EventLoopFuture<Void>?, context: ChannelHandlerContext) {
        relay = nil
        guard clientReusable else {
            closing = true
            queued.removeAll()
            heldEvents.removeAll()
            if let lastWrite {
                lastWrite.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            } else {
                context.close(promise: nil)
            }
            return
        }
        let hadQueued = !queued.isEmpty
        while relay == nil, !queued.isEmpty {
            handle(queued.removeFirst(), context: context)
        }
        // Parts passed on here were not followed by a read-complete from the socket; Hummingbird's async channel
        // delivers what it buffered only on one.
        if hadQueued { context.fireChannelReadComplete() }
        guard relay == nil else { return }
        let events = heldEvents
        heldEvents.removeAll()
        for event in events { context.fireUserInboundEventTriggered(event) }
        if heldRead {
            heldRead = false
            context.read()
        }
    }

    func read(context: ChannelHandlerContext) {
        if relay != nil, !queued.isEmpty {
            heldRead = true
            return
        }
        context.read()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        relay?.clientWritabilityChanged()
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        relay?.clientClosed()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        let isInputClosed: Bool
        if case ChannelEvent.inputClosed? = event as? ChannelEvent { isInputClosed = true } else { isInputClosed = false }
        if relay != nil, event is ChannelShouldQuiesceEvent || isInputClosed {
            heldEvents.append(event)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    // MARK: - Hits and refusals

    /// Writes a hit: HTTP/1.1 keep-alive without `Origin` (the common case) as one encoded head through the guard,
    /// below the HTTP encoder; anything else as NIOHTTP1 parts, so the encoder and the guard handle version,
    /// `Connection: close` and CORS exactly as for every other response.
    private func answer(_ hit: GatewayFastPath.Hit, to head: HTTPRequestHead, context: ChannelHandlerContext) {
        if let guardHandler, head.version == .http1_1, head.isKeepAlive, !head.headers.contains(name: "origin") {
            let lines = hit.trailingHeadLines(date: fastPath.date, allocator: context.channel.allocator)
            guardHandler.writeEncodedResponse(hit.entry.head, lines, body: hit.isHEAD ? nil : hit.entry.body)
            return
        }
        let (responseHead, body) = hit.parts(version: head.version, date: fastPath.date)
        writeComplete(responseHead, body: body, keepAlive: head.isKeepAlive, context: context)
    }

    private func writeComplete(_ head: HTTPResponseHead, body: ByteBuffer?, keepAlive: Bool, context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), downstreamPending > 0 {
            downstreamPending -= 1
        }
        context.write(data, promise: promise)
    }
}
