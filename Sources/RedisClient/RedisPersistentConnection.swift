import NIOConcurrencyHelpers
import NIOCore

/// Keeps one connection open: connects, and after a failed attempt or a drop waits out a jittered exponential
/// backoff and connects again, until shut down. Its owner learns what happens through ``Event``s.
final class RedisPersistentConnection: Sendable {
    /// What happened to the connection; delivered in order, one at a time.
    enum Event {
        /// A connect attempt started.
        case connecting
        /// The attempt succeeded: transport up, `AUTH` and `SELECT` done.
        case connected(RedisConnection)
        /// The attempt failed; a reconnect is scheduled.
        case connectFailed(any Error)
        /// The established connection closed; a reconnect is scheduled.
        case closed(RedisConnection)
    }

    private struct State: Sendable {
        var machine = RedisConnectionStateMachine<RedisConnection>()
        /// The attempt in flight, awaited by shutdown.
        var attempt: EventLoopFuture<RedisConnection>?
        /// The scheduled reconnect, cancelled by shutdown.
        var reconnect: Scheduled<Void>?
        var onEvent: (@Sendable (Event) -> Void)?
    }

    private let state = NIOLockedValueBox(State())
    private let configuration: RedisConfiguration
    private let group: any EventLoopGroup
    private let options: RedisClientOptions
    private let onPush: (@Sendable (RESPValue) -> Void)?

    /// - Parameters:
    ///   - configuration: Where to connect.
    ///   - group: The loops connections and timers run on.
    ///   - options: Timeouts, backoff and decoder limits.
    ///   - onPush: Receives pub/sub messages (for the subscriber); `nil` for command connections.
    init(
        configuration: RedisConfiguration,
        group: any EventLoopGroup,
        options: RedisClientOptions,
        onPush: (@Sendable (RESPValue) -> Void)? = nil
    ) {
        self.configuration = configuration
        self.group = group
        self.options = options
        self.onPush = onPush
    }

    /// The connection while it is up.
    var connection: RedisConnection? {
        self.state.withLockedValue { $0.machine.connection }
    }

    /// Starts the first connect; later calls do nothing.
    ///
    /// - Parameter onEvent: Receives every ``Event`` from now on.
    func start(onEvent: @escaping @Sendable (Event) -> Void) {
        let action = self.state.withLockedValue { state in
            if state.onEvent == nil {
                state.onEvent = onEvent
            }
            return state.machine.start()
        }
        self.perform(action)
    }

    /// Stops reconnecting and closes the connection.
    ///
    /// - Returns: Completes when the connection, including one from an attempt in flight, is closed.
    func shutdown() -> EventLoopFuture<Void> {
        let (action, attempt, reconnect) = self.state.withLockedValue { state in
            (state.machine.shutdown(), state.attempt, state.reconnect)
        }
        reconnect?.cancel()
        var closes: [EventLoopFuture<Void>] = []
        if case .close(let connection) = action {
            closes.append(connection.close())
        }
        if let attempt {
            closes.append(attempt.flatMap { $0.close() }.recover { _ in })
        }
        return EventLoopFuture.andAllComplete(closes, on: self.group.any())
    }

    // MARK: - Machine actions

    private func perform(_ action: RedisConnectionStateMachine<RedisConnection>.Action) {
        switch action {
        case .none:
            break
        case .close(let connection):
            connection.close()
        case .scheduleReconnect(let failures):
            let task = self.group.any().scheduleTask(in: self.options.backoff.delay(afterFailures: failures)) {
                self.backoffElapsed()
            }
            let isShutDown = self.state.withLockedValue { state in
                state.reconnect = task
                return state.machine.isShutDown
            }
            if isShutDown {
                task.cancel()
            }
        case .connect:
            self.connect()
        }
    }

    private func connect() {
        let eventLoop = self.group.next()
        let attempt = eventLoop.makePromise(of: RedisConnection.self)
        let onEvent = self.state.withLockedValue { state in
            guard !state.machine.isShutDown else { return nil as (@Sendable (Event) -> Void)? }
            state.attempt = attempt.futureResult
            return state.onEvent
        }
        guard let onEvent else {
            attempt.fail(RedisClientError.shutDown)
            return
        }
        onEvent(.connecting)
        attempt.futureResult.whenComplete { result in
            self.attemptFinished(result)
        }
        RedisConnection.connect(
            to: self.configuration,
            on: eventLoop,
            timeout: self.options.connectTimeout,
            decoderLimits: self.options.decoderLimits,
            onPush: self.onPush
        ).cascade(to: attempt)
    }

    private func attemptFinished(_ result: Result<RedisConnection, any Error>) {
        let (action, onEvent) = self.state.withLockedValue { state in
            state.attempt = nil
            switch result {
            case .success(let connection): return (state.machine.connectSucceeded(connection), state.onEvent)
            case .failure: return (state.machine.connectFailed(), state.onEvent)
            }
        }
        switch (result, action) {
        case (.success(let connection), .none):
            // The close handler goes on after the event, so a close is never reported ahead of its connect.
            onEvent?(.connected(connection))
            connection.closeFuture.whenComplete { _ in
                self.connectionClosed(connection)
            }
        case (.failure(let error), .scheduleReconnect):
            onEvent?(.connectFailed(error))
        default:
            break
        }
        self.perform(action)
    }

    private func connectionClosed(_ connection: RedisConnection) {
        let (action, onEvent) = self.state.withLockedValue { state in
            (state.machine.connectionClosed(connection), state.onEvent)
        }
        if case .scheduleReconnect = action {
            onEvent?(.closed(connection))
        }
        self.perform(action)
    }

    private func backoffElapsed() {
        let action = self.state.withLockedValue { state in
            state.reconnect = nil
            return state.machine.backoffElapsed()
        }
        self.perform(action)
    }
}
