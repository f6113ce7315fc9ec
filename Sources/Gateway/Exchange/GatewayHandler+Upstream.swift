import GatewayCache
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1

/// The client side of an ``UpstreamExchange``: the answer streams to the client as it arrives.
extension GatewayHandler: UpstreamExchangeDelegate {
    func exchangeSent() {
        current?.record.upstreamSentAt = state.clock.now()
    }

    func exchange(receivedHead upstreamHead: HTTPResponseHead) {
        guard let request = current, let context else { return }
        let status = upstreamHead.status
        let answered = state.upstreamAnswered(
            status: Int(status.code), retryAfter: upstreamHead.headers.first(name: "retry-after"),
            sentAt: request.record.upstreamSentAt ?? request.record.started,
            upstream: request.decision.route.upstream, pushbackScope: request.pushbackScope
        )
        request.record.upstreamDuration = answered.duration
        if let pause = answered.sharedPause { waitForSharedWrite(pause, in: request, on: context.eventLoop) }
        request.isProbe = false
        var headers = HeaderPolicy.clientResponseHeaders(from: upstreamHead.headers)
        // RFC 9110 §6.6.1: a response passed on (and stored) without `Date` gets the time it was received.
        if !headers.contains(name: "date") { headers.add(name: "Date", value: state.dates.current) }
        let isChunked = upstreamHead.headers.contains(name: "transfer-encoding")
        let contentLength = isChunked ? nil : upstreamHead.headers.first(name: "content-length").flatMap { Int($0) }
        if let cache = state.cache, let method = HTTPRequest.Method(request.head.method.rawValue), ResponseCache.isUnsafe(method),
           let invalidation = cache.invalidation(afterWriteTo: request.decision.target, status: HTTPResponse.Status(code: Int(status.code)), responseHeaders: HTTPFields(headers)) {
            cache.apply(invalidation)
            if let published = state.shared?.publish(invalidation) { waitForSharedWrite(published, in: request, on: context.eventLoop) }
        }
        let framing: ResponseHead.Framing
        if request.head.method == .HEAD || status.code < 200 || status.code == 204 || status.code == 304 {
            framing = .none(declaredLength: status.code == 204 ? nil : contentLength)
        } else if let contentLength {
            framing = .length(contentLength)
        } else {
            framing = ResponseHead.streamingFraming(for: request.head.version)
        }
        // An answer that comes before the whole upload is the last on this connection (the rest is not wanted).
        request.keepAlive = request.keepAlive && !closeWhenDone && (request.requestEnded || !request.hasBody)
        request.record.status = Int(status.code)
        let head = ResponseHead(version: request.head.version, status: status, headers: headers, framing: framing, keepAlive: request.keepAlive)
        if request.fill != nil {
            guard let head = fillReceivedHead(request, head: head, contentLength: contentLength) else { return }
            if request.fill?.body != nil {
                request.heldAnswerHead = head
                return
            }
            writeAnswerHead(head, for: request)
            return
        }
        writeAnswerHead(head, for: request)
    }

    private func waitForSharedWrite(_ write: EventLoopFuture<Void>, in request: Request, on eventLoop: any EventLoop) {
        let write = write.hop(to: eventLoop)
        request.sharedWrites = request.sharedWrites.map { $0.and(write).map { _ in } } ?? write
    }

    /// Decorates and writes the answer's head.
    private func writeAnswerHead(_ head: ResponseHead, for request: Request) {
        guard let context else { return }
        var head = head
        request.answerStarted = true
        decorate(&head.headers, for: request)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
    }

    /// Writes a held answer's head and `body`, what arrived of it so far; the rest streams.
    private func releaseHeldAnswer(_ request: Request, body: ByteBuffer?) {
        guard let head = request.heldAnswerHead, let context else { return }
        request.heldAnswerHead = nil
        writeAnswerHead(head, for: request)
        if let body, body.readableBytes > 0, request.head.method != .HEAD, !request.withholdsBody {
            request.record.bytesOut += body.readableBytes
            context.write(wrapOutboundOut(.body(body)), promise: nil)
        }
    }

    func exchange(receivedBody buffer: ByteBuffer) {
        guard let request = current, let context else { return }
        if request.fill?.deferred != nil { return }  // the answer is made from the stored entry at the end
        if request.heldAnswerHead != nil {
            let held = request.fill?.body?.readableBytes ?? 0
            let objectLimit = state.cache?.configuration.maxObjectBytes ?? 0
            if held + buffer.readableBytes <= min(CacheFill.holdLimit, objectLimit) {
                fillReceivedBody(request, buffer)
                return
            }
            releaseHeldAnswer(request, body: request.fill?.body)
        }
        if request.fill != nil { fillReceivedBody(request, buffer) }
        guard !request.withholdsBody else { return }
        request.record.bytesOut += buffer.readableBytes
        context.write(wrapOutboundOut(.body(buffer)), promise: nil)
    }

