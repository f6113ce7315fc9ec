import GatewayCache
import GatewayLimits
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The async request path: admin endpoints under `/_pingate/`, everything else forwarded upstream through
/// the cache (GET/HEAD) and the rate limiter.
struct GatewayResponder: HTTPResponder {
    typealias Context = GatewayRequestContext

    let state: GatewayState
    let admin: AdminResponder

    func respond(to request: Request, context: GatewayRequestContext) async throws -> Response {
        let target = request.head.path ?? "/"
        if AdminResponder.owns(target) {
            return await admin.respond(to: request, target: target)
        }
        let started = state.clock.now()
        state.metrics.inFlightChanged(by: 1)
        defer { state.metrics.inFlightChanged(by: -1) }
        // Only unix sockets have a peer uid; awaiting a future costs an event-loop round trip, so TCP skips it.
        var peerUID: UInt32?
        if case .unixDomainSocket = context.channel.localAddress {
            peerUID = try? await ClientIdentity.peerUID(of: context.channel).get()
        }
        let route = state.routes.resolve(target)
        var exchange = Exchange(
            request: request,
            target: target,
            route: route,
            requestID: RequestIdentifier.resolve(request.headers[.xRequestID]),
            client: ClientIdentity.resolve(headers: request.headers, peer: context.remoteAddress, peerUID: peerUID),
            channel: context.channel,
            logger: context.logger
        )
        // A declared body over maxBodyBytes never gets here: the request guard refuses it (413) from the head.
        var response: Response
        if let cache = state.cache, route.route.cacheEnabled, request.method == .get || request.method == .head {
            response = await cachedRead(&exchange, cache: cache)
        } else {
            response = await forward(&exchange, cacheStatus: state.cache == nil ? nil : CacheStatus.forwarded(.method))
        }
        response.headers[.xRequestID] = exchange.requestID
        response = response.closing(exchange.body, channel: exchange.channel)
        state.metrics.request(route: route.route.name, method: request.method.rawValue, status: response.status.code)
        state.accessLog?.record(exchange: exchange, status: response.status.code, responseHeaders: response.headers,
                                duration: state.clock.now() - started, wallClock: state.clock.wallClockSeconds())
        return response
    }

    // MARK: - Reads through the cache

    private func cachedRead(_ exchange: inout Exchange, cache: ResponseCache) async -> Response {
        let request = exchange.request
        let mode = cache.requestDirectives(request.headers)
        var reason: CacheStatus.ForwardReason
        var staleEntry: CachedResponse?
        switch mode {
        case .bypass:
            return await forward(&exchange, cacheStatus: .forwarded(.bypass))
        case .refresh:
            reason = .request
        case .normal:
            switch cache.lookup(target: exchange.target, profile: exchange.route.route.name, requestHeaders: request.headers, now: state.clock.now()) {
            case .fresh(let entry, let age):
                // Hits never spend upstream budget, but count against a per-client limit when one is set.
                let limiter = state.limiter
                if limiter.configuration.client != nil, case .rejected(let rejection) = limiter.admitClientOnly(client: exchange.client, now: state.clock.now()) {
                    exchange.limitDecision = "rejected:" + rejection.budget
                    state.metrics.rejected(budget: rejection.budget, client: rejection.client)
                    return rateLimited(exchange, budget: rejection.budget, retryAfter: rejection.retryAfter, info: rejection.limit)
                }
                exchange.cacheStatus = CacheStatus.hit.description
                return Self.response(from: entry, age: age, status: .hit, head: request.method == .head)
            case .stale(let entry, _):
                reason = .stale
                staleEntry = entry
            case .miss:
                reason = .miss
            }
        }
        // HEAD misses are forwarded as HEAD and never fill the cache (there is no body to store).
        if request.method == .head {
            return await forward(&exchange, cacheStatus: .forwarded(reason))
        }
        if mode == .refresh {
            return await fill(&exchange, cache: cache, reason: reason, ticket: nil, staleEntry: staleEntry)
        }
        let key = FlightKey(target: exchange.target, profile: exchange.route.route.name)
        switch await state.flights.join(key) {
        case .leader(let ticket):
            // A join that lost a race with a completion leads a new flight: the answer may be stored already.
            if case .fresh(let entry, let age) = cache.lookup(target: exchange.target, profile: exchange.route.route.name, requestHeaders: request.headers, now: state.clock.now(), countsMiss: false) {
                state.flights.abandon(ticket)
                exchange.cacheStatus = CacheStatus.hit.description
                return Self.response(from: entry, age: age, status: .hit, head: false)
            }
            return await fill(&exchange, cache: cache, reason: reason, ticket: ticket, staleEntry: staleEntry)
        case .follower(.shared(.response(let status, let headers, let body))):
            let cacheStatus = CacheStatus.forwarded(reason, collapsed: true)
            exchange.cacheStatus = cacheStatus.description
            var fields = headers
            fields.append(cacheStatus.field)
            return Response(status: status, headers: fields, body: .init(byteBuffer: body))
        case .follower(.shared(.error(let error))):
            exchange.cacheStatus = CacheStatus.forwarded(reason, collapsed: true).description
            return error.response()
        case .follower(.goUpstream), .follower(.failed):
            return await fill(&exchange, cache: cache, reason: reason, ticket: nil, staleEntry: staleEntry)
        case .cancelled:
            return GatewayErrorResponse(.serviceUnavailable, code: "cancelled", message: "request cancelled while waiting").response()
        }
    }

