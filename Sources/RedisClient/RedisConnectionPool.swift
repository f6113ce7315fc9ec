import NIOConcurrencyHelpers
import NIOCore

/// A fixed number of command connections, each a ``RedisPersistentConnection``.
///
/// Commands go round-robin to the connected ones and are pipelined on each. While none is connected, a command
/// waits (within its deadline) if a connect attempt is in flight, and fails at once with
/// ``RedisClientError/unavailable`` otherwise, so that a caller with a fallback never waits on a Redis that is
/// known to be down.
final class RedisConnectionPool: Sendable {
    /// The pool's view of one slot, kept from its events.
    private enum SlotState: Sendable {
        case connecting
        case connected(RedisConnection)
        case down
    }

    private struct State: Sendable {
        var slots: [SlotState]
        /// Commands that arrived while no connection was up but one was being attempted.
        var waiters: [EventLoopPromise<RedisConnection>] = []
        var nextSlot = 0
        var isShutDown = false
        var reportedAvailability: Bool?

        var firstConnection: RedisConnection? {
            for slot in self.slots {
                if case .connected(let connection) = slot { return connection }
            }
            return nil
        }

        var hasConnection: Bool {
            self.firstConnection != nil
        }

        var isConnecting: Bool {
            self.slots.contains { if case .connecting = $0 { true } else { false } }
        }

        /// The availability to report, when it changed since the last report.
        mutating func availabilityChange() -> Bool? {
            guard !self.isShutDown else { return nil }
            if self.hasConnection {
                guard self.reportedAvailability != true else { return nil }
                self.reportedAvailability = true
                return true
            }
            guard !self.isConnecting, self.reportedAvailability != false else { return nil }
            self.reportedAvailability = false
            return false
        }

        /// The waiters to complete now: all of them once a connection is up, or once none can come soon.
        mutating func takeWaiters() -> [EventLoopPromise<RedisConnection>] {
            guard self.hasConnection || !self.isConnecting else { return [] }
            defer { self.waiters = [] }
            return self.waiters
        }
    }

    private enum Route {
        case connection(RedisConnection)
        case wait(EventLoopFuture<RedisConnection>)
        case fail(RedisClientError)
    }

    private let state: NIOLockedValueBox<State>
    private let connections: [RedisPersistentConnection]
    private let group: any EventLoopGroup
    private let hooks: RedisClientHooks

    init(
        configuration: RedisConfiguration,
        group: any EventLoopGroup,
        options: RedisClientOptions,
        hooks: RedisClientHooks
    ) {
        self.group = group
        self.hooks = hooks
        self.connections = (0..<options.poolSize).map { _ in
            RedisPersistentConnection(configuration: configuration, group: group, options: options)
        }
        self.state = NIOLockedValueBox(State(slots: Array(repeating: .connecting, count: options.poolSize)))
    }

    /// Starts every connection's first connect.
    func start() {
        for (index, connection) in self.connections.enumerated() {
            connection.start { event in
                self.handle(event, slot: index)
            }
        }
    }

    /// Sends `command` on the next connected connection.
    ///
    /// - Returns: The reply, or an error: ``RedisServerError`` for an error reply, ``RedisClientError`` otherwise.
    func send(_ command: RESPValue, deadline: NIODeadline) -> EventLoopFuture<RESPValue> {
        switch self.route() {
        case .connection(let connection):
            return connection.send(command, deadline: deadline)
        case .wait(let connection):
            return connection.flatMap { $0.send(command, deadline: deadline) }.failingAfter(deadline)
        case .fail(let error):
            return self.group.any().makeFailedFuture(error)
        }
    }

    /// Closes every connection and stops reconnecting; commands waiting for a connection fail with
    /// ``RedisClientError/shutDown``.
    ///
    /// - Returns: Completes when every connection is closed.
    func shutdown() -> EventLoopFuture<Void> {
        let waiters = self.state.withLockedValue { state in
            state.isShutDown = true
            defer { state.waiters = [] }
            return state.waiters
        }
        waiters.forEach { $0.fail(RedisClientError.shutDown) }
        return EventLoopFuture.andAllComplete(self.connections.map { $0.shutdown() }, on: self.group.any())
    }

    // MARK: - Routing

    private func route() -> Route {
        self.state.withLockedValue { state in
            guard !state.isShutDown else {
                return .fail(.shutDown)
            }
            for offset in 0..<state.slots.count {
                let index = (state.nextSlot + offset) % state.slots.count
                if case .connected(let connection) = state.slots[index] {
                    state.nextSlot = (index + 1) % state.slots.count
                    return .connection(connection)
                }
            }
            guard state.isConnecting else {
                return .fail(.unavailable)
            }
            let waiter = self.group.any().makePromise(of: RedisConnection.self)
            state.waiters.append(waiter)
            return .wait(waiter.futureResult)
        }
    }

    private func handle(_ event: RedisPersistentConnection.Event, slot index: Int) {
        if case .connectFailed(let error) = event, !self.state.withLockedValue(\.isShutDown) {
            self.hooks.onError("CONNECT", error)
        }
        let (waiters, connection, change) = self.state.withLockedValue { state in
            switch event {
            case .connecting: state.slots[index] = .connecting
            case .connected(let connection): state.slots[index] = .connected(connection)
            case .connectFailed, .closed: state.slots[index] = .down
            }
            return (state.takeWaiters(), state.firstConnection, state.availabilityChange())
        }
        for waiter in waiters {
            if let connection {
                waiter.succeed(connection)
            } else {
                waiter.fail(RedisClientError.unavailable)
            }
        }
        change.map(self.hooks.onAvailabilityChange)
    }
}
