import NIOCore
import NIOHTTP1

/// What an ``UpstreamExchange`` needs from the client side (the gateway handler, same event loop).
protocol UpstreamExchangeDelegate: AnyObject {
    /// The answer's head arrived (informational answers never reach here).
    func exchange(receivedHead head: HTTPResponseHead)
    func exchange(receivedBody buffer: ByteBuffer)
    /// The answer ended; `requestComplete` is false when it came before the whole upload went out.
    func exchangeEnded(requestComplete: Bool)
    /// The upstream's read burst ended: time to flush the client.
    func exchangeFlush()
    /// No answer was forwarded: the client gets the failure's JSON answer.
    func exchange(failed failure: UpstreamFailure)
    /// The answer was cut off after its head: the client connection must close.
    func exchange(aborted failure: UpstreamFailure)
    /// Stop or resume reading the client (upload backpressure).
    func exchange(pauseClientReads paused: Bool)
    /// A retry is about to be made; false refuses it (the budget is spent), and the failure is answered instead.
    func exchange(mayRetry reason: String) -> Bool
    /// The request head was written to a connection (the upstream's time starts).
    func exchangeSent()
}

/// Runs one ``UpstreamExchangeStateMachine``: acquires a connection from the pool, writes the request, relays the
/// answer to its delegate, and executes the machine's actions. Lives on the client connection's event loop, as do
/// the upstream connections it uses.
final class UpstreamExchange: UpstreamConnectionDelegate {
    private var machine: UpstreamExchangeStateMachine
    private let pool: UpstreamConnectionPool
    private let endpoint: UpstreamEndpoint
    private let head: HTTPRequestHead
    private let eventLoop: any EventLoop
    private let readTimeout: TimeAmount
    private unowned let delegate: any UpstreamExchangeDelegate
    private var lease: UpstreamConnectionPool.Lease?
    private var keepAlive = true
    /// The pool lease of the attempt in progress (a late lease of an abandoned attempt is given back).
    private var attempt = 0
    private lazy var readTimer = DeadlineTimer(on: eventLoop) { [weak self] in self?.run(self?.machine.readTimedOut() ?? []) }

    /// - Parameters:
    ///   - head: the request as it goes upstream (credentials injected, hop-by-hop fields removed).
    ///   - hasBody: the client's request carries a body that will arrive through ``clientBody(_:)``.
    init(
        head: HTTPRequestHead, hasBody: Bool, endpoint: UpstreamEndpoint, pool: UpstreamConnectionPool,
        readTimeout: TimeAmount, eventLoop: any EventLoop, delegate: any UpstreamExchangeDelegate
    ) {
        self.machine = UpstreamExchangeStateMachine(method: head.method, requestHasBody: hasBody)
        self.head = head
        self.endpoint = endpoint
        self.pool = pool
        self.readTimeout = readTimeout
        self.eventLoop = eventLoop
        self.delegate = delegate
    }

    func start() { run(machine.start()) }

    // MARK: - Client events

    func clientBody(_ buffer: ByteBuffer) { run(machine.requestBodyReceived(buffer)) }
    func clientEnd() { run(machine.requestEndReceived()) }
    func clientClosed() { run(machine.clientClosed()) }
    func clientWritabilityChanged(_ writable: Bool) { run(machine.clientWritabilityChanged(writable)) }

    // MARK: - Connection events

    func upstreamRead(_ part: UpstreamResponsePart) {
        switch part {
        case .head(let head):
            keepAlive = head.isKeepAlive
            run(machine.responseHeadReceived(head))
        case .body(let buffer):
            run(machine.responseBodyReceived(buffer))
        case .end:
            run(machine.responseEndReceived())
        }
    }

    func upstreamReadComplete() { delegate.exchangeFlush() }
    func upstreamWritabilityChanged(_ writable: Bool) { run(machine.upstreamWritabilityChanged(writable)) }
    func upstreamFailed(_ failure: UpstreamFailure) { run(machine.upstreamFailed(failure)) }

    // MARK: - Actions

    private func run(_ actions: [UpstreamExchangeStateMachine.Action]) {
        for action in actions { perform(action) }
    }

    private func perform(_ action: UpstreamExchangeStateMachine.Action) {
        switch action {
        case .acquireConnection(let fresh):
            acquire(fresh: fresh)
        case .sendHeld(let parts, let end):
            guard let connection = lease?.connection else { return }
            delegate.exchangeSent()
            connection.write(.head(head))
            for part in parts { connection.write(.body(.byteBuffer(part))) }
            if end { connection.write(.end(nil)) }
            connection.flush()
        case .sendBody(let buffer):
            guard let connection = lease?.connection else { return }
            connection.write(.body(.byteBuffer(buffer)))
            connection.flush()
        case .sendEnd:
            guard let connection = lease?.connection else { return }
            connection.write(.end(nil))
            connection.flush()
        case .pauseClient:
            delegate.exchange(pauseClientReads: true)
        case .resumeClient:
            delegate.exchange(pauseClientReads: false)
        case .pauseUpstream:
            lease?.connection.handler.setReadsPaused(true)
        case .resumeUpstream:
            lease?.connection.handler.setReadsPaused(false)
        case .armReadTimeout:
            readTimer.arm(in: readTimeout)
        case .disarmReadTimeout:
            readTimer.disarm()
        case .forwardHead(let head):
            delegate.exchange(receivedHead: head)
        case .forwardBody(let buffer):
            delegate.exchange(receivedBody: buffer)
        case .forwardEnd(let requestComplete):
            readTimer.cancel()
            delegate.exchangeEnded(requestComplete: requestComplete)
        case .releaseConnection:
            guard let lease else { return }
            self.lease = nil
            pool.release(lease.connection, reusable: keepAlive)
        case .closeConnection:
            guard let lease else { return }
            self.lease = nil
            lease.connection.handler.delegate = nil
            lease.connection.channel.close(promise: nil)
        case .retry(let reason, let failure):
            if delegate.exchange(mayRetry: reason) {
                acquire(fresh: true)
            } else {
                run(machine.retryRefused(failure))
            }
        case .fail(let failure):
            readTimer.cancel()
            delegate.exchange(failed: failure)
        case .abort(let failure):
            readTimer.cancel()
            delegate.exchange(aborted: failure)
        }
    }

    private func acquire(fresh: Bool) {
        attempt += 1
        let attempt = self.attempt
        pool.acquire(endpoint, on: eventLoop, fresh: fresh, waitUntil: eventLoop.now + readTimeout)
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let lease):
                    guard attempt == self.attempt, case .acquiring = self.machine.state else {
                        // The exchange ended (or moved on) while the connection was coming: keep it for another.
                        self.pool.release(lease.connection, reusable: true)
                        return
                    }
                    self.lease = lease
                    self.keepAlive = true
                    lease.connection.handler.delegate = self
                    self.run(self.machine.connectionReady(reused: lease.reused))
                case .failure(let error):
                    guard attempt == self.attempt else { return }
                    self.run(self.machine.connectionFailed(UpstreamFailure.classify(error)))
                }
            }
    }
}

@available(*, unavailable)
extension UpstreamExchange: Sendable {}
