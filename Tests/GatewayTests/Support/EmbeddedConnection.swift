@testable import Gateway
import HTTPTypes
import Logging
import NIOCore
import NIOEmbedded
import Testing

/// One client connection's real pipeline (``GatewayServer/configureConnection(_:state:limits:access:)``) on an
/// `EmbeddedChannel`: time is the embedded loop's and moves only when the test advances it.
///
/// Only requests answered inside the gateway (admin endpoints, refusals) may be sent: the upstream pool cannot
/// connect from an embedded loop.
final class EmbeddedConnection {
    let loop = EmbeddedEventLoop()
    let channel: EmbeddedChannel
    let configuration: GatewayConfiguration
    let state: GatewayState
    private var received: [UInt8] = []

    /// - Parameter configure: adjusts the gateway configuration (timeouts, limits).
    init(configure: (inout GatewayConfiguration) -> Void = { _ in }) throws {
        var configuration = GatewayConfiguration(upstream: try UpstreamEndpoint("http://127.0.0.1:9"))
        configure(&configuration)
        self.configuration = configuration
        let logger = Logger(label: "pingate.test") { _ in SwiftLogNoOpLogHandler() }
        let pool = UpstreamConnectionPool(maxConnections: 1, connectTimeout: .seconds(1), idleTimeout: .seconds(1), tls: [:])
        let readiness = Readiness(window: .seconds(1), clock: .system()) { $0.makeSucceededFuture(true) }
        let metrics = GatewayMetrics()
        state = try GatewayState(
            configuration: configuration, credentials: CredentialStore(TestVault.credentials), clock: .system(), metrics: metrics,
            accessLog: nil, readiness: readiness, pool: pool,
            breakers: UpstreamBreakers(configuration: configuration.breaker, metrics: metrics, logger: logger), shared: nil, logger: logger
        )
        channel = EmbeddedChannel(loop: loop)
        try GatewayServer.configureConnection(channel, state: state, limits: RequestLimits(configuration), access: configuration.access)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 50_000)).wait()
    }

    deinit {
        _ = try? channel.finish(acceptAlreadyClosed: true)
    }

    /// Stores a fresh JSON answer for `target` in the gateway's cache, as a fill would: a GET of it is then a hit.
    func storeHit(target: String, json: String = #"{"count":0,"rows":[]}"#) throws {
        let cache = try #require(state.cache, "the cache is off")
        let fields: HTTPFields = [.contentType: "application/json", .contentLength: String(json.utf8.count)]
        let result = cache.store(
            target: target, profile: configuration.profile, requestHeaders: [:], status: .ok, responseHeaders: fields,
            body: ByteBuffer(string: json), now: state.clock.now(), fill: cache.beginFill(target: target),
            attachment: HitHead(status: .ok, fields: fields, allocator: ByteBufferAllocator())
        )
        #expect(result.isStored)
    }

    /// Whether the connection is still open.
    var isOpen: Bool { channel.isActive }

    /// Delivers `text` as one read from the client.
    func send(_ text: String) throws {
        try channel.writeInbound(ByteBuffer(string: text))
    }

    /// Moves the connection's clock forward, running every timer that comes due.
    func advance(by amount: TimeAmount) {
        loop.advanceTime(by: amount)
    }

    /// The next complete response written to the client, or nil when none is complete.
    func nextResponse() throws -> RawResponse? {
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
            received += buffer.readableBytesView
        }
        guard let (response, used) = RawHTTPConnection.parse(received) else { return nil }
        received.removeFirst(used)
        return response
    }

    /// Bytes written to the client and not yet taken as a response.
    func pendingOutput() throws -> Int {
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
            received += buffer.readableBytesView
        }
        return received.count
    }
}
