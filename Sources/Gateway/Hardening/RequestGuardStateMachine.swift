import NIOCore
import NIOHTTP1

/// The framing, limit and timeout decisions of one client connection, without I/O: events in, actions out.
///
/// Time is a parameter (`now`); the machine keeps one deadline (header, idle or linger) that its handler turns
/// into one timer. Refusals are decided here and answered by the gateway handler, in order.
struct RequestGuardStateMachine {
    /// Where the connection is between requests.
    enum Phase: Equatable {
        /// Waiting for (the rest of) a request head; the header deadline runs.
        case awaitingHead
        /// A request ended and nothing of the next arrived yet; the idle deadline runs once no answer is pending.
        case betweenRequests
        /// A head was accepted; its body is arriving.
        case readingBody
        /// Refused or closing: nothing more is passed on.
        case closing
    }

    /// What the handler must do after an event.
    enum Action: Equatable {
        /// Nothing beyond passing the part on (for part events) or nothing at all.
        case none
        /// Pass the part on.
        case forward
        /// Stop passing input on and report this refusal (the head, when decoded) to the gateway handler.
        case refuse(FramingRefusal)
        /// Close the connection without an answer.
        case close
    }

    /// The uid check of a unix-socket peer.
    enum PeerState: Equatable { case unchecked, allowed, refused }

    let limits: RequestLimits
    private(set) var phase = Phase.awaitingHead
    /// Requests passed on whose answer has not ended.
    private(set) var answersPending = 0
    private(set) var peer = PeerState.unchecked
    /// Bytes of the current request body so far.
    private(set) var bodyBytes = 0
    /// The earliest time something must happen (see ``timerFired(now:headBytesSeen:)``).
    private(set) var deadline: NIODeadline?
    /// The deadline is the linger bound of a closing connection.
    private var lingering = false

    init(limits: RequestLimits) {
        self.limits = limits
    }

    // MARK: - Connection

    /// The connection opened: the first head must arrive within the header timeout.
    mutating func connectionOpened(now: NIODeadline, peerCheckNeeded: Bool) {
        peer = peerCheckNeeded ? .unchecked : .allowed
        deadline = now + limits.headerTimeout
    }

    /// The unix-socket peer's uid was checked.
    mutating func peerChecked(allowed: Bool) {
        peer = allowed ? .allowed : .refused
    }

    // MARK: - Input

    /// The first bytes of a new request arrived (after a finished request): the header deadline starts.
    mutating func headStarted(now: NIODeadline) {
        guard phase == .betweenRequests else { return }
        phase = .awaitingHead
        deadline = now + limits.headerTimeout
    }

    /// A head was decoded. `.forward` (possibly with `Host: localhost` added for a unix socket) or a refusal.
    mutating func headReceived(_ head: inout HTTPRequestHead, isUnixSocket: Bool, access: AccessPolicy) -> Action {
        guard phase != .closing else { return .none }
        if phase == .awaitingHead { deadline = nil }
        if peer != .allowed { return refuse(.peerNotAllowed) }
        if let refusal = FramingValidator.check(head, limits: limits, access: access) { return refuse(refusal) }
        if isUnixSocket && !head.headers.contains(name: "host") {
            // Over a unix socket (no browser reaches it, so no DNS rebinding) a missing Host means the socket itself.
            head.headers.add(name: "Host", value: "localhost")
        }
        if let refusal = access.check(head) { return refuse(.access(refusal)) }
        phase = .readingBody
        bodyBytes = 0
        answersPending += 1
        return .forward
    }

    /// Body bytes of the accepted request arrived.
    mutating func bodyReceived(_ count: Int) -> Action {
        guard phase == .readingBody else { return .none }
        bodyBytes += count
        if let maxBody = limits.maxBodyBytes, bodyBytes > maxBody { return refuse(.bodyTooLarge(maxBody)) }
        return .forward
    }

    /// The accepted request ended.
    mutating func endReceived(now: NIODeadline) -> Action {
        guard phase == .readingBody else { return .none }
        phase = .betweenRequests
        armIdleIfDone(now: now)
        return .forward
    }

    /// NIO's parser failed.
    mutating func parseError(_ error: HTTPParserError, inRequestLine: Bool) -> Action {
        guard phase != .closing else { return .none }
        return refuse(.parserError(error, inRequestLine: inRequestLine, limits: limits))
    }

    /// The raw-byte tap found a request line over the limit.
    mutating func requestLineTooLong() -> Action {
        guard phase != .closing else { return .none }
        return refuse(.requestLineTooLong(limits.maxRequestLine))
    }

    // MARK: - Output

    /// An answer ended: with none pending and the connection between requests, the idle deadline starts.
    mutating func answerEnded(now: NIODeadline) {
        answersPending = max(0, answersPending - 1)
        armIdleIfDone(now: now)
    }

    /// The gateway handler wrote the connection's last answer: drain the client's input until it closes or the
    /// linger bound passes.
    mutating func lingeringCloseStarted(now: NIODeadline) {
        phase = .closing
        lingering = true
        deadline = now + limits.lingerTimeout
    }

    // MARK: - Time

    /// The deadline may have passed. `headBytesSeen`: some bytes of the awaited head arrived.
    mutating func timerFired(now: NIODeadline, headBytesSeen: Bool) -> Action {
        guard let deadline, deadline <= now else { return .none }
        self.deadline = nil
        if lingering { return .close }
        switch phase {
        case .awaitingHead:
            if answersPending > 0 {
                // A pipelined head stalled behind an answer still being produced: judge it once that ends.
                self.deadline = now + limits.headerTimeout
                return .none
            }
            if !headBytesSeen {
                // Connected and sent nothing: there is no one to answer.
                phase = .closing
                return .close
            }
            return refuse(.headerTimeout)
        case .betweenRequests:
            guard answersPending == 0 else { return .none }
            phase = .closing
            return .close
        case .readingBody, .closing:
            return .none
        }
    }

    // MARK: - Helpers

    private mutating func armIdleIfDone(now: NIODeadline) {
        guard phase == .betweenRequests, answersPending == 0 else { return }
        deadline = limits.idleTimeout.map { now + $0 }
    }

    private mutating func refuse(_ refusal: FramingRefusal) -> Action {
        phase = .closing
        deadline = nil
        return .refuse(refusal)
    }
}
