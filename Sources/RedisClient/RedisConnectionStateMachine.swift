import NIOCore

/// The life of one connection slot: connect, serve, and after a failure or a drop wait out a backoff and
/// connect again, until shut down.
///
/// Pure: it takes events and returns the action to perform; the pool and the subscriber execute them.
struct RedisConnectionStateMachine<Connection: AnyObject> {
    enum State {
        /// Nothing started yet.
        case idle
        /// A connect (transport plus AUTH/SELECT) is in flight; `failures` attempts failed in a row before it.
        case connecting(failures: Int)
        /// The connection is up.
        case connected(Connection)
        /// The last attempt failed or the connection dropped; a new attempt is scheduled.
        case backingOff(failures: Int)
        /// No further attempts; a connection that arrives from an attempt in flight is closed.
        case shutDown
    }

    enum Action {
        /// Nothing to do.
        case none
        /// Start a connect attempt.
        case connect
        /// Schedule ``backoffElapsed()`` after the backoff for this many consecutive failures.
        case scheduleReconnect(failures: Int)
        /// Close this connection.
        case close(Connection)
    }

    private(set) var state: State = .idle

    /// The connection while connected.
    var connection: Connection? {
        if case .connected(let connection) = self.state { return connection }
        return nil
    }

    /// Whether a connect attempt is in flight.
    var isConnecting: Bool {
        if case .connecting = self.state { return true }
        return false
    }

    /// Whether ``shutdown()`` has happened.
    var isShutDown: Bool {
        if case .shutDown = self.state { return true }
        return false
    }

    mutating func start() -> Action {
        guard case .idle = self.state else { return .none }
        self.state = .connecting(failures: 0)
        return .connect
    }

    mutating func connectSucceeded(_ connection: Connection) -> Action {
        switch self.state {
        case .connecting:
            self.state = .connected(connection)
            return .none
        case .shutDown:
            return .close(connection)
        case .idle, .connected, .backingOff:
            preconditionFailure("a connect succeeded in state \(self.state) where none was in flight")
        }
    }

    mutating func connectFailed() -> Action {
        switch self.state {
        case .connecting(let failures):
            self.state = .backingOff(failures: failures + 1)
            return .scheduleReconnect(failures: failures + 1)
        case .shutDown:
            return .none
        case .idle, .connected, .backingOff:
            preconditionFailure("a connect failed in state \(self.state) where none was in flight")
        }
    }

    /// The connection closed (by the server, an error, or a timeout that closed it).
    mutating func connectionClosed(_ connection: Connection) -> Action {
        guard case .connected(let current) = self.state, current === connection else {
            return .none
        }
        self.state = .backingOff(failures: 1)
        return .scheduleReconnect(failures: 1)
    }

    mutating func backoffElapsed() -> Action {
        guard case .backingOff(let failures) = self.state else { return .none }
        self.state = .connecting(failures: failures)
        return .connect
    }

    mutating func shutdown() -> Action {
        let previous = self.state
        self.state = .shutDown
        if case .connected(let connection) = previous {
            return .close(connection)
        }
        return .none
    }
}

extension RedisConnectionStateMachine: Sendable where Connection: Sendable {}
extension RedisConnectionStateMachine.State: Sendable where Connection: Sendable {}
