import GatewayCache
import GatewayLimits
import HTTPTypes
import NIOCore
import NIOHTTP1

/// Cache hits (and the `304`, `206` and `416` answers made from stored responses), coalesced fills, revalidation,
/// background refreshes, and storing an answer while it streams.
extension GatewayHandler {
    // MARK: - Hits

    /// Answers from an entry: a fresh one, or (`refresh`) a stale one within its stale-while-revalidate window, which
    /// one background refresh then renews. With a per-client budget or a client token's own budget, a hit spends
    /// them (and may be refused): in the shared store when there is one.
    func answerHit(_ entry: CachedResponse, age: Int, refresh: Bool = false, to request: Request) {
        request.stage = .answering
        let limiter = state.limiter
        guard request.decision.token?.budget != nil || limiter.configuration.client != nil else {
            // The common case: no budget of the caller's own, nothing to spend.
            writeHit(entry, age: age, refresh: refresh, to: request)
            return
        }
        if let shared = state.shared, shared.isAvailable, let context {
            let budgets = state.budgets.ownBudgets(token: request.decision.token?.budget)
            request.stage = .admitting
            shared.admit(
                budgets: budgets, keys: SharedState.keys(of: budgets, client: request.decision.client), pushbackScope: "-",
                identity: request.decision.client, maxWait: .zero, on: context.eventLoop
            ).assumeIsolated().whenSuccess { decision in
                guard self.current === request, case .admitting = request.stage else { return }
                request.stage = .answering
                switch decision {
                case .admitted(_, let limit):
                    request.limit = limit
                    request.record.rateLimit = "allowed"
                    self.writeHit(entry, age: age, refresh: refresh, to: request)
                case .rejected(let rejection):
                    self.refuseHit(request, rejection)
                case .unavailable:
                    self.admitHitLocally(entry, age: age, refresh: refresh, to: request, limiter: self.state.limiter)
                }
            }
            return
        }
        admitHitLocally(entry, age: age, refresh: refresh, to: request, limiter: limiter)
    }

    private func admitHitLocally(_ entry: CachedResponse, age: Int, refresh: Bool, to request: Request, limiter: RateLimiter) {
        switch limiter.admitClientOnly(client: request.decision.client, token: state.localBudget(of: request.decision.token), now: state.clock.now()) {
        case .rejected(let rejection):
            refuseHit(request, rejection)
        case .allowed(let info), .delayed(_, _, let info):
            request.limit = info
            request.record.rateLimit = "allowed"
            writeHit(entry, age: age, refresh: refresh, to: request)
        }
    }

    private func refuseHit(_ request: Request, _ rejection: Rejection) {
        request.record.rateLimit = "rejected:" + rejection.budget
        state.metrics.rejected(budget: rejection.budget, client: rejection.client)
        answer(request, error: .rateLimited(budget: rejection.budget, client: request.decision.client, retryAfter: rejection.retryAfter, info: rejection.limit))
    }

    /// Writes a hit: the stored head and body as they are around a few per-hit lines when the request allows it.
    private func writeHit(_ entry: CachedResponse, age: Int, refresh: Bool, to request: Request) {
        request.cacheStatus = refresh ? .hitWhileRevalidating : .hit
        if refresh { startRefresh(of: entry, for: request) }
        guard let context, let storedHead = entry.attachment as? HitHead, request.head.version == .http1_1,
              request.keepAlive, !closeWhenDone, !request.hasBody, request.decision.conditions == nil,
              !request.head.headers.contains(name: "origin")
        else {
            answer(request, from: entry, age: age)
            return
        }
        let cacheStatus = refresh ? Self.hitWhileRevalidatingStatus : Self.hitStatus
        // The common case: the stored head and body go out as they are, around a few per-hit lines.
        var lines = context.channel.allocator.buffer(capacity: 160 + request.decision.requestID.utf8.count)
        lines.writeStaticString("Age: ")
        lines.writeString(String(age))
        lines.writeStaticString("\r\nCache-Status: ")
        lines.writeString(cacheStatus)
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
        request.record.cacheStatus = cacheStatus
        request.record.cacheRole = .hit
        request.record.bytesOut = isHEAD ? 0 : entry.body.readableBytes
        request.answerStarted = true
        request.stage = .done
        context.writeAndFlush(wrapOutboundOut(.encoded(head: storedHead.bytes, lines: lines, body: isHEAD ? nil : entry.body)), promise: nil)
        answerEnded(request, endWritten: true)
    }

