import AsyncHTTPClient
import GatewayLimits
import NIOCore
import NIOHTTP1

/// One GET relayed on the event loop: the upstream connection, the client's answer, the read timeout and the
/// accounting (metrics, access log, limiter pushback) that the async path does for forwarded requests.
///
/// Everything runs on the client connection's event loop; upstream connections are opened on it too.
/// Failures answer like the async path: 502/504 JSON before the status line went out, a closed connection after.
/// A pooled connection that turns out closed before any byte of the answer is replaced once (GET is idempotent).
final class RelayExchange {
    private let plan: RelayPlan
    private let state: GatewayState
    private let context: ChannelHandlerContext
    private let readTimeout: TimeAmount
    private let onFinish: (_ clientReusable: Bool, _ lastWrite: EventLoopFuture<Void>?) -> Void

    private var upstream: (channel: any Channel, handler: UpstreamRelayHandler)?
    private var reusedConnection = false
    private var retried = false
    private var receivedAnything = false
    private var headWritten = false
    private var upstreamReusable = false
    private var upstreamPaused = false
    private var finished = false
    private var status = 0
    private var bytesOut = 0
    private var sentAt: Duration?
    private var upstreamDuration: Duration?
    /// The upstream's read timeout, pushed by every part it sends.
    private lazy var readTimer = DeadlineTimer { [weak self] in self?.readTimedOut() }

    /// - Parameters:
    ///   - context: the client-side handler's context; answers are written through it.
    ///   - onFinish: called once, when the exchange is over: whether the client connection stays open, and the
    ///     answer's last write (a connection that closes waits for it; nil when the answer was abandoned).
    init(
        plan: RelayPlan, state: GatewayState, context: ChannelHandlerContext,
        onFinish: @escaping (_ clientReusable: Bool, _ lastWrite: EventLoopFuture<Void>?) -> Void
    ) {
        self.plan = plan
        self.state = state
        self.context = context
        self.readTimeout = .init(state.configuration.readTimeout)
        self.onFinish = onFinish
    }

    private var endpoint: UpstreamEndpoint { plan.route.route.upstream }

    /// Sends the request on a pooled connection, or a new one.
    func start() {
        state.metrics.inFlightChanged(by: 1)
        state.relayPool.relayStarted()
        if let channel = state.relayPool.checkout(endpoint, on: context.eventLoop) {
            send(on: channel, reused: true)
        } else {
            connect()
        }
    }

    private func connect() {
        state.relayPool.connect(endpoint, on: context.eventLoop).assumeIsolated().whenComplete { result in
            switch result {
            case .success(let channel):
                self.send(on: channel, reused: false)
            case .failure(let error):
                guard !self.finished else { return }
                self.answerFailure(error)
            }
        }
    }

    private func send(on channel: any Channel, reused: Bool) {
        guard !finished else {
            // The client left while the connection was being made: keep it for the next request.
            state.relayPool.checkin(channel, upstream: endpoint)
            return
        }
        guard let handler = try? channel.pipeline.syncOperations.handler(type: UpstreamRelayHandler.self) else {
            channel.close(promise: nil)
            answerFailure(ChannelError.inappropriateOperationForState)
            return
        }
        upstream = (channel, handler)
        reusedConnection = reused
        receivedAnything = false
        handler.exchange = self
        if sentAt == nil { sentAt = state.clock.now() }
        let pipeline = channel.pipeline.syncOperations
        pipeline.write(NIOAny(HTTPClientRequestPart.head(plan.upstreamHead)), promise: nil)
        pipeline.write(NIOAny(HTTPClientRequestPart.end(nil)), promise: nil)
        pipeline.flush()
        readTimer.arm(in: readTimeout, on: context.eventLoop)
    }

    // MARK: - Upstream events

