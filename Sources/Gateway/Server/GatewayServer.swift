import AsyncHTTPClient
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The running gateway: Hummingbird's HTTP/1.1 server in front, AsyncHTTPClient behind, and a channel
/// handler in between that answers fresh cache hits and refusals without leaving the event loop.
///
/// A `Service`: run it in a `ServiceGroup` (graceful shutdown stops accepting, lets in-flight requests
/// finish, then closes the upstream pool).
public final class GatewayServer: Service, Sendable {
    /// Where a started gateway listens.
    public enum BoundAddress: Sendable, Equatable, CustomStringConvertible {
        /// A TCP listener; `port` is the real one even when 0 was asked for.
        case tcp(host: String, port: Int)
        /// A unix socket.
        case unix(path: String)

        public var description: String {
            switch self {
            case .tcp(let host, let port): return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            case .unix(let path): return "unix:\(path)"
            }
        }
    }

    private let configuration: GatewayConfiguration
    private let credentials: CredentialStore
    private let logger: Logger
    private let onReady: @Sendable (BoundAddress) async -> Void
    /// Metrics of this gateway (exposed at `/_pingate/metrics`).
    public let metrics: GatewayMetrics
    private let accessLog: AccessLog?
    private let clock: GatewayClock

    /// Creates the gateway.
    /// - Parameters:
    ///   - configuration: listen address, upstream, timeouts, cache and limits.
    ///   - credentials: the unlocked credentials (replaceable for reloads).
    ///   - logger: where logs go; secrets are never logged.
    ///   - accessLog: one line per request, or nil.
    ///   - clock: time source (tests inject one).
    ///   - onReady: called once the listener is bound, with the real address.
    public init(
        configuration: GatewayConfiguration,
        credentials: CredentialStore,
        logger: Logger,
        accessLog: AccessLog? = nil,
        clock: GatewayClock = .system(),
        onReady: @escaping @Sendable (BoundAddress) async -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.credentials = credentials
        self.logger = logger
        self.accessLog = accessLog
        self.clock = clock
        self.onReady = onReady
        self.metrics = GatewayMetrics()
    }

    public func run() async throws {
        let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: Self.clientConfiguration(configuration))
        let upstream = configuration.upstream
        let readiness = Readiness(window: .seconds(30), clock: clock) {
            var probe = HTTPClientRequest(url: upstream.url(forTarget: "/"))
            probe.method = .HEAD
            return (try? await client.execute(probe, timeout: .seconds(2))) != nil
        }
        let state = try GatewayState(
            configuration: configuration, credentials: credentials, clock: clock,
            metrics: metrics, accessLog: accessLog, readiness: readiness
        )
        let responder = GatewayResponder(
            state: state,
            forwarder: Forwarder(client: client, upstream: configuration.upstream, credentials: credentials),
            admin: AdminResponder(state: state)
        )
        let fastPath = GatewayFastPath(state: state)
        let address: BindAddress = configuration.unixSocketPath.map { .unixDomainSocket(path: $0) }
            ?? .hostname(configuration.listen.host, port: configuration.listen.port)
        let onReady = self.onReady
        let unixPath = configuration.unixSocketPath
        let application = Application(
            responder: responder,
            server: .http1(configuration: .init(
                additionalChannelHandlers: [FastPathHandler(decider: fastPath)],
                idleTimeout: .init(configuration.idleTimeout)
            )),
            configuration: .init(address: address, serverName: nil, reuseAddress: true),
            onServerRunning: { channel in
                readiness.listenerUp()
                if let unixPath {
                    await onReady(.unix(path: unixPath))
                } else {
                    let local = channel.localAddress
                    await onReady(.tcp(host: local?.ipAddress ?? "127.0.0.1", port: local?.port ?? 0))
                }
            },
            eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton),
            logger: logger
        )
        let flusher = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                accessLog?.flush()
            }
        }
        defer {
            flusher.cancel()
            accessLog?.flush()
        }
        do {
            try await application.run()
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    static func clientConfiguration(_ configuration: GatewayConfiguration) -> HTTPClient.Configuration {
        var client = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .init(configuration.connectTimeout), read: .init(configuration.readTimeout)),
            connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: configuration.upstreamConnections),
            decompression: .disabled
        )
        client.httpVersion = .http1Only
        return client
    }
}