    /// Fetches a GET from upstream and stores it when it is cacheable and small enough, sharing the
    /// answer with the requests waiting on `ticket`.
    private func fill(
        _ exchange: inout Exchange, cache: ResponseCache, reason: CacheStatus.ForwardReason,
        ticket: SingleFlight<FlightKey, FlightResult>.Ticket?, staleEntry: CachedResponse?
    ) async -> Response {
        let fillToken = cache.beginFill(target: exchange.target)
        let answer: Forwarder.UpstreamAnswer
        switch await admitAndSend(&exchange) {
        case .answered(let upstreamAnswer):
            answer = upstreamAnswer
        case .refused(let response):
            if let ticket { state.flights.complete(ticket, with: .goUpstream) }
            exchange.cacheStatus = CacheStatus.forwarded(reason).description
            return response
        case .failed(let error):
            if let staleEntry, staleEntry.isUsableOnError(at: state.clock.now()) {
                if let ticket { state.flights.complete(ticket, with: .goUpstream) }
                exchange.cacheStatus = CacheStatus.forwarded(.stale).description
                return Self.response(from: staleEntry, age: staleEntry.age(at: state.clock.now()), status: .forwarded(.stale), head: false)
            }
            if let ticket { state.flights.complete(ticket, with: .shared(.error(error))) }
            exchange.cacheStatus = CacheStatus.forwarded(reason).description
            return error.response()
        }

        var fields = HeaderPolicy.clientResponseHeaders(from: answer.headers)
        let contentLength = answer.headers.first(name: "content-length").flatMap(Int.init)
        guard case .store = cache.storability(status: answer.status, responseHeaders: fields, contentLength: contentLength) else {
            if let ticket { state.flights.complete(ticket, with: .goUpstream) }
            let cacheStatus = CacheStatus.forwarded(reason)
            exchange.cacheStatus = cacheStatus.description
            fields.append(cacheStatus.field)
            exchange.addLimitHeaders(to: &fields)
            return Response(status: answer.status, headers: fields, body: ResponseBody(asyncSequence: answer.body))
        }

        // Buffer only what may be stored; past the object limit the rest keeps streaming.
        var buffered = ByteBuffer()
        var iterator = answer.body.makeAsyncIterator()
        do {
            while let chunk = try await iterator.next() {
                buffered.writeImmutableBuffer(chunk)
                if !cache.isWithinObjectLimit(buffered.readableBytes) {
                    if let ticket { state.flights.complete(ticket, with: .goUpstream) }
                    let cacheStatus = CacheStatus.forwarded(reason)
                    exchange.cacheStatus = cacheStatus.description
                    fields.append(cacheStatus.field)
                    exchange.addLimitHeaders(to: &fields)
                    let box = IteratorBox(iterator)
                    let prefix = buffered
                    return Response(status: answer.status, headers: fields, body: ResponseBody { writer in
                        try await writer.write(prefix)
                        while let chunk = try await box.iterator.next() {
                            try await writer.write(chunk)
                        }
                        try await writer.finish(nil)
                    })
                }
            }
        } catch {
            // A reset or truncated body: nothing is cached and the client gets a clean error.
            state.metrics.upstreamError(kind: UpstreamFailure.kind(of: error))
            let failure = GatewayErrorResponse.badGateway("upstream body failed (\(UpstreamFailure.kind(of: error)))")
            if let ticket { state.flights.complete(ticket, with: .shared(.error(failure))) }
            exchange.cacheStatus = CacheStatus.forwarded(reason).description
            return failure.response()
        }

        // Stored entries always carry their length, so hits (and HEAD from the GET entry) are framed exactly.
        fields[.contentLength] = String(buffered.readableBytes)
        let result = cache.store(
            target: exchange.target, profile: exchange.route.route.name, requestHeaders: exchange.request.headers,
            status: answer.status, responseHeaders: fields, body: buffered, now: state.clock.now(), fill: fillToken
        )
        fields[.age] = nil
        if let ticket {
            // Share only what was stored: a fill superseded by a write must not reach requests that came after it.
            let varies = fields[.vary] != nil
            state.flights.complete(ticket, with: result.isStored && !varies ? .shared(.response(status: answer.status, headers: fields, body: buffered)) : .goUpstream)
        }
        let cacheStatus = CacheStatus.forwarded(reason, stored: result.isStored)
        exchange.cacheStatus = cacheStatus.description
        fields.append(cacheStatus.field)
        exchange.addLimitHeaders(to: &fields)
        return Response(status: answer.status, headers: fields, body: .init(byteBuffer: buffered))
    }

