import NIOCore
import NIOHTTP1

/// One request's exchange with the upstream, without I/O: events in, actions out.
///
/// It decides when the request head and body go out (held until a connection is ready, then streamed with
/// backpressure both ways), when an answer is forwarded, whether a failed attempt is retried on a new connection,
/// and whether the connection can be reused. Time enters only through the read-timeout events its runner sends.
///
/// Retries: once, on a new connection, only when the upstream cannot have acted on the request — the connection
/// was refused, or a reused keep-alive connection closed before any byte of the answer while the method is
/// idempotent and no byte of a body has been written.
struct UpstreamExchangeStateMachine {
    /// How much of the request went out on the connection (before one exists, body parts are held and the client
    /// is paused once `holdLimit` bytes are held).
    enum RequestState: Equatable {
        /// The head is written; body parts are written as they come.
        case streaming(bodyWritten: Bool)
        /// The whole request is written.
        case sent
    }

    enum ResponseState: Equatable {
        case awaitingHead
        case streaming
        case ended
    }

    enum State: Equatable {
        /// Waiting for a pooled or new connection (attempt 1 or 2).
        case acquiring(attempt: Int)
        case active(attempt: Int, reused: Bool, request: RequestState, response: ResponseState)
        case finished
    }

    /// What the runner must do, in order.
    enum Action: Equatable {
        /// Ask the pool for a connection (`fresh`: a new one, never a pooled one).
        case acquireConnection(fresh: Bool)
        /// Write the request head, the held body parts and, when `end`, the end; then flush.
        case sendHeld([ByteBuffer], end: Bool)
        /// Write one body part (and flush).
        case sendBody(ByteBuffer)
        /// Write the request end (and flush).
        case sendEnd
        /// Stop reading the client / read it again (upload backpressure).
        case pauseClient
        case resumeClient
        /// Stop reading the upstream / read it again (download backpressure).
        case pauseUpstream
        case resumeUpstream
        /// (Re)start the read timeout; stop it.
        case armReadTimeout
        case disarmReadTimeout
        /// Forward the answer's head, a body part, its end.
        case forwardHead(HTTPResponseHead)
        case forwardBody(ByteBuffer)
        case forwardEnd(requestComplete: Bool)
        /// Give the connection back to the pool, or close it.
        case releaseConnection
        case closeConnection
        /// Retry on a new connection (`reason` labels `pingate_upstream_retries_total`), unless the budget refuses:
        /// then ``retryRefused(_:)`` with `failure`.
        case retry(reason: String, failure: UpstreamFailure)
        /// Fail the exchange: no answer has been forwarded, the client gets the failure's JSON answer.
        case fail(UpstreamFailure)
        /// Abort: the answer's head was forwarded, so the client connection must close.
        case abort(UpstreamFailure)
    }

    /// The request method may be retried (RFC 9110 §9.2.2 idempotent methods pingate forwards).
    let idempotent: Bool
    /// Body bytes held before a connection exists before the client is paused.
    let holdLimit: Int
    private(set) var state: State = .acquiring(attempt: 1)
    /// Body parts waiting for the connection (kept for a retry until one is written).
    private(set) var held: [ByteBuffer] = []
    private var clientWritable = true
    private var upstreamWritable = true
    private var clientPaused = false

    init(method: HTTPMethod, requestHasBody: Bool, holdLimit: Int = 256 * 1024) {
        switch method {
        case .GET, .HEAD, .PUT, .DELETE, .OPTIONS: self.idempotent = true
        default: self.idempotent = false
        }
        self.holdLimit = holdLimit
        self.requestHasBody = requestHasBody
        self.requestEnded = !requestHasBody
    }

    /// The request carries a body (a request whose body went out is never retried).
    let requestHasBody: Bool

    /// The client's request has ended (or never had a body).
    private(set) var requestEnded: Bool

    // MARK: - Connection

    mutating func start() -> [Action] {
        [.acquireConnection(fresh: false)]
    }

    mutating func connectionReady(reused: Bool) -> [Action] {
        guard case .acquiring(let attempt) = state else { return [.releaseConnection] }
        upstreamWritable = true
        let bytes = held.reduce(0) { $0 + $1.readableBytes }
        var actions: [Action] = [.sendHeld(held, end: requestEnded)]
        if requestEnded {
            state = .active(attempt: attempt, reused: reused, request: .sent, response: .awaitingHead)
            actions.append(.armReadTimeout)
        } else {
            state = .active(attempt: attempt, reused: reused, request: .streaming(bodyWritten: bytes > 0), response: .awaitingHead)
            if clientPaused {
                clientPaused = false
                actions.append(.resumeClient)
            }
        }
        held.removeAll()
        return actions
    }

    mutating func connectionFailed(_ failure: UpstreamFailure) -> [Action] {
        guard case .acquiring(let attempt) = state else { return [] }
        if attempt == 1, failure.kind == .connectRefused {
            state = .acquiring(attempt: 2)
            return [.retry(reason: "connect_refused", failure: failure)]
        }
        state = .finished
        return [.fail(failure)]
    }

    /// The retry was not made (its budget refused it): the failure that caused it is answered.
    mutating func retryRefused(_ failure: UpstreamFailure) -> [Action] {
        guard case .acquiring = state else { return [] }
        state = .finished
        return [.fail(failure)]
    }

    // MARK: - Client events

