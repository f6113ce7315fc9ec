import GatewayCache
import HTTPTypes
import NIOCore
import NIOHTTP1
import Synchronization

/// The background refresh of a stale entry served while revalidating (RFC 5861 `stale-while-revalidate`): one
/// upstream exchange with no client, made on the event loop of the connection whose hit started it. It sends the
/// entry's validators; a `304` freshens the entry, a storable answer replaces it, and anything else leaves it as
/// it is (a `5xx` within its stale-if-error window) or removes it (any other unstorable answer supersedes it).
/// It answers nobody.
///
/// It leads the target's flight, so requests that cannot be served stale wait for its answer instead of going
/// upstream too, and it holds at most ``ResponseCache/Configuration/maxObjectBytes`` of body.
final class CacheRefresh: UpstreamExchangeDelegate {
    /// How many refreshes may run at once, over all connections.
    final class Limit: Sendable {
        private let running = Atomic<Int>(0)
        let maximum: Int

        init(maximum: Int) { self.maximum = maximum }

        /// Takes a slot; false when all are taken.
        func begin() -> Bool {
            var current = running.load(ordering: .relaxed)
            while current < maximum {
                let (exchanged, original) = running.compareExchange(expected: current, desired: current + 1, ordering: .relaxed)
                if exchanged { return true }
                current = original
            }
            return false
        }

        /// Gives a slot back.
        func end() { running.subtract(1, ordering: .relaxed) }
    }

    private let state: GatewayState
    private let cache: ResponseCache
    private let target: String
    private let profile: String
    private let requestHeaders: HTTPFields
    private let stale: CachedResponse
    private let token: FillToken
    private var ticket: SingleFlight<FlightKey, FlightResult>.Ticket?
    private let eventLoop: any EventLoop
    private let allocator: ByteBufferAllocator
    private let upstreamHead: HTTPRequestHead
    private let endpoint: UpstreamEndpoint
    private let pushbackScope: String
    private var exchange: UpstreamExchange?
    /// Keeps the refresh alive while its exchange runs (the exchange holds its delegate unowned).
    private var running: CacheRefresh?
    private var sentAt: Duration?
    private var status: HTTPResponse.Status?
    private var fields = HTTPFields()
    /// The answer so far, nil when it will not be stored.
    private var body: ByteBuffer?

    /// - Parameters:
    ///   - request: The head of the request whose hit started the refresh (its fields select the same variant).
    ///   - decision: That request's decision (target, route, client, request id, cache profile).
    ///   - credentials: Those of that request's credential profile.
    ///   - stale: The entry to refresh.
    ///   - token: Taken before the refresh goes upstream.
    ///   - ticket: Leadership of the target's flight.
    ///   - pushbackScope: The budget an upstream pushback on the refresh applies to.
    init(
        state: GatewayState, cache: ResponseCache, request: HTTPRequestHead, decision: RequestDecision, credentials: CredentialSet,
        stale: CachedResponse,
        token: FillToken, ticket: SingleFlight<FlightKey, FlightResult>.Ticket, pushbackScope: String, eventLoop: any EventLoop,
        allocator: ByteBufferAllocator
    ) {
        self.state = state
        self.cache = cache
        self.target = decision.target
        self.profile = decision.cacheProfile
        self.requestHeaders = HTTPFields(request.headers)
        self.stale = stale
        self.token = token
        self.ticket = ticket
        self.eventLoop = eventLoop
        self.allocator = allocator
        self.pushbackScope = pushbackScope
        let route = decision.route
        self.endpoint = route.upstream
        var headers = HeaderPolicy.upstreamRequestHeaders(
            from: request.headers, credentials: credentials,
            extra: [("X-Request-Id", decision.requestID)], host: route.upstream.hostHeader
        )
        for name in ["If-None-Match", "If-Modified-Since", "If-Range", "Range", "Content-Length", "Expect"] { headers.remove(name: name) }
        for (name, value) in stale.validatorFields { headers.add(name: name, value: value) }
        self.upstreamHead = HTTPRequestHead(version: .http1_1, method: .GET, uri: route.upstream.basePath + decision.target, headers: headers)
    }

    /// Sends the refresh upstream.
    func start() {
        let exchange = UpstreamExchange(
            head: upstreamHead, hasBody: false, endpoint: endpoint, pool: state.pool,
            readTimeout: .init(state.configuration.readTimeout), eventLoop: eventLoop, delegate: self
        )
        self.exchange = exchange
        self.running = self
        exchange.start()
    }

