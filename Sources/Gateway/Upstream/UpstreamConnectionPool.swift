import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// The one pool of upstream connections: keep-alive connections per event loop (an exchange never leaves its
/// client connection's thread), idle expiry, and a cap on the total across loops and upstreams.
///
/// Beyond the cap, requests wait in order and never open extra connections: a freed slot goes to the oldest
/// waiter — with the connection itself when the waiter is on the same loop and wants the same upstream; otherwise
/// the connection is closed and the waiter opens its own on its loop. A waiter at the cap also closes the oldest
/// idle connection anywhere, to free a slot. Pooled connections idle for longer than `idleTimeout` are closed
/// instead of reused (the upstream may be closing them at that very moment).
final class UpstreamConnectionPool: Sendable {
    /// A connection handed to an exchange.
    struct Lease {
        let connection: UpstreamConnection
        /// The connection carried an earlier exchange (the upstream may have closed it meanwhile).
        let reused: Bool
    }

    let maxConnections: Int
    let connectTimeout: TimeAmount
    let idleTimeout: TimeAmount
    /// TLS set-ups of the https upstreams, by origin.
    private let tls: [String: UpstreamTLS]
    /// Told of every new connection that became ready (a metric).
    private let onConnectionOpened: @Sendable () -> Void
    private let state = Mutex(State())

    private struct Waiter {
        let id: UInt64
        let loop: any EventLoop
        let endpoint: UpstreamEndpoint
        let fresh: Bool
        let promise: EventLoopPromise<Lease>
    }

    private struct IdleKey: Hashable {
        let loop: ObjectIdentifier
        let origin: String
    }

    private struct State {
        /// Connections open or being opened; each holds one slot until it closes.
        var open = 0
        var idle: [IdleKey: [UpstreamConnection]] = [:]
        var waiters: [Waiter] = []
        var nextID: UInt64 = 0
        var closed = false
    }

    /// - Parameter tls: the TLS set-up of each https upstream, keyed by ``UpstreamEndpoint/origin``.
    init(
        maxConnections: Int, connectTimeout: TimeAmount, idleTimeout: TimeAmount, tls: [String: UpstreamTLS],
        onConnectionOpened: @escaping @Sendable () -> Void = {}
    ) {
        self.onConnectionOpened = onConnectionOpened
        self.maxConnections = max(1, maxConnections)
        self.connectTimeout = connectTimeout
        self.idleTimeout = idleTimeout
        self.tls = tls
    }

    /// Connections open or being opened now.
    var openConnections: Int { state.withLock { $0.open } }

    // MARK: - Acquiring