    func exchangeEnded(requestComplete: Bool) {
        guard let request = current else { return }
        if request.fill?.deferred != nil {
            answerDeferred(request)
            return
        }
        if !requestComplete { request.keepAlive = false }
        guard request.sharedWrites != nil || request.fill?.generation != nil else {
            // Nothing to wait for: the common path, without a continuation.
            let heldBody = request.fill?.body
            let stored = request.fill == nil ? false : fillEnded(request)
            endAnswer(request, storedHeldAnswer: stored, heldBody: heldBody)
            return
        }
        // The end waits for Redis (bounded by `redis.timeout_ms`); the request is answered meanwhile.
        request.stage = .answering
        let heldBody = request.fill?.body
        let writes = request.sharedWrites ?? context!.eventLoop.makeSucceededVoidFuture()
        request.sharedWrites = nil
        writes.assumeIsolated().whenComplete { [self] _ in
            guard current === request else { return }
            guard request.fill != nil else {
                endAnswer(request, storedHeldAnswer: false, heldBody: heldBody)
                return
            }
            fillEnded(request) { [self] stored in
                guard current === request else { return }
                endAnswer(request, storedHeldAnswer: stored, heldBody: heldBody)
            }
        }
    }

    /// Writes what is left of the answer: a held answer (its `Cache-Status` saying whether it was stored), then the end.
    private func endAnswer(_ request: Request, storedHeldAnswer stored: Bool, heldBody: ByteBuffer?) {
        if request.heldAnswerHead != nil {
            if !stored { request.cacheStatus?.stored = false }
            releaseHeldAnswer(request, body: heldBody)
        }
        answerEnded(request)
    }

    func exchangeFlush() {
        context?.flush()
    }

    func exchange(failed failure: UpstreamFailure) {
        guard let request = current else { return }
        upstreamFailed(request, failure)
        state.logger.warning("upstream request failed", metadata: ["kind": "\(failure.metricKind)", "request_id": "\(request.decision.requestID)"])
        if let stale = request.fill?.stale, stale.isUsableOnError(at: state.clock.now()) {
            completeFlight(of: request, with: .goUpstream)
            request.fill = nil
            request.cacheStatus = .forwarded(.stale)
            answer(request, from: stale, age: stale.age(at: state.clock.now()))
            return
        }
        let error = failure.answer
        completeFlight(of: request, with: .shared(.error(error)))
        request.fill = nil
        answer(request, error: error)
    }

    func exchange(aborted failure: UpstreamFailure) {
        guard let request = current, let context else { return }
        if !request.answerStarted {
            // Nothing reached the client yet (the answer was held): it gets a clean JSON error after all.
            request.heldAnswerHead = nil
            exchange(failed: failure)
            return
        }
        // The status line is out: the client sees the connection end; nothing partial is stored.
        upstreamFailed(request, failure)
        completeFlight(of: request, with: .goUpstream)
        request.fill = nil
        request.stage = .done
        closing = true
        finish(request)
        context.flush()
        context.close(promise: nil)
    }

    /// Counts a failure of the upstream (a pool timeout is pingate's own limit, not the upstream's failure).
    private func upstreamFailed(_ request: Request, _ failure: UpstreamFailure) {
        state.metrics.upstreamError(kind: failure.metricKind)
        if failure.kind != .poolTimeout {
            request.isProbe = false
            state.breakers.record(request.decision.route.upstream, success: false, now: state.clock.now())
        }
    }

    func exchange(pauseClientReads paused: Bool) {
        setUploadPaused(paused)
    }

    func exchange(mayRetry reason: String) -> Bool {
        guard let request = current else { return false }
        let limiter = state.limiter
        switch limiter.admit(
            routeClass: request.routeClass, client: request.decision.client, token: state.localBudget(of: request.decision.token),
            now: state.clock.now(), pushbackScope: request.pushbackScope
        ) {
        case .allowed:
            state.metrics.upstreamRetry(reason: reason)
            return true
        case .delayed(_, let reservation, _):
            limiter.cancel(reservation, now: state.clock.now())
            return false
        case .rejected:
            return false
        }
    }
}