    // MARK: - The exchange

    func exchangeSent() {
        sentAt = state.clock.now()
    }

    func exchange(receivedHead head: HTTPResponseHead) {
        let code = Int(head.status.code)
        state.upstreamAnswered(
            status: code, retryAfter: head.headers.first(name: "retry-after"), sentAt: sentAt ?? state.clock.now(), upstream: endpoint,
            pushbackScope: pushbackScope
        )
        var headers = HeaderPolicy.clientResponseHeaders(from: head.headers)
        if !headers.contains(name: "date") { headers.add(name: "Date", value: state.dates.current) }
        let isChunked = head.headers.contains(name: "transfer-encoding")
        let contentLength = isChunked ? nil : head.headers.first(name: "content-length").flatMap { Int($0) }
        let status = HTTPResponse.Status(code: code, reasonPhrase: head.status.reasonPhrase)
        self.status = status
        self.fields = HTTPFields(headers)
        if code == 304 { return }  // freshens the entry once it ends
        if [500, 502, 503, 504].contains(code), stale.isUsableOnError(at: state.clock.now()) {
            // The entry stands in for the error while its window lasts: nothing changes.
            abandon(remove: false)
            return
        }
        guard case .store = cache.storability(status: status, responseHeaders: fields, contentLength: contentLength), cache.isCurrent(token) else {
            abandon(remove: cache.isCurrent(token))
            return
        }
        body = ByteBuffer()
        if let contentLength { body?.reserveCapacity(contentLength) }
    }

    func exchange(receivedBody buffer: ByteBuffer) {
        guard body != nil else { return }
        body!.writeImmutableBuffer(buffer)
        if !cache.isWithinObjectLimit(body!.readableBytes) { abandon(remove: true) }
    }

    func exchangeEnded(requestComplete: Bool) {
        defer { finish() }
        guard let status, let ticket else { return }
        self.ticket = nil
        if status.code == 304 {
            guard let freshened = ResponseCache.freshenedFields(of: stale, notModified: fields), cache.isCurrent(token) else {
                state.flights.complete(ticket, with: .goUpstream)
                return
            }
            storeAnswer(status: stale.status, fields: freshened, body: stale.body, ticket: ticket)
        } else if let body {
            storeAnswer(status: status, fields: fields, body: body, ticket: ticket)
        } else {
            state.flights.complete(ticket, with: .goUpstream)
        }
    }

    func exchangeFlush() {}

    func exchange(failed failure: UpstreamFailure) {
        upstreamFailed(failure)
    }

    func exchange(aborted failure: UpstreamFailure) {
        upstreamFailed(failure)
    }

    /// Counts the failure, for the breaker too unless it is pingate's own pool limit.
    private func upstreamFailed(_ failure: UpstreamFailure) {
        state.metrics.upstreamError(kind: failure.metricKind)
        if failure.kind != .poolTimeout { state.breakers.record(endpoint, success: false, now: state.clock.now()) }
        finish()
    }

    func exchange(pauseClientReads paused: Bool) {}

    /// A background refresh is never retried: the stale entry stays until a request goes upstream itself.
    func exchange(mayRetry reason: String) -> Bool { false }

    // MARK: - Ending

    private func storeAnswer(status: HTTPResponse.Status, fields: HTTPFields, body: ByteBuffer, ticket: SingleFlight<FlightKey, FlightResult>.Ticket) {
        state.storeAnswer(
            cache, target: target, profile: profile, requestHeaders: requestHeaders, status: status, fields: fields, body: body,
            token: token, ticket: ticket, allocator: allocator
        )
    }

    /// Stops reading an answer that will not be stored; `remove` drops the entry it supersedes.
    private func abandon(remove: Bool) {
        if remove { cache.remove(target: target, profile: profile, requestHeaders: requestHeaders) }
        body = nil
        status = nil
        if let ticket {
            self.ticket = nil
            state.flights.complete(ticket, with: .goUpstream)
        }
        // Not from inside the exchange's own callback: it goes on with its actions after this returns.
        let exchange = self.exchange
        eventLoop.assumeIsolated().execute {
            exchange?.clientClosed()
            self.finish()
        }
    }

    private func finish() {
        guard running != nil else { return }
        if let ticket {
            self.ticket = nil
            state.flights.abandon(ticket)
        }
        state.refreshes.end()
        running = nil
    }
}

@available(*, unavailable)
extension CacheRefresh: Sendable {}
