import GatewayCache
import GatewayLimits
import HTTPTypes
import NIOCore
import NIOHTTP1

/// Cache hits, coalesced fills, and storing an answer while it streams.
extension GatewayHandler {
    // MARK: - Hits

    /// Answers from a fresh entry. With a per-client budget or a token's own budget, a hit spends them (and may be
    /// refused).
    func answerHit(_ entry: CachedResponse, age: Int, to request: Request) {
        request.stage = .answering
        let limiter = state.limiter
        let tokenBudget = request.decision.token?.budget
        if limiter.configuration.client != nil || tokenBudget != nil {
            switch limiter.admitClientOnly(client: request.decision.client, token: tokenBudget, now: state.clock.now()) {
            case .rejected(let rejection):
                request.record.rateLimit = "rejected:" + rejection.budget
                state.metrics.rejected(budget: rejection.budget, client: rejection.client)
                answer(request, error: .rateLimited(budget: rejection.budget, client: request.decision.client, retryAfter: rejection.retryAfter, info: rejection.limit))
                return
            case .allowed(let info), .delayed(_, _, let info):
                request.limit = info
                request.record.rateLimit = "allowed"
            }
        }
        request.cacheStatus = .hit
        guard let context, let storedHead = entry.attachment as? HitHead, request.head.version == .http1_1,
              request.keepAlive, !closeWhenDone, !request.hasBody, !request.head.headers.contains(name: "origin")
        else {
            answer(request, from: entry, age: age)
            return
        }
        // The common case: the stored head and body go out as they are, around a few per-hit lines.
        var lines = context.channel.allocator.buffer(capacity: 160 + request.decision.requestID.utf8.count)
        lines.writeStaticString("Age: ")
        lines.writeString(String(age))
        lines.writeStaticString("\r\nCache-Status: ")
        lines.writeString(Self.hitStatus)
        lines.writeStaticString("\r\nX-Request-Id: ")
        lines.writeString(request.decision.requestID)
        if let limit = request.limit {
            for field in RateLimitHeaders.fields(for: limit) {
                lines.writeStaticString("\r\n")
                lines.writeString(field.name)
                lines.writeStaticString(": ")
                lines.writeString(field.value)
            }
        }
        if !storedHead.hasDate {
            lines.writeStaticString("\r\nDate: ")
            lines.writeString(state.dates.current)
        }
        lines.writeStaticString("\r\n\r\n")
        let isHEAD = request.head.method == .HEAD
        request.record.status = Int(entry.status.code)
        request.record.cacheStatus = Self.hitStatus
        request.record.bytesOut = isHEAD ? 0 : entry.body.readableBytes
        request.answerStarted = true
        request.stage = .done
        context.writeAndFlush(wrapOutboundOut(.encoded(head: storedHead.bytes, lines: lines, body: isHEAD ? nil : entry.body)), promise: nil)
        answerEnded(request, endWritten: true)
    }

    /// An answer built from a stored entry (hits that need their head re-made, collapsed waiters, stale-if-error).
    func answer(_ request: Request, from entry: CachedResponse, age: Int) {
        var headers = HTTPHeaders()
        headers.reserveCapacity(entry.headers.count + 6)
        for field in entry.headers where field.name != .contentLength {
            headers.add(name: field.name.rawName, value: field.value)
        }
        headers.add(name: "Age", value: String(age))
        answer(request, status: HTTPResponseStatus(statusCode: entry.status.code, reasonPhrase: entry.status.reasonPhrase), headers: headers, body: entry.body)
    }

    static let hitStatus = CacheStatus.hit.description

    // MARK: - Coalescing

    /// A GET miss (or stale entry): leads the fill of its target, or waits for the one in progress.
    func join(_ request: Request, reason: CacheStatus.ForwardReason, stale: CachedResponse?) {
        guard let context else { return }
        let key = FlightKey(target: request.decision.target, profile: request.decision.cacheProfile)
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let waiting = NIOLoopBound(request, eventLoop: context.eventLoop)
        let role = state.flights.join(key) { outcome in
            handler.eventLoop.execute { handler.value.flightCompleted(outcome, for: waiting.value, reason: reason, stale: stale) }
        }
        switch role {
        case .leader(let ticket):
            // A join that lost a race with a completion leads a new flight: the answer may be stored already.
            if let cache = state.cache, case .fresh(let entry, let age) = cache.lookup(
                target: request.decision.target, profile: request.decision.cacheProfile, now: state.clock.now(), countsMiss: false,
                headerValue: { name in request.head.headers.first(name: name.canonicalName) }
            ) {
                state.flights.abandon(ticket)
                answerHit(entry, age: age, to: request)
                return
            }
            beginFill(request, reason: reason, stale: stale, ticket: ticket)
        case .follower(let waiter):
            request.stage = .waitingForFlight(waiter)
        }
    }

    private func flightCompleted(
        _ outcome: SingleFlight<FlightKey, FlightResult>.Outcome, for request: Request, reason: CacheStatus.ForwardReason, stale: CachedResponse?
    ) {
        guard current === request, case .waitingForFlight = request.stage else { return }
        switch outcome {
        case .shared(.response(let status, let fields, let body)):
            request.cacheStatus = .forwarded(reason, collapsed: true)
            var headers = HTTPHeaders()
            for field in fields where field.name != .contentLength { headers.add(name: field.name.rawName, value: field.value) }
            answer(request, status: HTTPResponseStatus(statusCode: status.code, reasonPhrase: status.reasonPhrase), headers: headers, body: body)
        case .shared(.error(let error)), .failed(.error(let error)):
            request.cacheStatus = .forwarded(reason, collapsed: true)
            answer(request, error: error)
        case .goUpstream, .failed(.response):
            beginFill(request, reason: reason, stale: stale, ticket: nil)
        }
    }

