import NIOConcurrencyHelpers
import NIOCore

/// The pub/sub connection: one ``RedisPersistentConnection`` in subscribe mode.
///
/// Each time the connection comes up it subscribes to every channel asked for so far. A subscription that was
/// active before and becomes active again on a new connection calls its `onReconnect`: messages published in
/// between were missed.
final class RedisSubscriber: Sendable {
    private struct Subscription: Sendable {
        var channels: [String]
        var onMessage: @Sendable (RedisPubSubMessage) -> Void
        var onReconnect: @Sendable () -> Void
        /// Completed when the subscription is first active; `nil` after that.
        var firstActivation: EventLoopPromise<Void>?
        /// The connection the subscription is active on, so that a second confirmation on the same connection
        /// is not mistaken for a reconnect.
        var activeOn: RedisConnection?
    }

    private struct State: Sendable {
        var subscriptions: [Subscription] = []
        var isShutDown = false
    }

    private let state = NIOLockedValueBox(State())
    private let group: any EventLoopGroup
    private let options: RedisClientOptions
    private let hooks: RedisClientHooks
    private let connection: NIOLockedValueBox<RedisPersistentConnection?> = NIOLockedValueBox(nil)
    private let configuration: RedisConfiguration

    init(
        configuration: RedisConfiguration,
        group: any EventLoopGroup,
        options: RedisClientOptions,
        hooks: RedisClientHooks
    ) {
        self.configuration = configuration
        self.group = group
        self.options = options
        self.hooks = hooks
    }

    /// Adds a subscription; the first call opens the connection.
    ///
    /// - Returns: Completes when the subscription is first active; fails only on shutdown.
    func subscribe(
        to channels: [String],
        onMessage: @escaping @Sendable (RedisPubSubMessage) -> Void,
        onReconnect: @escaping @Sendable () -> Void
    ) -> EventLoopFuture<Void> {
        let activation = self.group.any().makePromise(of: Void.self)
        let (index, isShutDown) = self.state.withLockedValue { state in
            state.subscriptions.append(
                Subscription(
                    channels: channels,
                    onMessage: onMessage,
                    onReconnect: onReconnect,
                    firstActivation: activation,
                    activeOn: nil
                )
            )
            return (state.subscriptions.count - 1, state.isShutDown)
        }
        guard !isShutDown else {
            activation.fail(RedisClientError.shutDown)
            return activation.futureResult
        }
        let persistent = self.connection.withLockedValue { slot in
            if let existing = slot {
                return existing
            }
            let created = RedisPersistentConnection(
                configuration: self.configuration,
                group: self.group,
                options: self.options,
                onPush: { value in self.deliver(value) }
            )
            slot = created
            return created
        }
        persistent.start { event in
            self.handle(event)
        }
        if let connection = persistent.connection {
            self.activate([index], on: connection)
        }
        return activation.futureResult
    }

    /// Closes the connection and stops reconnecting; subscriptions not yet active fail with
    /// ``RedisClientError/shutDown``.
    func shutdown() -> EventLoopFuture<Void> {
        let pending = self.state.withLockedValue { state in
            state.isShutDown = true
            return state.subscriptions.compactMap(\.firstActivation)
        }
        pending.forEach { $0.fail(RedisClientError.shutDown) }
        let persistent = self.connection.withLockedValue { $0 }
        return persistent?.shutdown() ?? self.group.any().makeSucceededVoidFuture()
    }

    // MARK: - Connection events

    private func handle(_ event: RedisPersistentConnection.Event) {
        switch event {
        case .connecting, .closed:
            break
        case .connectFailed(let error):
            if !self.state.withLockedValue(\.isShutDown) {
                self.hooks.onError("SUBSCRIBE", error)
            }
        case .connected(let connection):
            let all = self.state.withLockedValue { Array($0.subscriptions.indices) }
            self.activate(all, on: connection)
        }
    }

    /// Subscribes `connection` to the channels of the subscriptions at `indices` and, once confirmed, marks them
    /// active there. A refused or timed-out `SUBSCRIBE` closes the connection, which reconnects and retries.
    private func activate(_ indices: [Int], on connection: RedisConnection) {
        let channels = self.state.withLockedValue { state in
            Set(indices.flatMap { state.subscriptions[$0].channels }).sorted()
        }
        guard !channels.isEmpty else {
            self.markActive(indices, on: connection)
            return
        }
        let command = RedisCommand("SUBSCRIBE", arguments: channels.map { ByteBuffer(string: $0) })
        connection.send(
            command.respValue,
            replyCount: channels.count,
            deadline: .now() + self.options.connectTimeout
        ).whenComplete { result in
            switch result {
            case .success:
                self.markActive(indices, on: connection)
            case .failure(let error):
                self.hooks.onError("SUBSCRIBE", error)
                connection.close()
            }
        }
    }

    private func markActive(_ indices: [Int], on connection: RedisConnection) {
        let (activations, reconnects) = self.state.withLockedValue { state in
            var activations: [EventLoopPromise<Void>] = []
            var reconnects: [@Sendable () -> Void] = []
            for index in indices where state.subscriptions[index].activeOn !== connection {
                if let activation = state.subscriptions[index].firstActivation {
                    activations.append(activation)
                    state.subscriptions[index].firstActivation = nil
                } else {
                    reconnects.append(state.subscriptions[index].onReconnect)
                }
                state.subscriptions[index].activeOn = connection
            }
            return (activations, reconnects)
        }
        activations.forEach { $0.succeed() }
        reconnects.forEach { $0() }
    }

    private func deliver(_ value: RESPValue) {
        guard let message = RedisPubSubMessage(value) else {
            return
        }
        let receivers = self.state.withLockedValue { state in
            state.subscriptions.filter { $0.channels.contains(message.channel) }.map(\.onMessage)
        }
        receivers.forEach { $0(message) }
    }
}