    mutating func requestBodyReceived(_ buffer: ByteBuffer) -> [Action] {
        switch state {
        case .acquiring:
            held.append(buffer)
            let bytes = held.reduce(0) { $0 + $1.readableBytes }
            if bytes >= holdLimit && !clientPaused {
                clientPaused = true
                return [.pauseClient]
            }
            return []
        case .active(let attempt, let reused, .streaming, let response):
            state = .active(attempt: attempt, reused: reused, request: .streaming(bodyWritten: true), response: response)
            var actions: [Action] = [.sendBody(buffer)]
            if !upstreamWritable && !clientPaused {
                clientPaused = true
                actions.append(.pauseClient)
            }
            return actions
        default:
            return []  // the exchange is over or the request was already sent: the part is dropped
        }
    }

    mutating func requestEndReceived() -> [Action] {
        requestEnded = true
        switch state {
        case .acquiring:
            return []
        case .active(let attempt, let reused, .streaming, let response):
            state = .active(attempt: attempt, reused: reused, request: .sent, response: response)
            // Nothing more is read for this request: a pause for its upload must not outlive it.
            let resume: [Action] = clientPaused ? [.resumeClient] : []
            clientPaused = false
            if response == .ended {
                // The answer ended before the upload did: the connection carried a whole exchange after all.
                state = .finished
                return [.sendEnd, .releaseConnection] + resume
            }
            return (response == .awaitingHead ? [.sendEnd, .armReadTimeout] : [.sendEnd]) + resume
        default:
            return []
        }
    }

    /// The client connection went away: the upstream exchange is abandoned with its connection.
    mutating func clientClosed() -> [Action] {
        switch state {
        case .acquiring:
            state = .finished
            return []
        case .active:
            state = .finished
            return [.disarmReadTimeout, .closeConnection]
        case .finished:
            return []
        }
    }

    mutating func clientWritabilityChanged(_ writable: Bool) -> [Action] {
        clientWritable = writable
        guard case .active(_, _, _, .streaming) = state else { return [] }
        // While the client is not reading, the upstream is not read either: no read timeout runs.
        return writable ? [.resumeUpstream, .armReadTimeout] : [.pauseUpstream, .disarmReadTimeout]
    }

    // MARK: - Upstream events

    mutating func upstreamWritabilityChanged(_ writable: Bool) -> [Action] {
        upstreamWritable = writable
        if writable && clientPaused {
            clientPaused = false
            return [.resumeClient]
        }
        guard case .active(_, _, .streaming, _) = state else { return [] }
        if !writable && !clientPaused {
            clientPaused = true
            return [.pauseClient]
        }
        return []
    }

    mutating func responseHeadReceived(_ head: HTTPResponseHead) -> [Action] {
        guard case .active(let attempt, let reused, let request, .awaitingHead) = state else { return [] }
        state = .active(attempt: attempt, reused: reused, request: request, response: .streaming)
        var actions: [Action] = [.forwardHead(head)]
        if !clientWritable { actions += [.pauseUpstream, .disarmReadTimeout] } else { actions.append(.armReadTimeout) }
        return actions
    }

    mutating func responseBodyReceived(_ buffer: ByteBuffer) -> [Action] {
        guard case .active(_, _, _, .streaming) = state else { return [] }
        return [.forwardBody(buffer), .armReadTimeout]
    }

    /// The answer ended. The connection is reusable only if the whole request went out too (and the caller checks
    /// the answer's keep-alive).
    mutating func responseEndReceived() -> [Action] {
        guard case .active(let attempt, let reused, let request, .streaming) = state else { return [] }
        var actions: [Action] = [.disarmReadTimeout]
        if request == .sent {
            state = .finished
            actions += [.forwardEnd(requestComplete: true), .releaseConnection]
        } else {
            // An early answer (for example a refusal mid-upload): the rest of the body is not wanted.
            state = .active(attempt: attempt, reused: reused, request: request, response: .ended)
            actions += [.forwardEnd(requestComplete: false), .closeConnection]
            state = .finished
        }
        if clientPaused {
            clientPaused = false
            actions.append(.resumeClient)
        }
        return actions
    }

    /// The connection failed or closed while this exchange used it.
    mutating func upstreamFailed(_ failure: UpstreamFailure) -> [Action] {
        guard case .active(let attempt, let reused, let request, let response) = state else { return [] }
        var actions: [Action] = [.disarmReadTimeout, .closeConnection]
        let nothingOfBodyWritten: Bool
        switch request {
        case .streaming(let bodyWritten): nothingOfBodyWritten = !bodyWritten
        case .sent: nothingOfBodyWritten = !requestHasBody
        }
        if response == .awaitingHead, attempt == 1, reused, idempotent, nothingOfBodyWritten,
           failure.kind == .connectionClosed {
            // A kept-alive connection the upstream had closed while idle: one fresh attempt.
            state = .acquiring(attempt: 2)
            actions.append(.retry(reason: "stale_connection", failure: failure))
            return actions
        }
        state = .finished
        if clientPaused {
            clientPaused = false
            actions.append(.resumeClient)
        }
        actions.append(response == .awaitingHead ? .fail(failure) : .abort(failure))
        return actions
    }

    mutating func readTimedOut() -> [Action] {
        guard case .active(_, _, _, let response) = state, response != .ended else { return [] }
        state = .finished
        let failure = UpstreamFailure(.readTimeout, "no answer within the read timeout")
        return [.closeConnection, response == .awaitingHead ? .fail(failure) : .abort(failure)]
    }
}
