import GatewayCache
import GatewayLimits
import HTTPTypes
import NIOCore
import NIOHTTP1

/// Answers the requests of one client connection, one at a time and in order, on the connection's event loop:
/// pingate's own endpoints, cache hits, refusals, and every proxied request through one ``UpstreamExchange``
/// (any method, with or without a body, to a plain-http or https upstream), storing cacheable answers while they
/// stream to the client.
///
/// Each request is decided once (``RequestDecision``) and ends in exactly one ``ExchangeRecord``, handed to
/// ``GatewayState/record(_:)`` from ``finish(_:)``.
///
/// Pipelined requests wait (reads are held) until the one before them is answered; a refusal reported by the
/// guard (``RequestRefusedEvent``) takes its place in that order. Reads are also held while the upstream cannot
/// take more of an upload.
final class GatewayHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = ResponsePart
    typealias OutboundOut = ResponsePart

    /// One request being answered.
    final class Request {
        let head: HTTPRequestHead
        let decision: RequestDecision
        var record: ExchangeRecord
        /// The client's whole request (its body) has arrived.
        var requestEnded: Bool
        /// The request declared a body (it may still be arriving).
        let hasBody: Bool
        /// Whether the connection may carry another request after this answer.
        var keepAlive: Bool
        var stage = Stage.deciding
        /// The answer's head is written (a failure can no longer be answered, only the connection closed).
        var answerStarted = false
        /// The budget that admitted it, for the `RateLimit` fields.
        var limit: LimitInfo?
        /// The budget an upstream pushback on this request applies to (see ``GatewayState/pushbackScope(upstream:routeClass:)``).
        var pushbackScope = ""
        /// Its rate class ("" without class budgets).
        var routeClass = ""
        /// Admitted as the half-open breaker's probe: its outcome must be reported.
        var isProbe = false
        var cacheStatus: CacheStatus?
        /// Storing the answer of a GET through the cache.
        var fill: CacheFill?
        /// Body parts that arrived before the upstream exchange started.
        var heldBody: [ByteBuffer] = []
        /// The head of an answer held back while it may still fit ``CacheFill/holdLimit`` (written with the rest).
        var heldAnswerHead: ResponseHead?
        /// With shared state: writes to Redis the answer's end waits for (an upstream pause, a write's invalidation),
        /// so that whatever the client does next, through any instance, sees them.
        var sharedWrites: EventLoopFuture<Void>?
        /// The client sent `Expect: 100-continue`; it gets `100 Continue` once the request goes upstream.
        var expectsContinue: Bool
        /// The answer's head says no body follows although the upstream sends one (a `304` made for the client's
        /// own validators while the full answer is stored).
        var withholdsBody = false

        enum Stage {
            case deciding
            /// Answered by pingate itself (hit, admin, refusal); body parts are dropped.
            case answering
            /// Waiting for the shared store's admission decision.
            case admitting
            /// Queued for its budget slot (`rate_limit.wait_ms`); a local reservation is given back if the client leaves.
            case waitingForSlot(Scheduled<Void>, Reservation?)
            /// Waiting for the fill of the same target that another request leads.
            case waitingForFlight(SingleFlight<FlightKey, FlightResult>.Waiter)
            case forwarding(UpstreamExchange)
            case done
        }

        init(head: HTTPRequestHead, decision: RequestDecision, record: ExchangeRecord) {
            self.head = head
            self.decision = decision
            self.record = record
            let length = head.headers.first(name: "content-length").flatMap { Int($0) } ?? 0
            self.hasBody = length > 0 || head.headers.contains(name: "transfer-encoding")
            self.requestEnded = false
            self.keepAlive = head.isKeepAlive
            self.expectsContinue = head.headers.first(name: "expect")?.lowercased() == "100-continue"
        }
    }

    /// What a GET through the cache keeps while its answer streams.
    ///
    /// A storable answer is held back until it ends or exceeds ``holdLimit``: a small answer (most API answers)
    /// then goes out whole, with an exact `Cache-Status`, and an upstream failure before its end is still a clean
    /// 502; a larger one streams to the client while it is stored.
    struct CacheFill {
        /// Bytes of a storable answer held before its head goes out.
        static let holdLimit = 64 * 1024

        let token: FillToken
        /// Leadership of the coalesced fill (nil for a refresh, which does not coalesce).
        var ticket: SingleFlight<FlightKey, FlightResult>.Ticket?
        let reason: CacheStatus.ForwardReason
        /// A stale entry: revalidated with its validators, and served if the upstream fails within its
        /// stale-if-error window.
        let stale: CachedResponse?
        /// The answer is made from the stale entry once the upstream's ends (nil: the upstream's answer is sent).
        var deferred: DeferredAnswer?

        /// Why the upstream's answer is replaced by the stored entry.
        enum DeferredAnswer {
            /// `304` to the revalidation: the entry is freshened and answers.
            case notModified
            /// `500`, `502`, `503` or `504` within the entry's stale-if-error window.
            case staleOnError(Int)
        }

        /// The request carries the stale entry's validators upstream.
        var revalidates: Bool { self.stale?.hasValidator ?? false }
        /// The answer's status and fields, once its head arrived.
        var status: HTTPResponse.Status?
        var fields = HTTPFields()
        /// The body so far; nil once it cannot be stored.
        var body: ByteBuffer?
        /// With shared state: the generation of the target's write scope when the fill began (another instance's
        /// write in between moves it, and the fill then does not store).
        var generation: (scope: String, atStart: EventLoopFuture<Int64?>)?
    }

    /// Input that waits for the request before it to be answered.
    private enum Backlogged {
        case part(HTTPServerRequestPart)
        case refused(RequestRefusedEvent)
    }

    let state: GatewayState
    private(set) var context: ChannelHandlerContext?
    private var peerUID: UInt32?
    /// The connection's identity for requests that declare none (made once, on first use).
    private var connectionIdentity: String?
    private(set) var current: Request?
    private var backlog: [Backlogged] = []
    /// The upstream cannot take more of the upload: client reads are held.
    private var uploadPaused = false
    /// A read the channel asked for while reads were held.
    private var readPending = false
    /// Close once the current answer is written (graceful shutdown, or the client half-closed).
    private(set) var closeWhenDone = false
    /// The connection is closing or closed: nothing more is read or answered.
    var closing = false

    init(state: GatewayState) {
        self.state = state
    }

    // MARK: - Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        closing = true
        backlog.removeAll()
        if let request = current {
            current = nil
            abandon(request)
        }
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if let request = current, case .forwarding(let exchange) = request.stage {
            exchange.clientWritabilityChanged(context.channel.isWritable)
        }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let refused as RequestRefusedEvent:
            refusalReported(refused, context: context)
        case let credentials as PeerCredentialsEvent:
            peerUID = credentials.uid
            connectionIdentity = nil
        case is ChannelShouldQuiesceEvent:
            drainThenClose(context: context)
        case ChannelEvent.inputClosed as ChannelEvent:
            drainThenClose(context: context)
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    /// Lets the answer in progress finish, then closes; closes at once when idle.
    private func drainThenClose(context: ChannelHandlerContext) {
        closeWhenDone = true
        backlog.removeAll()
        if current == nil {
            closing = true
            context.close(promise: nil)
        }
    }

    /// The connection's identity, made once.
    private func identity(_ context: ChannelHandlerContext) -> String {
        if let connectionIdentity { return connectionIdentity }
        let made = ClientIdentity.connectionIdentity(peer: context.channel.remoteAddress, peerUID: peerUID)
        connectionIdentity = made
        return made
    }

    // MARK: - Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        received(unwrapInboundIn(data), context: context)
    }

    private func received(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        guard !closing else { return }
        if let request = current {
            if !request.requestEnded {
                requestPart(part, of: request)
            } else {
                // A pipelined request: it waits for this answer (reads are held meanwhile).
                backlog.append(.part(part))
            }
            return
        }
        guard case .head(let head) = part else { return }
        start(head, context: context)
    }

    private func requestPart(_ part: HTTPServerRequestPart, of request: Request) {
        switch part {
        case .head:
            return
        case .body(let buffer):
            request.record.bytesIn += buffer.readableBytes
            switch request.stage {
            case .forwarding(let exchange): exchange.clientBody(buffer)
            case .deciding, .admitting, .waitingForSlot, .waitingForFlight: request.heldBody.append(buffer)
            case .answering, .done: break
            }
        case .end:
            request.requestEnded = true
            switch request.stage {
            case .forwarding(let exchange):
                exchange.clientEnd()
            case .done:
                // The answer went out before the upload ended; the connection goes on only if it said so.
                if request.keepAlive { next() } else { closeAfterAnswer(request) }
            default:
                break
            }
        }
    }

    /// Starts answering a request whose head just arrived.
    private func start(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        state.requestStarted()
        let decision = RequestDecision(head: head, connection: identity(context), state: state)
        let record = ExchangeRecord(
            route: decision.route.name, method: head.method.rawValue, target: decision.target,
            client: decision.client, requestID: decision.requestID, started: state.clock.now()
        )
        let request = Request(head: head, decision: decision, record: record)
        current = request
        switch decision.plan {
        case .refuse(let error):
            request.stage = .answering
            answer(request, error: error)
        case .admin:
            request.record.route = "admin"
            request.stage = .answering
            AdminEndpoints.answer(method: head.method, target: decision.target, state: state, on: context.eventLoop)
                .assumeIsolated().whenSuccess { answer in
                    guard self.current === request else { return }
                    self.answerAdmin(answer, to: request)
                }
        case .hit(let entry, let age, let refresh):
            answerHit(entry, age: age, refresh: refresh, to: request)
        case .fill(let reason, let stale, let coalesce):
            request.cacheStatus = .forwarded(reason)
            if coalesce {
                join(request, reason: reason, stale: stale)
            } else {
                beginFill(request, reason: reason, stale: stale, ticket: nil)
            }
        case .forward(let cacheStatus, _):
            request.cacheStatus = cacheStatus
            admitAndForward(request)
        }
    }

    // MARK: - Refusals

    private func refusalReported(_ event: RequestRefusedEvent, context: ChannelHandlerContext) {
        guard !closing else { return }
        if let request = current {
            if !request.requestEnded {
                // The request being received was refused mid-body (too large): its exchange is abandoned.
                refuseCurrent(request, with: event.refusal)
            } else {
                backlog.append(.refused(event))
            }
            return
        }
        answerRefusal(event)
    }

    /// Answers a refusal of a request that was never passed on (or the connection itself), then closes.
    private func answerRefusal(_ event: RequestRefusedEvent) {
        state.requestStarted()
        let head = event.head
        let decisionTarget = head.map { RequestDecision.originForm($0.uri) } ?? "-"
        var record = ExchangeRecord(
            route: head == nil ? "-" : state.routes.resolve(decisionTarget).name, method: head?.method.rawValue ?? "-",
            target: decisionTarget,
            client: context.map { ClientIdentity.resolve(declared: head?.headers.first(name: "x-pingate-client"), connection: identity($0)) } ?? "unknown",
            requestID: RequestIdentifier.resolve(head?.headers.first(name: "x-request-id")), started: state.clock.now()
        )
        closing = true
        let error = event.refusal.error
        record.status = Int(error.status.code)
        writeError(error, version: head?.version ?? .http1_1, headOnly: head?.method == .HEAD, keepAlive: false, extra: [("X-Request-Id", record.requestID)], record: &record)
        state.record(record)
        context?.triggerUserOutboundEvent(LingeringCloseEvent(), promise: nil)
    }

    /// The request being received was refused while its body arrived.
    private func refuseCurrent(_ request: Request, with refusal: FramingRefusal) {
        closing = true
        cancelStage(of: request)
        if request.answerStarted {
            // The answer has begun: the connection can only be cut.
            request.record.status = request.record.status == 0 ? 499 : request.record.status
            finish(request)
            context?.close(promise: nil)
            return
        }
        request.stage = .done
        request.keepAlive = false
        answer(request, error: refusal.error)
        context?.triggerUserOutboundEvent(LingeringCloseEvent(), promise: nil)
    }

    // MARK: - Admission and forwarding

    /// Checks the upstream's breaker, spends the budgets (waiting for a slot when allowed), then forwards.
    func admitAndForward(_ request: Request, fill: CacheFill? = nil) {
        request.fill = fill
        let upstream = request.decision.route.upstream
        switch state.breakers.admit(upstream, now: state.clock.now()) {
        case .allow:
            break
        case .probe:
            request.isProbe = true
        case .reject(let retryAfter):
            upstreamDown(request, retryAfter: retryAfter)
            return
        }
        let limiter = state.limiter
        request.routeClass = state.routeClass(of: request.decision.route, method: request.head.method.rawValue, target: request.decision.target, budgets: limiter.configuration)
        request.pushbackScope = GatewayState.pushbackScope(upstream: upstream, routeClass: request.routeClass)
        if let shared = state.shared {
            if shared.isAvailable {
                admitShared(request, shared: shared)
                return
            }
            if shared.configuration.onFailure == .refuse {
                sharedStateUnavailable(request)
                return
            }
        }
        admitLocally(request, limiter: limiter)
    }

    /// Admission by this instance's own budgets (alone, or its share while the shared store is unreachable).
    private func admitLocally(_ request: Request, limiter: RateLimiter) {
        switch limiter.admit(
            routeClass: request.routeClass, client: request.decision.client, token: state.localBudget(of: request.decision.token),
            now: state.clock.now(), pushbackScope: request.pushbackScope
        ) {
        case .allowed(let info):
            request.limit = info
            request.record.rateLimit = "allowed"
            forward(request)
        case .delayed(let until, let reservation, let info):
            request.limit = info
            waitForSlot(request, delay: until - state.clock.now(), reservation: reservation)
        case .rejected(let rejection):
            refuseOverBudget(request, rejection)
        }
    }

    /// Admission by the budgets shared with other instances: one round trip, bounded by `redis.timeout_ms`.
    private func admitShared(_ request: Request, shared: SharedState) {
        guard let context else { return }
        let budgets = state.budgets
        let applicable = budgets.applicableBudgets(routeClass: request.routeClass, token: request.decision.token?.budget)
        request.stage = .admitting
        shared.admit(
            budgets: applicable, keys: SharedState.keys(of: applicable, client: request.decision.client),
            pushbackScope: request.pushbackScope, identity: request.decision.client, maxWait: budgets.maxWait, on: context.eventLoop
        ).assumeIsolated().whenSuccess { decision in
            guard self.current === request, case .admitting = request.stage else { return }
            switch decision {
            case .admitted(let delay, let limit):
                request.limit = limit
                if delay > .zero {
                    self.waitForSlot(request, delay: delay, reservation: nil)
                } else {
                    request.record.rateLimit = "allowed"
                    self.forward(request)
                }
            case .rejected(let rejection):
                self.refuseOverBudget(request, rejection)
            case .unavailable:
                if shared.configuration.onFailure == .refuse {
                    self.sharedStateUnavailable(request)
                } else {
                    request.stage = .deciding
                    self.admitLocally(request, limiter: self.state.limiter)
                }
            }
        }
    }

    /// Queues the request until its budget slot (`rate_limit.wait_ms`).
    private func waitForSlot(_ request: Request, delay: Duration, reservation: Reservation?) {
        guard let context else { return }
        request.record.rateLimit = "queued"
        let task = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(delay.components.seconds) * 1_000_000_000 + delay.components.attoseconds / 1_000_000_000)) {
            guard self.current === request, case .waitingForSlot = request.stage else { return }
            if let pause = self.state.limiter.pushbackRemaining(now: self.state.clock.now(), pushbackScope: request.pushbackScope) {
                self.rateLimited(request, budget: BudgetName.upstreamPushback, retryAfter: pause, info: nil)
                return
            }
            self.forward(request)
        }
        request.stage = .waitingForSlot(task, reservation)
    }

    private func refuseOverBudget(_ request: Request, _ rejection: Rejection) {
        request.record.rateLimit = "rejected:" + rejection.budget
        state.metrics.rejected(budget: rejection.budget, client: rejection.client)
        rateLimited(request, budget: rejection.budget, retryAfter: rejection.retryAfter, info: rejection.limit)
    }

    /// The shared store cannot be reached and `redis.on_failure` is `refuse`: 503, nothing is sent upstream.
    private func sharedStateUnavailable(_ request: Request) {
        var error = GatewayErrorResponse(
            .serviceUnavailable, code: "shared_state_unavailable",
            message: "the shared rate-limit store (Redis) cannot be reached; requests that need the upstream are refused"
        )
        error.headers.append(("Retry-After", "1"))
        completeFlight(of: request, with: .goUpstream)
        request.fill = nil
        answer(request, error: error)
    }

    /// The upstream's breaker is open: a stale entry that may be served on error is, else `503 upstream_down`.
    private func upstreamDown(_ request: Request, retryAfter: Duration) {
        if let stale = request.fill?.stale ?? request.decision.staleForError, stale.isUsableOnError(at: state.clock.now()) {
            completeFlight(of: request, with: .goUpstream)
            request.fill = nil
            request.cacheStatus = .forwarded(.stale)
            answer(request, from: stale, age: stale.age(at: state.clock.now()))
            return
        }
        var error = GatewayErrorResponse(
            .serviceUnavailable, code: "upstream_down",
            message: "the upstream is failing; pingate stopped sending it requests for a while (circuit breaker open)"
        )
        error.headers.append(("Retry-After", String(RetryAfter.headerSeconds(for: retryAfter))))
        completeFlight(of: request, with: .shared(.error(error)))
        request.fill = nil
        answer(request, error: error)
    }

    private func rateLimited(_ request: Request, budget: String, retryAfter: Duration, info: LimitInfo?) {
        completeFlight(of: request, with: .goUpstream)
        let error = GatewayErrorResponse.rateLimited(budget: budget, client: request.decision.client, retryAfter: retryAfter, info: info)
        request.limit = nil
        answer(request, error: error)
    }

    /// Sends the request upstream through one exchange, with the credentials of its token's profile.
    private func forward(_ request: Request) {
        guard let context else { return }
        let route = request.decision.route
        let upstream = route.upstream
        guard let credentials = state.credentials.credentials(forRoute: route.name, profile: request.decision.token?.profile) else {
            // A reload removed the token (and with it its profile) after the request was decided: never fall back to
            // other credentials.
            profileWithdrawn(request)
            return
        }
        var head = HTTPRequestHead(
            version: .http1_1, method: request.head.method, uri: upstream.basePath + request.decision.target,
            headers: HeaderPolicy.upstreamRequestHeaders(
                from: request.head.headers, credentials: credentials,
                extra: [("X-Request-Id", request.decision.requestID)], host: upstream.hostHeader
            )
        )
        if let fill = request.fill { Self.setValidators(&head.headers, for: fill) }
        let exchange = UpstreamExchange(
            head: head, hasBody: request.hasBody, endpoint: upstream, pool: state.pool,
            readTimeout: .init(state.configuration.readTimeout), eventLoop: context.eventLoop, delegate: self
        )
        request.stage = .forwarding(exchange)
        if request.expectsContinue && !request.requestEnded {
            // curl and SDKs wait for 100 Continue before large uploads; the request passed every check.
            request.expectsContinue = false
            let interim = ResponseHead(version: request.head.version, status: .continue, headers: [:], framing: .none(declaredLength: nil), keepAlive: true)
            context.writeAndFlush(wrapOutboundOut(.head(interim)), promise: nil)
        }
        exchange.start()
        let held = request.heldBody
        request.heldBody.removeAll()
        for part in held { exchange.clientBody(part) }
        if request.requestEnded { exchange.clientEnd() }
        if !context.channel.isWritable { exchange.clientWritabilityChanged(false) }
    }

    /// The request's token profile is no longer in the vault: 401, nothing sent upstream.
    private func profileWithdrawn(_ request: Request) {
        completeFlight(of: request, with: .goUpstream)
        request.fill = nil
        answer(request, error: .unauthorized("the client token is unknown, revoked or expired"))
    }

    // MARK: - Writing answers

    /// Writes a complete answer pingate makes itself, then finishes the request. `bodyless`: an answer that never
    /// has a body (`304`), sent without `Content-Length`.
    func answer(_ request: Request, status: HTTPResponseStatus, headers: HTTPHeaders, body: ByteBuffer, bodyless: Bool = false) {
        guard let context else { return }
        var head = ResponseHead(
            version: request.head.version, status: status, headers: headers,
            framing: bodyless ? .none(declaredLength: nil)
                : request.head.method == .HEAD ? .none(declaredLength: body.readableBytes) : .length(body.readableBytes),
            // An upload still arriving is not wanted after an early answer: the connection closes after it.
            keepAlive: request.keepAlive && !closeWhenDone && (request.requestEnded || !request.hasBody)
        )
        request.keepAlive = head.keepAlive
        request.answerStarted = true
        request.record.status = Int(status.code)
        request.stage = .done
        decorate(&head.headers, for: request)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if request.head.method != .HEAD, body.readableBytes > 0 {
            request.record.bytesOut += body.readableBytes
            context.write(wrapOutboundOut(.body(body)), promise: nil)
        }
        answerEnded(request)
    }

    /// The answer of one of pingate's own endpoints.
    private func answerAdmin(_ admin: AdminEndpoints.Answer, to request: Request) {
        var headers = HTTPHeaders(admin.headers)
        headers.add(name: "Content-Type", value: admin.contentType)
        headers.add(name: "Cache-Control", value: "no-store")
        answer(request, status: admin.status, headers: headers, body: admin.body)
    }

    /// A JSON error answer.
    func answer(_ request: Request, error: GatewayErrorResponse) {
        var headers = HTTPHeaders(error.headers)
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Cache-Control", value: "no-store")
        answer(request, status: error.status, headers: headers, body: error.body)
    }

    /// A JSON error for a request that has no ``Request`` (a refusal before or instead of one).
    private func writeError(
        _ error: GatewayErrorResponse, version: HTTPVersion, headOnly: Bool, keepAlive: Bool, extra: [(String, String)], record: inout ExchangeRecord
    ) {
        guard let context else { return }
        let body = error.body
        var headers = HTTPHeaders(error.headers)
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Cache-Control", value: "no-store")
        headers.add(contentsOf: extra)
        headers.add(name: "Date", value: state.dates.current)
        let head = ResponseHead(
            version: version, status: error.status, headers: headers,
            framing: headOnly ? .none(declaredLength: body.readableBytes) : .length(body.readableBytes), keepAlive: keepAlive
        )
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if !headOnly {
            record.bytesOut = body.readableBytes
            context.write(wrapOutboundOut(.body(body)), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end), promise: nil)
    }

    /// The fields every answer to a request carries after its own: `Cache-Status`, the `RateLimit` fields,
    /// `X-Request-Id`, `Date` (when the upstream sent none), and CORS for an allowed `Origin` (never on pingate's own
    /// endpoints).
    func decorate(_ headers: inout HTTPHeaders, for request: Request) {
        if let cacheStatus = request.cacheStatus {
            let value = cacheStatus.description
            headers.add(name: "Cache-Status", value: value)
            request.record.cacheStatus = value
            request.record.cacheRole = ExchangeRecord.CacheRole(cacheStatus)
        }
        if let limit = request.limit {
            for field in RateLimitHeaders.fields(for: limit) { headers.add(name: field.name, value: field.value) }
        }
        headers.replaceOrAdd(name: "X-Request-Id", value: request.decision.requestID)
        if !headers.contains(name: "date") { headers.add(name: "Date", value: state.dates.current) }
        if !request.decision.isAdmin, let origin = request.head.headers.first(name: "origin") {
            // The guard let only an allow-listed Origin through; it gets exactly itself back, never `*`.
            headers.add(name: "Access-Control-Allow-Origin", value: origin)
            headers.add(name: "Vary", value: "Origin")
        }
    }

    /// Writes the end of the current answer (unless it is already written) and moves on.
    func answerEnded(_ request: Request, endWritten: Bool = false) {
        guard let context else { return }
        request.stage = .done
        let written = endWritten ? nil : context.writeAndFlush(wrapOutboundOut(.end))
        finish(request)
        if request.keepAlive {
            if request.requestEnded { next() }
        } else if request.requestEnded {
            closing = true
            if let written {
                written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            } else {
                context.close(promise: nil)
            }
        } else {
            // The rest of the upload is still arriving and is not wanted.
            closeAfterAnswer(request)
        }
    }

    /// The connection closes after an answer that did not keep it alive.
    private func closeAfterAnswer(_ request: Request) {
        guard let context, !closing || request.requestEnded else { return }
        closing = true
        if request.requestEnded {
            context.close(promise: nil)
        } else {
            context.triggerUserOutboundEvent(LingeringCloseEvent(), promise: nil)
        }
    }

    /// Hands the finished request to the one bookkeeping place.
    func finish(_ request: Request) {
        // A finished exchange holds nothing back: an upload pause must not outlive its request, and a half-open
        // probe that ends without the upstream's answer (refused by a budget, the pool, or the client leaving)
        // lets the next request probe.
        setUploadPaused(false)
        if request.isProbe {
            request.isProbe = false
            state.breakers.probeAbandoned(request.decision.route.upstream)
        }
        guard request.record.status != -1 else { return }
        if request.record.status == 0 { request.record.status = 499 }
        state.record(request.record)
        request.record.status = -1  // recorded
    }

    /// The answer ended and the request too: the next pipelined request (or refusal) goes.
    private func next() {
        current = nil
        guard let context else { return }
        if closeWhenDone {
            closing = true
            context.close(promise: nil)
            return
        }
        // Replays until a request is in progress whose whole request has arrived (its answer is then awaited).
        while current.map({ !$0.requestEnded }) ?? true, !backlog.isEmpty, !closing {
            switch backlog.removeFirst() {
            case .part(let part):
                received(part, context: context)
            case .refused(let event):
                answerRefusal(event)
            }
        }
        if current == nil || backlog.isEmpty { resumeReadsIfHeld() }
    }

    /// The client left (or the connection broke) before its answer ended: counted with the status sent, or 499
    /// when none was.
    private func abandon(_ request: Request) {
        cancelStage(of: request)
        finish(request)
    }

    /// Stops whatever the request was waiting for or running.
    private func cancelStage(of request: Request) {
        switch request.stage {
        case .waitingForSlot(let task, let reservation):
            task.cancel()
            if let reservation { state.limiter.cancel(reservation, now: state.clock.now()) }
        case .waitingForFlight(let waiter):
            state.flights.leave(waiter)
        case .forwarding(let exchange):
            exchange.clientClosed()
        case .deciding, .admitting, .answering, .done:
            break
        }
        completeFlight(of: request, with: .goUpstream)
        request.stage = .done
    }

    // MARK: - Reads

    func read(context: ChannelHandlerContext) {
        if uploadPaused || (current != nil && !backlog.isEmpty) {
            readPending = true
            return
        }
        context.read()
    }

    /// Holds or releases client reads for the upload's backpressure.
    func setUploadPaused(_ paused: Bool) {
        uploadPaused = paused
        if !paused { resumeReadsIfHeld() }
    }

    private func resumeReadsIfHeld() {
        guard readPending, !uploadPaused, let context else { return }
        readPending = false
        context.read()
    }

    // MARK: - Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        context.write(data, promise: promise)
    }
}

@available(*, unavailable)
extension GatewayHandler: Sendable {}