    /// Goes upstream for a GET whose answer may be stored.
    func beginFill(_ request: Request, reason: CacheStatus.ForwardReason, stale: CachedResponse?, ticket: SingleFlight<FlightKey, FlightResult>.Ticket?) {
        guard let cache = state.cache else { return }
        request.cacheStatus = .forwarded(reason)
        admitAndForward(request, fill: CacheFill(token: cache.beginFill(target: request.decision.target), ticket: ticket, reason: reason, stale: stale))
    }

    /// Ends the request's flight (if it leads one) with `outcome`.
    func completeFlight(of request: Request, with outcome: SingleFlight<FlightKey, FlightResult>.Outcome) {
        guard let ticket = request.fill?.ticket else { return }
        request.fill?.ticket = nil
        state.flights.complete(ticket, with: outcome)
    }

    // MARK: - Storing while streaming

    /// The upstream's answer head arrived for a fill: decides whether it will be stored (and says so in
    /// `Cache-Status`).
    func fillReceivedHead(_ request: Request, status: HTTPResponseStatus, headers: HTTPHeaders, contentLength: Int?) {
        guard var fill = request.fill, let cache = state.cache else { return }
        let httpStatus = HTTPResponse.Status(code: Int(status.code), reasonPhrase: status.reasonPhrase)
        let fields = HTTPFields(headers)
        fill.status = httpStatus
        fill.fields = fields
        if case .store = cache.storability(status: httpStatus, responseHeaders: fields, contentLength: contentLength),
           cache.isCurrent(fill.token) {
            fill.body = ByteBuffer()
            if let contentLength { fill.body?.reserveCapacity(contentLength) }
            request.cacheStatus = .forwarded(fill.reason, stored: true)
        } else {
            request.cacheStatus = .forwarded(fill.reason)
            request.fill = fill
            completeFlight(of: request, with: .goUpstream)
            return
        }
        request.fill = fill
    }

    /// A body part of a fill's answer: kept while the answer may still be stored.
    func fillReceivedBody(_ request: Request, _ buffer: ByteBuffer) {
        guard request.fill?.body != nil, let cache = state.cache else { return }
        request.fill!.body!.writeImmutableBuffer(buffer)
        if !cache.isWithinObjectLimit(request.fill!.body!.readableBytes) {
            request.fill!.body = nil
            completeFlight(of: request, with: .goUpstream)
        }
    }

    /// The fill's answer ended: stores it and shares it with the requests that waited. Returns whether it was stored.
    @discardableResult
    func fillEnded(_ request: Request) -> Bool {
        guard let fill = request.fill, let cache = state.cache else { return false }
        request.fill = nil
        guard let body = fill.body, let status = fill.status else {
            if let ticket = fill.ticket { state.flights.complete(ticket, with: .goUpstream) }
            return false
        }
        var fields = fill.fields
        fields[.contentLength] = String(body.readableBytes)
        let stored = HitHead(status: status, fields: fields, allocator: context?.channel.allocator ?? ByteBufferAllocator())
        let result = cache.store(
            target: request.decision.target, profile: request.decision.cacheProfile, requestHeaders: HTTPFields(request.head.headers),
            status: status, responseHeaders: fields, body: body, now: state.clock.now(), fill: fill.token, attachment: stored
        )
        guard let ticket = fill.ticket else { return result.isStored }
        // Share only what was stored (a fill superseded by a write must not reach requests that came after it), and
        // never an answer that varies on request fields the waiters may not share.
        if result.isStored && fields[.vary] == nil {
            state.flights.complete(ticket, with: .shared(.response(status: status, headers: fields, body: body)))
        } else {
            state.flights.complete(ticket, with: .goUpstream)
        }
        return result.isStored
    }
}

/// The HTTP/1.1 head a hit writes (status line and stored fields, without `Age` and without the blank line),
/// encoded once when the entry is stored and kept beside it as the entry's attachment.
struct HitHead: Sendable {
    let bytes: ByteBuffer
    /// The stored fields carry a `Date` (hits without one get the current date).
    let hasDate: Bool

    init(status: HTTPResponse.Status, fields: HTTPFields, allocator: ByteBufferAllocator) {
        var size = 17 + status.reasonPhrase.utf8.count
        for field in fields where field.name != .age { size += field.name.rawName.utf8.count + field.value.utf8.count + 4 }
        var bytes = allocator.buffer(capacity: size)
        bytes.writeStaticString("HTTP/1.1 ")
        bytes.writeString(String(status.code))
        bytes.writeStaticString(" ")
        bytes.writeString(status.reasonPhrase)
        bytes.writeStaticString("\r\n")
        for field in fields where field.name != .age {
            bytes.writeString(field.name.rawName)
            bytes.writeStaticString(": ")
            bytes.writeString(field.value)
            bytes.writeStaticString("\r\n")
        }
        self.bytes = bytes
        self.hasDate = fields[.date] != nil
    }
}

extension HTTPFields {
    /// The fields of NIO's header list whose names are valid field names.
    init(_ headers: HTTPHeaders) {
        self.init()
        reserveCapacity(headers.count)
        for (name, value) in headers {
            guard let fieldName = HTTPField.Name(name) else { continue }
            append(HTTPField(name: fieldName, value: value))
        }
    }
}
