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
    private let idle = Mutex<[Key: [any Channel]]>([:])
    private let busy = Atomic<Int>(0)

    /// Connections carrying a relayed request now (approximate under concurrency; used to cap the relay).
    var inUse: Int { busy.load(ordering: .relaxed) }
    /// A connection started carrying a request.
    func connectionTaken() { busy.add(1, ordering: .relaxed) }
    /// A connection stopped carrying a request (pooled or closed).
    func connectionReleased() { busy.subtract(1, ordering: .relaxed) }

    init(connectTimeout: TimeAmount, maxIdlePerKey: Int = 256) {
        self.connectTimeout = connectTimeout
        self.maxIdlePerKey = maxIdlePerKey
    }

    /// A live idle connection to `upstream` on `eventLoop`, if one is pooled.
    func checkout(_ upstream: UpstreamEndpoint, on eventLoop: any EventLoop) -> (any Channel)? {
        let key = Key(loop: ObjectIdentifier(eventLoop), host: upstream.host, port: upstream.port)
        return idle.withLock { idle in
            while let channel = idle[key]?.popLast() {
                if channel.isActive { return channel }
            }
            return nil
        }
    }

    /// Returns a connection whose last response ended cleanly and allowed reuse.
    func checkin(_ channel: any Channel, upstream: UpstreamEndpoint) {
        let key = Key(loop: ObjectIdentifier(channel.eventLoop), host: upstream.host, port: upstream.port)
        let kept = idle.withLock { idle -> Bool in
            guard channel.isActive, idle[key, default: []].count < maxIdlePerKey else { return false }
            idle[key, default: []].append(channel)
            return true
        }
        if !kept { channel.close(promise: nil) }
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
            return idle.values.flatMap { $0 }
        }
        for channel in channels { channel.close(promise: nil) }
    }
}
