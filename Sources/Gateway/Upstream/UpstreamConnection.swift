import NIOCore
import NIOHTTP1

/// One kept-alive HTTP/1.1 connection to an upstream, plain or TLS. Used on its channel's event loop only.
final class UpstreamConnection {
    /// Unique within the pool (slot accounting).
    let id: UInt64
    let channel: any Channel
    let handler: UpstreamConnectionHandler
    let endpoint: UpstreamEndpoint
    /// When it last went back to the pool.
    var idleSince: NIODeadline

    init(id: UInt64, channel: any Channel, handler: UpstreamConnectionHandler, endpoint: UpstreamEndpoint, idleSince: NIODeadline) {
        self.id = id
        self.channel = channel
        self.handler = handler
        self.endpoint = endpoint
        self.idleSince = idleSince
    }

    /// Writes a request part without flushing.
    func write(_ part: UpstreamRequestPart) {
        channel.pipeline.syncOperations.write(NIOAny(part), promise: nil)
    }

    func flush() {
        channel.flush()
    }
}

// Handed between event loops only inside the pool's lock and then used on its own loop.
extension UpstreamConnection: @unchecked Sendable {}