    /// An answer built from a stored entry (hits that need their head re-made, stale-if-error).
    func answer(_ request: Request, from entry: CachedResponse, age: Int) {
        answer(request, status: entry.status, fields: entry.headers, body: entry.body, age: age)
    }

    /// An answer built from a complete response pingate holds (a stored entry, or one a coalesced fill shared),
    /// matched against the client's own conditions: `304` when its validators match, `206` or `416` for a range.
    /// `age` adds an `Age` field.
    func answer(_ request: Request, status: HTTPResponse.Status, fields: HTTPFields, body: ByteBuffer, age: Int?) {
        var status = status, fields = fields, body = body
        if let conditions = request.decision.conditions {
            if conditions.isNotModified(status: status, fields: fields) {
                let headers = Self.headers(ConditionalRequest.notModifiedFields(from: fields), age: age)
                answer(request, status: .notModified, headers: headers, body: ByteBuffer(), bodyless: true)
                return
            }
            if request.head.method == .GET {
                let length = body.readableBytes
                switch conditions.rangeOutcome(status: status, fields: fields, length: length) {
                case .full:
                    break
                case .partial(let first, let last):
                    status = .partialContent
                    body = body.getSlice(at: body.readerIndex + first, length: last - first + 1) ?? body
                    fields[.contentRange] = "bytes \(first)-\(last)/\(length)"
                case .unsatisfiable:
                    var error = GatewayErrorResponse(.rangeNotSatisfiable, code: "range_not_satisfiable", message: "the range asked for starts beyond the \(length) bytes of the response")
                    error.headers.append(("Content-Range", "bytes */\(length)"))
                    answer(request, error: error)
                    return
                }
            }
        }
        answer(request, status: HTTPResponseStatus(statusCode: status.code, reasonPhrase: status.reasonPhrase), headers: Self.headers(fields, age: age), body: body)
    }