    /// A connection to `endpoint` on `loop`: a pooled one (unless `fresh`), a new one while under the cap, or the
    /// next slot freed. Fails with an ``UpstreamFailure`` (the connect's, or `poolTimeout` at `waitUntil`).
    func acquire(_ endpoint: UpstreamEndpoint, on loop: any EventLoop, fresh: Bool, waitUntil: NIODeadline) -> EventLoopFuture<Lease> {
        enum Grant { case reuse(UpstreamConnection), connect, wait(UInt64), shutDown }
        let key = IdleKey(loop: ObjectIdentifier(loop), origin: endpoint.origin)
        let now = NIODeadline.now()
        let promise = loop.makePromise(of: Lease.self)
        var toClose: [UpstreamConnection] = []
        let grant = state.withLock { state -> Grant in
            guard !state.closed else { return .shutDown }
            if !fresh {
                while let connection = state.idle[key]?.popLast() {
                    if connection.idleSince + idleTimeout > now, connection.channel.isActive { return .reuse(connection) }
                    toClose.append(connection)  // its close frees its slot
                }
            }
            if state.open < maxConnections {
                state.open += 1
                return .connect
            }
            if toClose.isEmpty, let oldest = Self.removeOldestIdle(from: &state.idle) { toClose.append(oldest) }
            state.nextID &+= 1
            state.waiters.append(Waiter(id: state.nextID, loop: loop, endpoint: endpoint, fresh: fresh, promise: promise))
            return .wait(state.nextID)
        }
        for connection in toClose { connection.channel.close(promise: nil) }
        switch grant {
        case .reuse(let connection):
            promise.succeed(Lease(connection: connection, reused: true))
        case .connect:
            connect(endpoint, on: loop, promise: promise)
        case .wait(let id):
            loop.scheduleTask(deadline: waitUntil) { [self] in
                let timedOut = state.withLock { state -> Bool in
                    guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return false }
                    state.waiters.remove(at: index)
                    return true
                }
                if timedOut { promise.fail(UpstreamFailure(.poolTimeout, "all \(maxConnections) upstream connections stayed busy")) }
            }
        case .shutDown:
            promise.fail(UpstreamFailure(.connectionClosed, "pingate is shutting down"))
        }
        return promise.futureResult
    }

    private static func removeOldestIdle(from idle: inout [IdleKey: [UpstreamConnection]]) -> UpstreamConnection? {
        var oldest: (key: IdleKey, since: NIODeadline)?
        for (key, list) in idle {
            // Each list is ordered oldest first (connections are appended as they come back).
            if let first = list.first, oldest.map({ first.idleSince < $0.since }) ?? true { oldest = (key, first.idleSince) }
        }
        guard let oldest else { return nil }
        return idle[oldest.key]?.removeFirst()
    }

    /// Opens a new connection whose slot is already counted; its close, or a failed open, frees the slot once.
    private func connect(_ endpoint: UpstreamEndpoint, on loop: any EventLoop, promise: EventLoopPromise<Lease>) {
        let tls = endpoint.scheme == "https" ? self.tls[endpoint.origin] : nil
        let id = state.withLock { state -> UInt64 in
            state.nextID &+= 1
            return state.nextID
        }
        let slot = SlotRelease { [self] in slotFreed(connectionID: id) }
        let ready = loop.makePromise(of: Void.self)
        let diagnosis = tls == nil ? nil : CertificateDiagnosis()
        let handler = UpstreamConnectionHandler(ready: ready, diagnosis: diagnosis, host: endpoint.host)
        handler.onClose = { slot.release() }
        let connectTimeout = self.connectTimeout
        let connected = ClientBootstrap(group: loop)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls, let diagnosis {
                        try pipeline.addHandler(try tls.makeHandler(diagnosis: diagnosis))
                    }
                    try pipeline.addHandlers([HTTPRequestEncoder(), ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .dropBytes))])
                    try pipeline.addHandler(handler)
                }
            }
            .connect(host: endpoint.host, port: endpoint.port)
        connected.whenComplete { result in
            switch result {
            case .failure(let error):
                slot.release()
                let failure = UpstreamFailure.classify(error)
                ready.fail(failure)
                promise.fail(failure)
            case .success(let channel):
                // The TLS handshake must finish within the connect timeout too.
                let timeout = loop.scheduleTask(in: connectTimeout) {
                    ready.fail(UpstreamFailure(.connectTimeout, "TLS handshake did not complete in time"))
                    channel.close(promise: nil)
                }
                ready.futureResult.whenComplete { result in
                    timeout.cancel()
                    switch result {
                    case .success:
                        self.onConnectionOpened()
                        let connection = UpstreamConnection(id: id, channel: channel, handler: handler, endpoint: endpoint, idleSince: .now())
                        promise.succeed(Lease(connection: connection, reused: false))
                    case .failure(let error):
                        channel.close(promise: nil)
                        promise.fail(UpstreamFailure.classify(error))
                    }
                }
            }
        }
    }

    // MARK: - Returning

    /// Gives a connection back after an exchange that allows reuse, or closes it. Call on the connection's loop.
    func release(_ connection: UpstreamConnection, reusable: Bool) {
        connection.handler.delegate = nil
        connection.handler.setReadsPaused(false)
        guard reusable, connection.channel.isActive else {
            connection.channel.close(promise: nil)
            return
        }
        connection.idleSince = .now()
        let key = IdleKey(loop: ObjectIdentifier(connection.channel.eventLoop), origin: connection.endpoint.origin)
        enum Outcome { case pooled, handOver(Waiter), close }
        let outcome = state.withLock { state -> Outcome in
            if state.closed { return .close }
            guard let first = state.waiters.first else {
                state.idle[key, default: []].append(connection)
                return .pooled
            }
            if !first.fresh, first.loop === connection.channel.eventLoop, first.endpoint == connection.endpoint {
                state.waiters.removeFirst()
                return .handOver(first)
            }
            // Closing frees the slot, which goes to the oldest waiter.
            return .close
        }
        switch outcome {
        case .pooled: break
        case .handOver(let waiter): waiter.promise.succeed(Lease(connection: connection, reused: true))
        case .close: connection.channel.close(promise: nil)
        }
    }

    /// A connection closed (or failed to open): it leaves the idle lists, and its slot goes to the oldest waiter or
    /// is freed.
    private func slotFreed(connectionID: UInt64) {
        let waiter = state.withLock { state -> Waiter? in
            for (key, list) in state.idle where list.contains(where: { $0.id == connectionID }) {
                state.idle[key] = list.filter { $0.id != connectionID }
            }
            guard !state.closed, !state.waiters.isEmpty else {
                state.open -= 1
                return nil
            }
            return state.waiters.removeFirst()
        }
        if let waiter {
            waiter.loop.execute { self.connect(waiter.endpoint, on: waiter.loop, promise: waiter.promise) }
        }
    }

    // MARK: - Housekeeping

    /// Closes pooled connections idle for longer than `idleTimeout` (run periodically).
    func closeExpired() {
        let now = NIODeadline.now()
        let expired = state.withLock { state -> [UpstreamConnection] in
            var expired: [UpstreamConnection] = []
            for (key, list) in state.idle where list.contains(where: { $0.idleSince + idleTimeout <= now }) {
                expired += list.filter { $0.idleSince + idleTimeout <= now }
                state.idle[key] = list.filter { $0.idleSince + idleTimeout > now }
            }
            return expired
        }
        for connection in expired { connection.channel.close(promise: nil) }
    }

    /// Closes every pooled connection and fails every waiter (at shutdown).
    func closeAll() {
        let (idle, waiters) = state.withLock { state -> ([UpstreamConnection], [Waiter]) in
            state.closed = true
            defer {
                state.idle.removeAll()
                state.waiters.removeAll()
            }
            return (state.idle.values.flatMap { $0 }, state.waiters)
        }
        for connection in idle { connection.channel.close(promise: nil) }
        for waiter in waiters { waiter.promise.fail(UpstreamFailure(.connectionClosed, "pingate is shutting down")) }
    }
}

/// Frees a connection's pool slot exactly once, whichever of its close or a failed open comes first.
private final class SlotRelease: Sendable {
    private let released = Atomic<Bool>(false)
    private let onRelease: @Sendable () -> Void

    init(_ onRelease: @escaping @Sendable () -> Void) {
        self.onRelease = onRelease
    }

    func release() {
        if !released.exchange(true, ordering: .acquiringAndReleasing) { onRelease() }
    }
}