    /// A part of the upstream's answer.
    func upstreamRead(_ part: HTTPClientResponsePart) {
        guard !finished else { return }
        receivedAnything = true
        readTimer.arm(in: readTimeout, on: context.eventLoop)
        switch part {
        case .head(let head):
            guard head.status.code >= 200 else { return }  // informational answers are not relayed
            writeHead(head)
        case .body(let buffer):
            guard headWritten else { return }
            bytesOut += buffer.readableBytes
            context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(buffer))), promise: nil)
            if !context.channel.isWritable {
                // Backpressure: stop reading the upstream until the client drains.
                context.flush()
                upstreamPaused = true
                try? upstream?.channel.syncOptions?.setOption(.autoRead, value: false)
            }
        case .end:
            guard headWritten else { return }
            releaseUpstream(reusable: upstreamReusable)
            finish(clientReusable: plan.keepAlive, lastWrite: context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil))))
        }
    }

    /// The upstream's read burst ended: flush what was written to the client.
    func upstreamReadComplete() {
        if !finished { context.flush() }
    }

    /// The upstream connection failed or closed (with this exchange still on it).
    func upstreamFailed(_ error: any Error) {
        guard !finished, upstream != nil else { return }
        releaseUpstream(reusable: false)
        if !receivedAnything && reusedConnection && !retried {
            // A pooled connection the upstream had already closed: one fresh attempt.
            retried = true
            connect()
            return
        }
        if headWritten {
            // The status line is out: the client sees the connection end (nothing partial is stored anywhere).
            state.metrics.upstreamError(kind: UpstreamFailure.kind(of: Self.clientError(error)))
            finish(clientReusable: false)
        } else {
            answerFailure(error)
        }
    }

    // MARK: - Client events

    /// The client's connection became writable again.
    func clientWritabilityChanged() {
        guard upstreamPaused, context.channel.isWritable else { return }
        upstreamPaused = false
        try? upstream?.channel.syncOptions?.setOption(.autoRead, value: true)
    }

    /// The client went away: the upstream request is abandoned with its connection.
    func clientClosed() {
        guard !finished else { return }
        releaseUpstream(reusable: false)
        finish(clientReusable: false)
    }

    // MARK: - Answers

    private func writeHead(_ head: HTTPResponseHead) {
        upstreamDuration = state.upstreamAnswered(
            status: Int(head.status.code), retryAfter: head.headers.first(name: "retry-after"), sentAt: sentAt ?? plan.started
        )
        upstreamReusable = head.isKeepAlive
        status = Int(head.status.code)
        var headers = HeaderPolicy.clientResponseHeaders(relaying: head.headers)
        if let cacheStatus = plan.cacheStatus { headers.add(name: "Cache-Status", value: cacheStatus) }
        if let limit = plan.limit {
            for field in RateLimitHeaders.fields(for: limit) { headers.add(name: field.name, value: field.value) }
        }
        headers.replaceOrAdd(name: "X-Request-Id", value: plan.requestID)
        headers.replaceOrAdd(name: "Date", value: state.dates.current)  // as Hummingbird stamps the async path's answers
        headWritten = true
        context.write(NIOAny(HTTPServerResponsePart.head(HTTPResponseHead(version: plan.clientVersion, status: head.status, headers: headers))), promise: nil)
    }

    /// A 502/504 JSON answer, as the async path gives for the same failure.
    private func answerFailure(_ error: any Error) {
        let error = Self.clientError(error)
        state.metrics.upstreamError(kind: UpstreamFailure.kind(of: error))
        let failure = UpstreamFailure.response(for: error)
        let (head, body) = failure.nioParts(
            version: plan.clientVersion, extra: state.answerFields(cacheStatus: plan.cacheStatus, requestID: plan.requestID)
        )
        status = Int(head.status.code)
        bytesOut = body.readableBytes
        headWritten = true
        context.write(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
        context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(body))), promise: nil)
        finish(clientReusable: plan.keepAlive, lastWrite: context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil))))
    }

    /// NIO's errors named as AsyncHTTPClient names them, so both paths answer and count failures alike.
    private static func clientError(_ error: any Error) -> any Error {
        if let error = error as? ChannelError {
            if case .eof = error { return HTTPClientError.remoteConnectionClosed }
            if case .connectTimeout = error { return HTTPClientError.connectTimeout }
        }
        return error
    }

    // MARK: - Bookkeeping

    private func releaseUpstream(reusable: Bool) {
        guard let (channel, handler) = upstream else { return }
        upstream = nil
        handler.exchange = nil
        if upstreamPaused {
            upstreamPaused = false
            try? channel.syncOptions?.setOption(.autoRead, value: true)
        }
        if reusable {
            state.relayPool.checkin(channel, upstream: endpoint)
        } else {
            channel.close(promise: nil)
        }
    }

    private func readTimedOut() {
        guard !finished else { return }
        retried = true  // a timeout is not retried
        receivedAnything = true
        upstreamFailed(HTTPClientError.readTimeout)
    }

    private func finish(clientReusable: Bool, lastWrite: EventLoopFuture<Void>? = nil) {
        guard !finished else { return }
        finished = true
        readTimer.cancel()
        state.relayPool.relayEnded()
        state.metrics.inFlightChanged(by: -1)
        state.metrics.request(route: plan.route.route.name, method: "GET", status: status == 0 ? 499 : status)
        state.accessLog?.recordFast(
            client: plan.client, method: "GET", target: plan.target, status: status == 0 ? 499 : status, bytesOut: bytesOut,
            cacheStatus: plan.cacheStatus, requestID: plan.requestID, wallClock: state.clock.wallClockSeconds(),
            rateLimit: "allowed", duration: state.clock.now() - plan.started, upstreamDuration: upstreamDuration
        )
        onFinish(clientReusable, lastWrite)
    }
}
