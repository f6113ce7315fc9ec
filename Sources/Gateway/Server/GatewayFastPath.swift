import GatewayCache
import GatewayLimits
import HTTPTypes
import NIOCore
import NIOHTTP1

/// What the event-loop fast path answers by itself: fresh cache hits for GET and HEAD.
///
/// Refusals (framing, Host, Origin, tokens) happen earlier, in the request guard.
struct GatewayFastPath: Sendable {
    let state: GatewayState

    /// A fresh hit, already counted in the metrics and the access log.
    struct Hit {
        let entry: CachedResponse
        let age: Int
        let requestID: String
        let isHEAD: Bool

        /// The hit as NIOHTTP1 parts, for what the encoded form does not cover (HTTP/1.0, `Connection: close`,
        /// CORS): the HTTP encoder and the guard finish those.
        func parts(version: HTTPVersion, date: String) -> (head: HTTPResponseHead, body: ByteBuffer?) {
            let stored = entry.headers
            var fields = HTTPHeaders()
            fields.reserveCapacity(stored.count + 5)
            for field in stored { fields.add(name: field.name.rawName, value: field.value) }
            fields.add(name: "Age", value: String(age))
            fields.add(name: "Cache-Status", value: GatewayFastPath.hitStatus)
            fields.add(name: "X-Request-Id", value: requestID)
            if !entry.hasDate { fields.add(name: "Date", value: date) }
            let status = HTTPResponseStatus(statusCode: entry.status.code, reasonPhrase: entry.status.reasonPhrase)
            return (HTTPResponseHead(version: version, status: status, headers: fields), isHEAD ? nil : entry.body)
        }

        /// The per-hit lines that follow the stored HTTP/1.1 head (``CachedResponse/head``), with the blank line
        /// that ends the head.
        ///
        /// Why: the stored status line and fields are written as they are (a slice of the entry, no copy); only
        /// these few bytes are made per hit, instead of an `HTTPHeaders` re-serialised by `HTTPResponseEncoder`
        /// (about a fifth of the hit path's samples).
        func trailingHeadLines(date: String, allocator: ByteBufferAllocator) -> ByteBuffer {
            var buffer = allocator.buffer(capacity: 128 + requestID.utf8.count)
            buffer.writeStaticString("Age: ")
            buffer.writeString(String(age))
            buffer.writeStaticString("\r\nCache-Status: ")
            buffer.writeString(GatewayFastPath.hitStatus)
            buffer.writeStaticString("\r\nX-Request-Id: ")
            buffer.writeString(requestID)
            if !entry.hasDate {
                buffer.writeStaticString("\r\nDate: ")
                buffer.writeString(date)
            }
            buffer.writeStaticString("\r\n\r\n")
            return buffer
        }
    }

    /// What the event loop does with a request that passed the guard, or `.passOn` for the async path.
    ///
    /// The checks both kinds of answer share (an origin-form target outside `/_pingate/`, the route) are made
    /// once here, and the limiter is read once.
    func decide(_ head: HTTPRequestHead, channel: any Channel) -> FastDecision {
        let target = head.uri
        guard head.method == .GET || head.method == .HEAD,
              target.utf8.first == UInt8(ascii: "/"), !AdminResponder.owns(target)
        else { return .passOn }
        let route = state.routes.resolve(target)
        let limiter = state.limiter
        if let hit = hit(head, route: route.route, limiter: limiter, peer: channel.remoteAddress) { return .hit(hit) }
        return relayDecision(head, route: route, limiter: limiter, channel: channel)
    }

    /// What ``decide(_:channel:)`` chose.
    enum FastDecision {
        /// Hand it to the async path.
        case passOn
        /// Answer it from the cache.
        case hit(Hit)
        /// Answer it here with this complete response (a 429 from a budget).
        case answer(head: HTTPResponseHead, body: ByteBuffer)
        /// Relay it upstream from the event loop.
        case relay(RelayPlan)
    }

    /// The fresh hit for this request, or nil.
    private func hit(_ head: HTTPRequestHead, route: GatewayRoute, limiter: RateLimiter, peer: SocketAddress?) -> Hit? {
        // With per-client limits, hits count against the client's budget; that (and its 429) is the async path's job.
        guard let cache = state.cache, limiter.configuration.client == nil, route.cacheEnabled,
              !head.headers.contains(name: "cache-control"), !head.headers.contains(name: "pragma")
        else { return nil }
        let target = head.uri
        let headers = head.headers
        guard let (entry, age) = cache.freshEntry(target: target, profile: route.name, now: state.clock.now(), headerValue: { name in
            let values = headers[name.canonicalName]
            return values.isEmpty ? nil : values.joined(separator: ", ")
        }) else { return nil }

        let requestID = RequestIdentifier.resolve(headers.first(name: "x-request-id"))
        state.metrics.request(route: route.name, method: head.method.rawValue, status: entry.status.code)
        if let accessLog = state.accessLog {
            let client = ClientIdentity.resolve(declared: headers.first(name: "x-pingate-client"), peer: peer, peerUID: nil)
            accessLog.recordFast(
                client: client, method: head.method.rawValue, target: target, status: entry.status.code,
                bytesOut: entry.body.readableBytes, cacheStatus: Self.hitStatus, requestID: requestID,
                wallClock: state.clock.wallClockSeconds()
            )
        }
        return Hit(entry: entry, age: age, requestID: requestID, isHEAD: head.method == .HEAD)
    }

