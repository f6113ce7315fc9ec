import Hummingbird
import Logging
import NIOCore

/// Per-request context: Hummingbird's core storage plus the peer pingate needs for identity and logs.
public struct GatewayRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connecting peer (TCP address or unix socket).
    public let remoteAddress: SocketAddress?
    /// The channel, for peer credentials on unix sockets.
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
        self.remoteAddress = source.channel.remoteAddress
    }
}
