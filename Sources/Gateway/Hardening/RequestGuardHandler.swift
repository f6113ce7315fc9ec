import HTTPTypes
import NIOCore
import NIOHTTP1

/// The connection's gatekeeper, right after NIO's HTTP/1 decoder (so it still sees the HTTP version and the raw
/// header list, which the HTTPTypes conversion loses). It refuses, before anything reaches the async path or
/// the upstream:
///
/// - what ``FramingValidator`` flags (HTTP/1.0 with `Transfer-Encoding`, a `Transfer-Encoding` other than
///   exactly `chunked`, duplicate `Host`, too long request line (414), too many/large headers (431), a declared
///   body over `maxBodyBytes` (413), targets that are not paths);
/// - every parse error NIO raises (400, or 414/431 for size overflows), answered with pingate's JSON error
///   instead of Hummingbird's bare 400;
/// - bodies that grow past `maxBodyBytes` while streaming (413; the upstream request, if started, is aborted);
/// - heads that do not arrive within `headerTimeout` (408, slowloris);
/// - unix-socket peers whose uid is not on the allow-list (403).
///
/// Every refusal is a JSON 4xx with `Connection: close`; then input is drained and dropped for at most
/// `lingerTimeout` after a half-close, so the client reads the answer rather than a reset.
///
/// A decoded head is held until the end of the read it arrived in: a body error in the same packet (an
/// invalid chunk size) refuses the request before the async path has seen it, so nothing is forwarded.
/// A refusal of a request pipelined behind one still being answered waits for that answer to end.
final class RequestGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// Told of every refusal (for metrics and the access log): the refusal, the refused head when it was decoded,
    /// and the peer.
    typealias RefusalObserver = @Sendable (_ refusal: FramingRefusal, _ head: HTTPRequestHead?, _ peer: SocketAddress?) -> Void

    /// The raw-byte half of the guard; add it as the pipeline's first handler.
    let tap: RawInputTap
    private let limits: RequestLimits
    private let access: AccessPolicy
    private let onRefusal: RefusalObserver?
    /// The head of the request whose body is arriving (for reporting a refusal of its body).
    private var currentHead: HTTPRequestHead?

    private enum Phase {
        /// Waiting for (the rest of) a request head; the header timer runs.
        case awaitingHead
        /// A request ended; nothing of the next one arrived yet (the idle timeout applies).
        case betweenRequests
        /// A head was accepted; its body is arriving.
        case readingBody
        /// Refused: nothing more is read or forwarded.
        case closing
    }

    private enum PeerState { case unchecked, allowed, refused }

    private var phase = Phase.awaitingHead
    /// Parts of the request whose head arrived in the current read, held until the read completes.
    private var held: [HTTPServerRequestPart] = []
    private var bodyBytes = 0
    private var currentIsHEAD = false
    /// Requests passed on whose response has not ended.
    private var inFlight = 0
    /// The oldest in-flight response has a (final) head written.
    private var responseStarted = false
    /// A request passed on is still receiving its body.
    private var forwardedBodyOpen = false
    /// Drop the async path's writes: the guard answered its request itself.
    private var suppressDownstream = false
    /// A refusal waiting for the in-flight response to end.
    private var pendingRefusal: (refusal: FramingRefusal, headOnly: Bool)?
    /// The guard wrote the connection's last response and is closing it: later closes wait for the drain.
    private var lingering = false
    private var started = false
    /// `Origin` of each request passed on whose response head is not written yet, in order.
    private var pendingOrigins: [String?] = []
    private var isUnixSocket = false
    private var peerState = PeerState.unchecked
    /// The awaited request head is late (408); see ``DeadlineTimer``.
    private lazy var headerTimer = DeadlineTimer { [weak self] in self?.headerTimedOut() }
    /// A keep-alive connection with no request in progress has been idle too long.
    private lazy var idleTimer = DeadlineTimer { [weak self] in self?.idleTimedOut() }
    private var lingerTimer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    init(limits: RequestLimits, access: AccessPolicy, onRefusal: RefusalObserver? = nil) {
        self.limits = limits
        self.access = access
        self.onRefusal = onRefusal
        self.tap = RawInputTap(maxRequestLine: limits.maxRequestLine)
        self.tap.owner = self
    }

    // MARK: - Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { start(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimers()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimers()
        context.fireChannelInactive()
    }

    private func start(context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        if case .unixDomainSocket = context.channel.localAddress { isUnixSocket = true }
        headerTimer.arm(in: limits.headerTimeout, on: context.eventLoop)
        checkPeer(context: context)
    }

    /// Unix socket with an allow-list: the peer's uid decides (read once, at connect).
    private func checkPeer(context: ChannelHandlerContext) {
        guard let allowed = access.allowedPeerUIDs, case .unixDomainSocket = context.channel.localAddress else {
            peerState = .allowed
            return
        }
        ClientIdentity.peerUID(of: context.channel).assumeIsolated().whenComplete { result in
            if case .success(let uid?) = result, allowed.contains(uid) {
                self.peerState = .allowed
            } else {
                self.peerState = .refused
            }
        }
    }

    private func cancelTimers() {
        headerTimer.cancel()
        idleTimer.cancel()
        lingerTimer?.cancel()
        lingerTimer = nil
    }

    // MARK: - Idle timeout

    /// The guard, not Hummingbird's connection handler, times idle connections out: it is the only handler that
    /// sees every request and response, including those the fast path answers below Hummingbird (a connection
    /// serving only cache hits looked idle to Hummingbird and was closed mid-use).
    private func connectionBecameIdleIfDone(context: ChannelHandlerContext) {
        guard let idleTimeout = limits.idleTimeout, inFlight == 0, phase == .betweenRequests else { return }
        idleTimer.arm(in: idleTimeout, on: context.eventLoop)
    }

    private func idleTimedOut() {
        guard inFlight == 0, phase == .betweenRequests, let context else { return }
        phase = .closing
        tap.startDropping()
        context.close(promise: nil)
    }

    // MARK: - Header timeout

    /// Called by the tap for every read: bytes after a finished request start the next head's timer.
    func bytesArrived() {
        guard phase == .betweenRequests, let context else { return }
        idleTimer.disarm()
        phase = .awaitingHead
        headerTimer.arm(in: limits.headerTimeout, on: context.eventLoop)
    }

    private func headerTimedOut() {
        guard phase == .awaitingHead, let context else { return }
        if inFlight > 0 {
            // A pipelined head is stalled behind a response still being produced; judge it once that ends.
            headerTimer.arm(in: limits.headerTimeout, on: context.eventLoop)
        } else if tap.inRequestLine && !tap.sawHeadBytes {
            // Connected and sent nothing: no one to answer.
            phase = .closing
            tap.startDropping()
            context.close(promise: nil)
        } else {
            refuse(.headerTimeout)
        }
    }

    // MARK: - Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if phase == .closing { return }
        var part = unwrapInboundIn(data)
        switch part {
        case .head(var head):
            headerTimer.disarm()  // the task stays scheduled and finds nothing (no reschedule per request)
            tap.headDecoded()
            flushHeld(context: context)
            if peerState != .allowed {
                refuse(.peerNotAllowed, headOnly: head.method == .HEAD, head: head)
                return
            }
            if let refusal = FramingValidator.check(head, limits: limits, access: access) {
                refuse(refusal, headOnly: head.method == .HEAD, head: head)
                return
            }
            if isUnixSocket && !head.headers.contains(name: "host") {
                // Over a unix socket (no browser can reach it, so no DNS rebinding) a missing Host means the
                // socket itself: clients such as AsyncHTTPClient's http+unix send none.
                head.headers.add(name: "Host", value: "localhost")
                part = .head(head)
            }
            if let refusal = access.check(head) {
                refuse(.access(refusal), headOnly: head.method == .HEAD, head: head)
                return
            }
            phase = .readingBody
            bodyBytes = 0
            currentIsHEAD = head.method == .HEAD
            currentHead = head
            held.append(part)
        case .body(let body):
            bodyBytes += body.readableBytes
            if let maxBody = limits.maxBodyBytes, bodyBytes > maxBody {
                refuse(.bodyTooLarge(maxBody), headOnly: currentIsHEAD, head: currentHead)
                return
            }
            forward(part, context: context)
        case .end:
            phase = .betweenRequests
            forward(part, context: context)
            connectionBecameIdleIfDone(context: context)  // its response may have ended already (an early answer)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushHeld(context: context)
        if phase == .betweenRequests {
            // The next read starts the next request line (exact unless a client pipelines a partial head;
            // the checks on the decoded head back this up).
            tap.expectHead()
        }
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        flushHeld(context: context)
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if phase == .closing { return }
        if let parserError = error as? HTTPParserError {
            refuse(.parserError(parserError, inRequestLine: tap.inRequestLine, limits: limits))
            return
        }
        context.fireErrorCaught(error)
    }

    private func forward(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        if held.isEmpty {
            fire(part, context: context)
        } else {
            held.append(part)
        }
    }

    private func fire(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head):
            inFlight += 1
            forwardedBodyOpen = true
            pendingOrigins.append(head.headers.first(name: "origin"))
        case .body:
            break
        case .end:
            forwardedBodyOpen = false
        }
        context.fireChannelRead(wrapInboundOut(part))
    }

    private func flushHeld(context: ChannelHandlerContext) {
        guard !held.isEmpty else { return }
        let parts = held
        held.removeAll(keepingCapacity: true)
        for part in parts { fire(part, context: context) }
    }

    // MARK: - Refusing

    /// Refuses the request being received (or, from the tap, the one whose head is arriving).
    func refuse(_ refusal: FramingRefusal, headOnly: Bool = false, head: HTTPRequestHead? = nil) {
        guard phase != .closing, let context else { return }
        onRefusal?(refusal, head, context.channel.remoteAddress)
        phase = .closing
        tap.startDropping()
        headerTimer.cancel()
        if case .end? = held.last {
            // A complete earlier request is held: it goes on; the refusal follows its response.
            flushHeld(context: context)
        } else {
            // Parts of the refused request itself: never forwarded.
            held.removeAll()
        }
        if forwardedBodyOpen {
            // The refused request is already on the async path with its body streaming: fail the body, which
            // aborts the upstream request; answer it here unless its response has begun.
            let canAnswer = inFlight == 1 && !responseStarted
            if canAnswer {
                suppressDownstream = true
                writeRefusal(refusal, headOnly: headOnly, context: context)
            }
            context.fireErrorCaught(refusal)
            if !canAnswer { context.close(promise: nil) }
        } else if inFlight > 0 {
            pendingRefusal = (refusal, headOnly)
        } else {
            writeRefusal(refusal, headOnly: headOnly, context: context)
        }
    }

    private func writeRefusal(_ refusal: FramingRefusal, headOnly: Bool, context: ChannelHandlerContext) {
        lingering = true
        let (head, body) = refusal.error.nioParts(version: .http1_1, extra: [("Connection", "close")])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if !headOnly {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            self.beginLingeringClose(context: context)
        }
    }

    /// Half-closes (the client reads EOF after the answer), drops input until the client closes its side or
    /// `lingerTimeout` passes, then closes.
    private func beginLingeringClose(context: ChannelHandlerContext) {
        lingering = true
        phase = .closing
        tap.startDropping()
        guard context.channel.isActive, lingerTimer == nil else { return }
        if tap.inputClosed {
            context.close(promise: nil)
            return
        }
        context.close(mode: .output).assumeIsolated().whenFailure { _ in context.close(promise: nil) }
        lingerTimer = context.eventLoop.assumeIsolated().scheduleTask(in: limits.lingerTimeout) {
            self.lingerTimer = nil
            context.close(promise: nil)
        }
    }

    // MARK: - Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if suppressDownstream {
            promise?.fail(ChannelError.outputClosed)
            return
        }
        let part = unwrapOutboundIn(data)
        switch part {
        case .head(var head) where head.status.code >= 200:
            responseStarted = true
            let origin = pendingOrigins.isEmpty ? nil : pendingOrigins.removeFirst()
            Self.applyCORS(&head.headers, origin: origin)
            context.write(wrapOutboundOut(.head(head)), promise: promise)
            return
        case .head:
            break
        case .body:
            break
        case .end:
            inFlight = max(0, inFlight - 1)
            responseStarted = false
        }
        context.write(data, promise: promise)
        if case .end = part { responseEnded(context: context) }
    }

    /// Writes a complete response that is already HTTP/1.1 bytes (a cache hit's stored head, its own lines, its body) for
    /// the oldest request passed on, straight to the socket through the tap (below `HTTPResponseEncoder`).
    ///
    /// The bookkeeping is that of a `.head` then `.end` through ``write(context:data:promise:)``. Callers send
    /// only responses that need no CORS fields (requests without `Origin`).
    func writeEncodedResponse(_ head: ByteBuffer, _ lines: ByteBuffer, body: ByteBuffer?) {
        guard !suppressDownstream, context != nil else { return }
        if !pendingOrigins.isEmpty { pendingOrigins.removeFirst() }
        inFlight = max(0, inFlight - 1)
        responseStarted = false
        tap.writeAndFlush(head, lines, body)
        if let context { responseEnded(context: context) }
    }

    /// A response ended: with none left in flight, a refusal held back for it goes out, else the idle clock starts.
    private func responseEnded(context: ChannelHandlerContext) {
        guard inFlight == 0 else { return }
        if let pending = pendingRefusal {
            pendingRefusal = nil
            writeRefusal(pending.refusal, headOnly: pending.headOnly, context: context)
        } else {
            connectionBecameIdleIfDone(context: context)
        }
    }

    /// Never `Access-Control-Allow-Origin: *`, whatever the upstream says: a request with an `Origin` gets this far
    /// only when that origin is on the allow-list, and gets exactly it back (with `Vary: Origin`).
    static func applyCORS(_ headers: inout HTTPHeaders, origin: String?) {
        headers.remove(name: "access-control-allow-origin")
        if let origin {
            headers.add(name: "Access-Control-Allow-Origin", value: origin)
            headers.add(name: "Vary", value: "Origin")
        }
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if lingering && mode == .all && context.channel.isActive {
            // The async path is done with a connection the guard is draining: it closes when the drain ends.
            context.channel.closeFuture.cascade(to: promise)
            return
        }
        context.close(mode: mode, promise: promise)
    }
}