    /// Whether a request that is not a hit is relayed (or refused) on the event loop, or goes to the async path.
    ///
    /// Relayed: bodiless HTTP/1.1 GETs to a plain-http upstream that never touch the cache (cache off for the route,
    /// or a request `Cache-Control: no-store`), over TCP, with no queueing configured (`--rate-limit-wait 0`).
    /// Why: the async path (Hummingbird's request loop, AsyncHTTPClient's per-request task and transaction) cost
    /// about 400 µs of CPU per pass-through GET here; the relay stays on the client's event loop with a per-loop
    /// upstream pool. Everything with a body, cacheable reads (coalescing, storing), HEAD, TLS upstreams, unix
    /// sockets and queueing keep the async path. Over-budget requests of the relayable kind get their 429 here.
    private func relayDecision(_ head: HTTPRequestHead, route: RouteTable.Entry, limiter: RateLimiter, channel: any Channel) -> FastDecision {
        guard head.method == .GET, head.version == .http1_1, limiter.configuration.maxWait == .zero else { return .passOn }
        let headers = head.headers
        guard !headers.contains(name: "transfer-encoding"),
              headers.first(name: "content-length").map({ $0 == "0" }) ?? true,
              !headers.contains(name: "expect")
        else { return .passOn }
        let target = head.uri
        if case .unixDomainSocket? = channel.localAddress { return .passOn }  // the client identity needs the peer uid
        // Beyond the upstream connection limit, AsyncHTTPClient's pool queues the request.
        guard route.route.upstream.scheme == "http", state.relayPool.relaysInProgress < state.configuration.upstreamConnections else { return .passOn }
        var cacheStatus: String?
        if state.cache != nil {
            if route.route.cacheEnabled {
                guard Self.isNoStore(headers) else { return .passOn }
                cacheStatus = CacheStatus.forwarded(.bypass).description
            } else {
                cacheStatus = CacheStatus.forwarded(.method).description
            }
        }

        let now = state.clock.now()
        let client = ClientIdentity.resolve(declared: headers.first(name: "x-pingate-client"), peer: channel.remoteAddress, peerUID: nil)
        let requestID = RequestIdentifier.resolve(headers.first(name: "x-request-id"))
        let routeClass = state.routeClass(of: route.route, method: "GET", target: target, budgets: limiter.configuration)
        let limit: LimitInfo?
        switch limiter.admit(routeClass: routeClass, client: client, now: now) {
        case .allowed(let info):
            limit = info
        case .delayed(_, let reservation, _):
            // Not reached with maxWait 0; queueing is the async path's job.
            limiter.cancel(reservation, now: now)
            return .passOn
        case .rejected(let rejection):
            state.metrics.rejected(budget: rejection.budget, client: rejection.client)
            state.metrics.request(route: route.route.name, method: "GET", status: 429)
            let error = GatewayErrorResponse.rateLimited(budget: rejection.budget, client: client, retryAfter: rejection.retryAfter, info: rejection.limit)
            let (responseHead, body) = error.nioParts(
                version: head.version, extra: state.answerFields(cacheStatus: cacheStatus, requestID: requestID)
            )
            state.accessLog?.recordFast(
                client: client, method: "GET", target: target, status: 429, bytesOut: body.readableBytes,
                cacheStatus: cacheStatus, requestID: requestID, wallClock: state.clock.wallClockSeconds(),
                rateLimit: "rejected:" + rejection.budget
            )
            return .answer(head: responseHead, body: body)
        }

        let upstream = route.route.upstream
        var upstreamHeaders = HeaderPolicy.upstreamRequestHeaders(
            from: headers, credentials: route.forwarder.credentials.credentials(forRoute: route.route.name),
            extra: [("X-Request-Id", requestID)]
        )
        upstreamHeaders.add(name: "Host", value: upstream.hostHeader)
        return .relay(RelayPlan(
            route: route,
            upstreamHead: HTTPRequestHead(version: .http1_1, method: .GET, uri: upstream.basePath + target, headers: upstreamHeaders),
            target: target, requestID: requestID, client: client, limit: limit, cacheStatus: cacheStatus,
            clientVersion: head.version, keepAlive: head.isKeepAlive, started: now
        ))
    }

    /// `Cache-Control: no-store` on the request (the cache is bypassed).
    static func isNoStore(_ headers: HTTPHeaders) -> Bool {
        headers["cache-control"].contains { CacheControl(parsing: $0).noStore }
    }

    /// The `Date` for answers whose stored headers carry none (formatted once per second).
    var date: String { state.dates.current }

    static let hitStatus = CacheStatus.hit.description
}
