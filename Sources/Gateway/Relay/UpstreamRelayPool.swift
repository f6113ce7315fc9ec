import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Keep-alive connections to plain-http upstreams for the event-loop relay, kept per event loop so a relayed
/// request never leaves its client connection's thread.
///
/// Checkout pops the most recently used live connection for (event loop, upstream); checkin returns one whose
/// last response allowed reuse. Connections the upstream closed while idle are skipped and dropped.
final class UpstreamRelayPool: Sendable {
    private struct Key: Hashable {
        let loop: ObjectIdentifier
        let host: String
        let port: Int
    }

    /// Idle connections kept per (event loop, upstream); beyond this they are closed.
    let maxIdlePerKey: Int
    /// How long a connect may take.
    let connectTimeout: TimeAmount
    /// A pooled connection unused this long is closed instead of reused (AsyncHTTPClient's pool uses the same).
    let idleTimeout: TimeAmount
    private let idle = Mutex<[Key: [(channel: any Channel, since: NIODeadline)]]>([:])
    private let relays = Atomic<Int>(0)

    init(connectTimeout: TimeAmount, idleTimeout: TimeAmount = .seconds(60), maxIdlePerKey: Int = 256) {
        self.connectTimeout = connectTimeout
        self.idleTimeout = idleTimeout
        self.maxIdlePerKey = maxIdlePerKey
    }

    /// Relays in progress (each holds at most one upstream connection, or is opening one); the relay is capped
    /// with it at the upstream connection limit.
    var relaysInProgress: Int { relays.load(ordering: .relaxed) }
    /// A relay started.
    func relayStarted() { relays.add(1, ordering: .relaxed) }
    /// A relay ended.
    func relayEnded() { relays.subtract(1, ordering: .relaxed) }

    /// A live idle connection to `upstream` on `eventLoop`, if one is pooled.
    func checkout(_ upstream: UpstreamEndpoint, on eventLoop: any EventLoop) -> (any Channel)? {
        let key = Key(loop: ObjectIdentifier(eventLoop), host: upstream.host, port: upstream.port)
        let oldest = NIODeadline.now() - idleTimeout
        var expired: [any Channel] = []
        let found = idle.withLock { idle -> (any Channel)? in
            while let (channel, since) = idle[key]?.popLast() {
                if channel.isActive && since > oldest { return channel }
                expired.append(channel)
            }
            return nil
        }
        for channel in expired { channel.close(promise: nil) }
        return found
    }

    /// Returns a connection whose last response ended cleanly and allowed reuse. Connections idle past
    /// ``idleTimeout`` at the cold end of the pool are closed.
    func checkin(_ channel: any Channel, upstream: UpstreamEndpoint) {
        let key = Key(loop: ObjectIdentifier(channel.eventLoop), host: upstream.host, port: upstream.port)
        let now = NIODeadline.now()
        var dropped: [any Channel] = []
        idle.withLock { idle in
            var list = idle[key, default: []]
            while let first = list.first, !first.channel.isActive || first.since < now - idleTimeout {
                dropped.append(list.removeFirst().channel)
            }
            if channel.isActive, list.count < maxIdlePerKey {
                list.append((channel, now))
            } else {
                dropped.append(channel)
            }
            idle[key] = list
        }
        for channel in dropped { channel.close(promise: nil) }
    }

    /// Opens a new connection on `eventLoop` with an HTTP/1.1 client pipeline ending in an ``UpstreamRelayHandler``.
    func connect(_ upstream: UpstreamEndpoint, on eventLoop: any EventLoop) -> EventLoopFuture<any Channel> {
        ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers(enableOutboundHeaderValidation: false)  // fields come validated
                    try channel.pipeline.syncOperations.addHandler(UpstreamRelayHandler())
                }
            }
            .connect(host: upstream.host, port: upstream.port)
    }

    /// Closes every pooled connection (at shutdown).
    func closeAll() {
        let channels = idle.withLock { idle -> [any Channel] in
            defer { idle.removeAll() }
            return idle.values.flatMap { $0.map(\.channel) }
        }
        for channel in channels { channel.close(promise: nil) }
    }
}