    /// NIO's header list of `fields` without `Content-Length` (the writer frames the body), plus `Age`.
    private static func headers(_ fields: HTTPFields, age: Int?) -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.reserveCapacity(fields.count + 6)
        for field in fields where field.name != .contentLength {
            headers.add(name: field.name.rawName, value: field.value)
        }
        if let age { headers.replaceOrAdd(name: "Age", value: String(age)) }
        return headers
    }

    static let hitStatus = CacheStatus.hit.description
    static let hitWhileRevalidatingStatus = CacheStatus.hitWhileRevalidating.description

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
            answer(request, status: status, fields: fields, body: body, age: nil)
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
        var fill = CacheFill(token: cache.beginFill(target: request.decision.target, now: state.clock.now()), ticket: ticket, reason: reason, stale: stale)
        if let shared = state.shared, shared.isAvailable, let context {
            let scope = cache.writeScope(ofTarget: request.decision.target)
            fill.generation = (scope, shared.generation(ofScope: scope, on: context.eventLoop))
        }
        admitAndForward(request, fill: fill)
    }

    /// The fields a fill sends upstream: never the client's validators (the whole answer is wanted, to store it;
    /// the client's conditions are answered here), but the stale entry's when it is being revalidated.
    static func setValidators(_ headers: inout HTTPHeaders, for fill: CacheFill) {
        headers.remove(name: "If-None-Match")
        headers.remove(name: "If-Modified-Since")
        guard let stale = fill.stale else { return }
        for (name, value) in stale.validatorFields { headers.add(name: name, value: value) }
    }

    /// Ends the request's flight (if it leads one) with `outcome`.
    func completeFlight(of request: Request, with outcome: SingleFlight<FlightKey, FlightResult>.Outcome) {
        guard let ticket = request.fill?.ticket else { return }
        request.fill?.ticket = nil
        state.flights.complete(ticket, with: outcome)
    }

    // MARK: - Storing while streaming

    /// The upstream's answer head arrived for a fill: decides whether it will be stored (and says so in
    /// `Cache-Status`), and what the client gets. Returns the head to send, or nil when the answer will be made from
    /// the stale entry once the upstream's ends (a `304` to a revalidation; a `5xx` within stale-if-error).
    func fillReceivedHead(_ request: Request, head: ResponseHead, contentLength: Int?) -> ResponseHead? {
        guard var fill = request.fill, let cache = state.cache else { return head }
        let code = Int(head.status.code)
        let httpStatus = HTTPResponse.Status(code: code, reasonPhrase: head.status.reasonPhrase)
        let fields = HTTPFields(head.headers)
        fill.status = httpStatus
        fill.fields = fields
        if code == 304, fill.revalidates {
            fill.deferred = .notModified
            request.fill = fill
            return nil
        }
        if [500, 502, 503, 504].contains(code), let stale = fill.stale, stale.isUsableOnError(at: state.clock.now()) {
            fill.deferred = .staleOnError(code)
            request.fill = fill
            completeFlight(of: request, with: .goUpstream)
            return nil
        }
        if case .store = cache.storability(status: httpStatus, responseHeaders: fields, contentLength: contentLength),
           cache.isCurrent(fill.token) {
            fill.body = ByteBuffer()
            if let contentLength { fill.body?.reserveCapacity(contentLength) }
            request.cacheStatus = .forwarded(fill.reason, stored: true)
            request.fill = fill
        } else {
            request.cacheStatus = .forwarded(fill.reason)
            request.fill = fill
            completeFlight(of: request, with: .goUpstream)
        }
        if fill.reason == .stale { request.cacheStatus?.forwardStatus = code }
        // The client's own validators were not sent upstream; they are answered from the full answer.
        guard let conditions = request.decision.conditions, conditions.isNotModified(status: httpStatus, fields: fields) else {
            return head
        }
        var notModified = head
        notModified.status = .notModified
        notModified.headers = HTTPHeaders()
        for field in ConditionalRequest.notModifiedFields(from: fields) { notModified.headers.add(name: field.name.rawName, value: field.value) }
        notModified.framing = .none(declaredLength: nil)
        request.withholdsBody = true
        request.record.status = 304
        return notModified
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
    /// Only for fills without a shared generation to check (see ``fillEnded(_:then:)``).
    @discardableResult
    func fillEnded(_ request: Request) -> Bool {
        guard let fill = request.fill, let cache = state.cache else { return false }
        request.fill = nil
        guard let body = fill.body, let status = fill.status else {
            if let ticket = fill.ticket { state.flights.complete(ticket, with: .goUpstream) }
            return false
        }
        return state.storeAnswer(
            cache, target: request.decision.target, profile: request.decision.cacheProfile, requestHeaders: HTTPFields(request.head.headers),
            status: status, fields: fill.fields, body: body, token: fill.token, ticket: fill.ticket,
            allocator: context?.channel.allocator ?? ByteBufferAllocator()
        ).isStored
    }

    /// ``fillEnded(_:)`` for any fill: with a shared generation to check, `then` runs once Redis has answered (on
    /// this channel's loop), with whether the answer was stored.
    func fillEnded(_ request: Request, then: @escaping (Bool) -> Void) {
        guard let fill = request.fill, let generation = fill.generation, let cache = state.cache,
              let body = fill.body, let status = fill.status else {
            then(fillEnded(request))
            return
        }
        request.fill = nil
        state.storeAnswer(
            cache, target: request.decision.target, profile: request.decision.cacheProfile, requestHeaders: HTTPFields(request.head.headers),
            status: status, fields: fill.fields, body: body, token: fill.token, ticket: fill.ticket,
            allocator: context?.channel.allocator ?? ByteBufferAllocator(), generation: generation
        ).assumeIsolated().whenComplete { result in
            then((try? result.get())?.isStored ?? false)
        }
    }

    // MARK: - Answers made from the stale entry

    /// The upstream's answer ended for a fill whose answer is made from its stale entry (see
    /// ``CacheFill/DeferredAnswer``).
    func answerDeferred(_ request: Request) {
        guard let fill = request.fill, let deferred = fill.deferred, let stale = fill.stale, let cache = state.cache else { return }
        request.fill = nil
        switch deferred {
        case .staleOnError(let code):
            request.cacheStatus = CacheStatus(isHit: false, forward: .stale, forwardStatus: code)
            answer(request, from: stale, age: stale.age(at: state.clock.now()))
        case .notModified:
            guard let fields = ResponseCache.freshenedFields(of: stale, notModified: fill.fields), cache.isCurrent(fill.token) else {
                // The 304 does not select the stored response, or a write invalidated it meanwhile: fetch it whole.
                beginFill(request, reason: .stale, stale: nil, ticket: fill.ticket)
                return
            }
            state.storeAnswer(
                cache, target: request.decision.target, profile: request.decision.cacheProfile, requestHeaders: HTTPFields(request.head.headers),
                status: stale.status, fields: fields, body: stale.body, token: fill.token, ticket: fill.ticket,
                allocator: context?.channel.allocator ?? ByteBufferAllocator()
            )
            request.cacheStatus = CacheStatus(isHit: false, forward: .stale, forwardStatus: 304)
            answer(request, status: stale.status, fields: fields, body: stale.body, age: nil)
        }
    }

    // MARK: - Background refresh

    /// Starts the one background refresh of a stale entry served while revalidating: none when the target's flight
    /// is already running (a refresh or a fill), when too many refreshes run, when the upstream's breaker is not
    /// closed, when the upstream budget has no room now (the stale answer is served all the same), or when a reload
    /// withdrew the credentials of the request's token profile.
    func startRefresh(of entry: CachedResponse, for request: Request) {
        guard let context, let cache = state.cache,
              let credentials = state.credentials.credentials(forRoute: request.decision.route.name, profile: request.decision.token?.profile)
        else { return }
        let key = FlightKey(target: request.decision.target, profile: request.decision.cacheProfile)
        let ticket: SingleFlight<FlightKey, FlightResult>.Ticket
        switch state.flights.join(key, onOutcome: { _ in }) {
        case .follower(let waiter):
            state.flights.leave(waiter)
            return
        case .leader(let leader):
            ticket = leader
        }
        // A slot first: no budget is spent on a refresh that would not run.
        guard state.refreshes.begin() else {
            state.flights.abandon(ticket)
            return
        }
        func skip() {
            state.refreshes.end()
            state.flights.abandon(ticket)
        }
        let upstream = request.decision.route.upstream
        switch state.breakers.admit(upstream, now: state.clock.now()) {
        case .allow:
            break
        case .probe:
            // The half-open probe is left to a request that waits for its answer.
            state.breakers.probeAbandoned(upstream)
            skip()
            return
        case .reject:
            skip()
            return
        }
        let limiter = state.limiter
        let routeClass = state.routeClass(of: request.decision.route, method: "GET", target: request.decision.target, budgets: limiter.configuration)
        let pushbackScope = GatewayState.pushbackScope(upstream: upstream, routeClass: routeClass)
        switch limiter.admit(
            routeClass: routeClass, client: request.decision.client, token: state.localBudget(of: request.decision.token),
            now: state.clock.now(), pushbackScope: pushbackScope
        ) {
        case .allowed:
            break
        case .delayed(_, let reservation, _):
            limiter.cancel(reservation, now: state.clock.now())
            skip()
            return
        case .rejected:
            skip()
            return
        }
        CacheRefresh(
            state: state, cache: cache, request: request.head, decision: request.decision, credentials: credentials, stale: entry,
            token: cache.beginFill(target: request.decision.target, now: state.clock.now()), ticket: ticket,
            pushbackScope: pushbackScope, eventLoop: context.eventLoop, allocator: context.channel.allocator
        ).start()
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
