import NIOConcurrencyHelpers
import NIOCore
import Synchronization

/// The server channel's view of its client connections: it caps how many are open (beyond the cap, accepting
/// pauses and further clients wait in the listen backlog), asks every open one to finish and close at a graceful
/// shutdown (``ChannelShouldQuiesceEvent``), closes whatever is left when the drain time is up, and reports when
/// all are gone.
///
/// NIOExtras' `ServerQuiescingHelper` quiesces the same way, but can neither cap accepts nor force the stragglers
/// closed, so one registry does all three.
final class ConnectionRegistry: Sendable {
    private let maxConnections: Int
    private let state = Mutex(State())
    private let allClosed: EventLoopPromise<Void>

    private struct State {
        var open: [ObjectIdentifier: any Channel] = [:]
        var server: (any Channel)?
        var acceptPaused = false
        var shuttingDown = false
    }

    init(maxConnections: Int, eventLoop: any EventLoop) {
        self.maxConnections = max(1, maxConnections)
        self.allClosed = eventLoop.makePromise()
    }

    /// Succeeds once the server channel is closed and every connection it accepted has closed (after
    /// ``quiesce()`` or ``closeAll()``).
    var allClosedFuture: EventLoopFuture<Void> { allClosed.futureResult }

    /// The handler to add to the server channel.
    func makeServerHandler() -> ServerHandler { ServerHandler(registry: self) }

    /// Connections open now.
    var openConnections: Int { state.withLock { $0.open.count } }

    fileprivate func serverBound(_ channel: any Channel) {
        state.withLock { $0.server = channel }
    }

    /// Registers an accepted connection; returns false when accepting must pause.
    fileprivate func accepted(_ child: any Channel) -> Bool {
        let key = ObjectIdentifier(child)
        let (belowCap, quiesce) = state.withLock { state -> (Bool, Bool) in
            state.open[key] = child
            if state.open.count >= maxConnections { state.acceptPaused = true }
            return (state.open.count < maxConnections, state.shuttingDown)
        }
        child.closeFuture.whenComplete { _ in self.closed(key) }
        if quiesce { child.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent()) }
        return belowCap
    }

    private func closed(_ key: ObjectIdentifier) {
        let (resume, done) = state.withLock { state -> ((any Channel)?, Bool) in
            state.open.removeValue(forKey: key)
            var resume: (any Channel)?
            if state.acceptPaused, state.open.count < maxConnections, !state.shuttingDown {
                state.acceptPaused = false
                resume = state.server
            }
            return (resume, state.shuttingDown && state.open.isEmpty)
        }
        if let server = resume {
            server.setOption(.autoRead, value: true).whenSuccess { server.read() }
        }
        if done { allClosed.succeed() }
    }

    // MARK: - Shutdown

    /// Stops accepting and asks every connection to finish its answer in progress and close.
    func quiesce() {
        let (server, children, done) = state.withLock { state -> ((any Channel)?, [any Channel], Bool) in
            state.shuttingDown = true
            return (state.server, Array(state.open.values), state.open.isEmpty)
        }
        server?.close(promise: nil)
        for child in children { child.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent()) }
        if done { allClosed.succeed() }
    }

    /// Closes the server channel and every connection now (the drain time is up).
    func closeAll() {
        let (server, children, done) = state.withLock { state -> ((any Channel)?, [any Channel], Bool) in
            state.shuttingDown = true
            return (state.server, Array(state.open.values), state.open.isEmpty)
        }
        server?.close(promise: nil)
        for child in children { child.close(promise: nil) }
        if done { allClosed.succeed() }
    }

    /// Counts accepted connections and pauses accepting at the cap.
    final class ServerHandler: ChannelInboundHandler {
        typealias InboundIn = any Channel
        typealias InboundOut = any Channel

        private let registry: ConnectionRegistry

        fileprivate init(registry: ConnectionRegistry) {
            self.registry = registry
        }

        func handlerAdded(context: ChannelHandlerContext) {
            registry.serverBound(context.channel)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let child = unwrapInboundIn(data)
            if !registry.accepted(child) {
                context.channel.setOption(.autoRead, value: false).whenFailure { _ in }
            }
            context.fireChannelRead(data)
        }
    }
}

@available(*, unavailable)
extension ConnectionRegistry.ServerHandler: Sendable {}