    // MARK: - Everything else

    /// Forwards without storing; invalidates the cache after a successful unsafe method.
    private func forward(_ exchange: inout Exchange, cacheStatus: CacheStatus?) async -> Response {
        exchange.cacheStatus = cacheStatus?.description
        switch await admitAndSend(&exchange) {
        case .refused(let response):
            return response
        case .failed(let error):
            return error.response()
        case .answered(let answer):
            var fields = HeaderPolicy.clientResponseHeaders(from: answer.headers)
            if let cache = state.cache, ResponseCache.isUnsafe(exchange.request.method) {
                cache.invalidate(afterWriteTo: exchange.path, status: answer.status, responseHeaders: fields)
            }
            if let cacheStatus { fields.append(cacheStatus.field) }
            exchange.addLimitHeaders(to: &fields)
            return Response(status: answer.status, headers: fields, body: ResponseBody(asyncSequence: answer.body))
        }
    }

    private enum SendResult {
        case answered(Forwarder.UpstreamAnswer)
        case refused(Response)
        case failed(GatewayErrorResponse)
    }

    /// Spends the budgets (waiting in line when allowed), then sends upstream and feeds pushback back to the limiter.
    private func admitAndSend(_ exchange: inout Exchange) async -> SendResult {
        let limiter = state.limiter
        let routeClass = state.routeClass(
            of: exchange.route.route, method: exchange.request.method.rawValue, target: exchange.target, budgets: limiter.configuration
        )
        switch limiter.admit(routeClass: routeClass, client: exchange.client, now: state.clock.now()) {
        case .allowed(let info):
            exchange.limit = info
            exchange.limitDecision = "allowed"
        case .delayed(let until, let reservation, let info):
            exchange.limit = info
            exchange.limitDecision = "queued"
            let reached = await SlotWaiter.wait(for: until - state.clock.now(), unlessClosed: exchange.channel)
            guard reached else {
                state.limiter.cancel(reservation, now: state.clock.now())
                return .refused(GatewayErrorResponse(.serviceUnavailable, code: "client_gone", message: "client disconnected while queued").response())
            }
            if let pause = state.limiter.pushbackRemaining(now: state.clock.now()) {
                return .refused(rateLimited(exchange, budget: BudgetName.upstreamPushback, retryAfter: pause, info: nil))
            }
        case .rejected(let rejection):
            exchange.limitDecision = "rejected:" + rejection.budget
            state.metrics.rejected(budget: rejection.budget, client: rejection.client)
            return .refused(rateLimited(exchange, budget: rejection.budget, retryAfter: rejection.retryAfter, info: rejection.limit))
        }
        let sent = state.clock.now()
        do {
            let answer = try await exchange.route.forwarder.send(exchange.request, body: exchange.body, target: exchange.target, requestID: exchange.requestID, logger: exchange.logger)
            exchange.upstreamDuration = state.upstreamAnswered(
                status: answer.status.code, retryAfter: answer.headers.first(name: "retry-after"), sentAt: sent
            )
            return .answered(answer)
        } catch {
            exchange.upstreamDuration = state.clock.now() - sent
            let kind = UpstreamFailure.kind(of: error)
            state.metrics.upstreamError(kind: kind)
            exchange.logger.warning("upstream request failed", metadata: ["kind": "\(kind)", "request_id": "\(exchange.requestID)"])
            return .failed(UpstreamFailure.response(for: error))
        }
    }

    private func rateLimited(_ exchange: Exchange, budget: String, retryAfter: Duration, info: LimitInfo?) -> Response {
        var response = GatewayErrorResponse.rateLimited(budget: budget, client: exchange.client, retryAfter: retryAfter, info: info).response()
        if let cacheStatus = exchange.cacheStatus {
            response.headers.append(HTTPField(name: CacheStatus.fieldName, value: cacheStatus))
        }
        return response
    }

    // MARK: - Cached answers

    /// A response built from a cache entry (hits, collapsed waiters, stale-if-error).
    static func response(from entry: CachedResponse, age: Int, status: CacheStatus, head: Bool) -> Response {
        let fields = entry.responseHeaders(age: age, cacheStatus: status)
        return Response(status: entry.status, headers: fields, body: head ? .init() : .init(byteBuffer: entry.body))
    }
}
