import NIOCore
import NIOHTTP1

/// The connection's gatekeeper, right after NIO's HTTP/1 decoder (so it sees the HTTP version and the raw header
/// list). It runs a ``RequestGuardStateMachine`` and refuses, before anything reaches the gateway handler:
///
/// - what ``FramingValidator`` flags (framing, sizes, targets) and every parse error NIO raises;
/// - bodies that grow past `maxBodyBytes` while streaming (the gateway handler aborts the upstream exchange);
/// - heads that do not arrive within `headerTimeout` (408), and idle keep-alive connections (closed);
/// - `Host`/`Origin` failures (``AccessPolicy``) and unix-socket peers whose uid is not allowed (client tokens are
///   judged per request by the gateway handler, ``TokenCheck``).
///
/// A refusal is reported inbound as a ``RequestRefusedEvent``; the gateway handler answers it in order and then
/// asks for a ``LingeringCloseEvent``, which this handler carries out (half-close, bounded drain, close).
///
/// A decoded head is held until the end of the read it arrived in: a body error in the same packet (an invalid
/// chunk size) refuses the request before the gateway handler has seen it, so nothing is forwarded.
final class RequestGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = ResponsePart
    typealias OutboundOut = ResponsePart

    private let access: AccessPolicy
    private var machine: RequestGuardStateMachine
    /// Parts of requests whose head arrived in the current read, held until the read completes.
    private var held: [HTTPServerRequestPart] = []
    /// The head of the request whose body is arriving (reported with a refusal of its body).
    private var currentHead: HTTPRequestHead?
    /// Some bytes of the awaited head arrived (a silent connection is closed without an answer).
    private var headBytesSeen = false
    /// The client closed its side (a lingering close then ends at once).
    private var inputClosed = false
    private var isUnixSocket = false
    private var started = false
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?
    private var context: ChannelHandlerContext?

    init(limits: RequestLimits, access: AccessPolicy) {
        self.access = access
        self.machine = RequestGuardStateMachine(limits: limits)
    }

    // MARK: - Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { start(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        inputClosed = true
        context.fireChannelInactive()
    }

    private func start(context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        if case .unixDomainSocket = context.channel.localAddress { isUnixSocket = true }
        machine.connectionOpened(now: context.eventLoop.now, peerCheckNeeded: isUnixSocket && access.allowedPeerUIDs != nil)
        scheduleTimer(context: context)
        guard isUnixSocket else { return }
        // The peer's uid decides the allow-list and is the client identity on a unix socket (read once, at connect).
        ClientIdentity.peerUID(of: context.channel).assumeIsolated().whenComplete { result in
            let uid = (try? result.get()) ?? nil
            if let allowed = self.access.allowedPeerUIDs {
                self.machine.peerChecked(allowed: uid.map { allowed.contains($0) } ?? false)
            }
            context.fireUserInboundEventTriggered(PeerCredentialsEvent(uid: uid))
        }
    }

    // MARK: - Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(var head):
            flushHeld(context: context)
            switch machine.headReceived(&head, isUnixSocket: isUnixSocket, access: access) {
            case .forward:
                currentHead = head
                held.append(.head(head))
            case let action:
                perform(action, head: head, context: context)
            }
        case .body(let buffer):
            switch machine.bodyReceived(buffer.readableBytes) {
            case .forward: forward(.body(buffer), context: context)
            case let action: perform(action, head: currentHead, context: context)
            }
        case .end(let trailers):
            switch machine.endReceived(now: context.eventLoop.now) {
            case .forward:
                forward(.end(trailers), context: context)
                scheduleTimer(context: context)
            case let action:
                perform(action, head: currentHead, context: context)
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushHeld(context: context)
        if machine.phase == .betweenRequests {
            // The next read starts the next request line (exact unless a client pipelines a partial head; the
            // checks on the decoded head back this up).
            headBytesSeen = false
            context.triggerUserOutboundEvent(TapCommand.expectHead, promise: nil)
        }
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? GuardEvent {
            switch event {
            case .headStarted:
                headBytesSeen = true
                machine.headStarted(now: context.eventLoop.now)
                scheduleTimer(context: context)
            case .requestLineTooLong:
                perform(machine.requestLineTooLong(), head: nil, context: context)
            case .inputClosedWhileDropping:
                inputClosed = true
                context.close(promise: nil)
            }
            return
        }
        if case ChannelEvent.inputClosed? = event as? ChannelEvent { inputClosed = true }
        flushHeld(context: context)
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let parserError = error as? HTTPParserError {
            perform(machine.parseError(parserError, inRequestLine: false), head: nil, context: context)
            return
        }
        context.fireErrorCaught(error)
    }

    private func forward(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        if held.isEmpty {
            context.fireChannelRead(wrapInboundOut(part))
        } else {
            held.append(part)
        }
    }

    private func flushHeld(context: ChannelHandlerContext) {
        guard !held.isEmpty else { return }
        let parts = held
        held.removeAll(keepingCapacity: true)
        for part in parts { context.fireChannelRead(wrapInboundOut(part)) }
    }

    // MARK: - Actions

    private func perform(_ action: RequestGuardStateMachine.Action, head: HTTPRequestHead?, context: ChannelHandlerContext) {
        switch action {
        case .none, .forward:
            return
        case .refuse(let refusal):
            context.triggerUserOutboundEvent(TapCommand.startDropping, promise: nil)
            if case .end? = held.last {
                // A complete earlier request is held: it goes on; the refusal follows its answer.
                flushHeld(context: context)
            } else {
                held.removeAll()
            }
            scheduleTimer(context: context)
            context.fireUserInboundEventTriggered(RequestRefusedEvent(refusal: refusal, head: head))
        case .close:
            context.triggerUserOutboundEvent(TapCommand.startDropping, promise: nil)
            context.close(promise: nil)
        }
    }

    // MARK: - Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .end, .encoded:
            context.write(data, promise: promise)
            machine.answerEnded(now: context.eventLoop.now)
            scheduleTimer(context: context)
        case .head, .body:
            context.write(data, promise: promise)
        }
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is LingeringCloseEvent else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        promise?.succeed()
        machine.lingeringCloseStarted(now: context.eventLoop.now)
        context.triggerUserOutboundEvent(TapCommand.startDropping, promise: nil)
        guard context.channel.isActive, !inputClosed else {
            context.close(promise: nil)
            return
        }
        // Half-close: the client reads EOF after the answer; its input is drained until it closes or time is up.
        context.close(mode: .output).assumeIsolated().whenFailure { _ in context.close(promise: nil) }
        scheduleTimer(context: context)
    }

    // MARK: - Timer

    /// Keeps one scheduled task at the machine's deadline. A later deadline leaves an earlier task in place: when it
    /// fires early, the machine finds nothing due and the task is moved (no reschedule per request).
    private func scheduleTimer(context: ChannelHandlerContext) {
        guard let deadline = machine.deadline else { return }
        if let current = timerDeadline, timer != nil, current <= deadline { return }
        timer?.cancel()
        timerDeadline = deadline
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [weak self] in
            self?.timerFired()
        }
    }

    private func timerFired() {
        timer = nil
        timerDeadline = nil
        guard let context else { return }
        let action = machine.timerFired(now: context.eventLoop.now, headBytesSeen: headBytesSeen)
        perform(action, head: nil, context: context)
        scheduleTimer(context: context)
    }
}

@available(*, unavailable)
extension RequestGuardHandler: Sendable {}
