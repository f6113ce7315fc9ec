import GatewayCache
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The running gateway: one SwiftNIO server whose client connections each run the request guard and the
/// gateway handler, with one pool of upstream connections (plain or TLS) behind them.
///
/// A `Service`: run it in a `ServiceGroup`. Graceful shutdown stops accepting, lets every answer in progress finish
/// (connections close as they become idle), then closes the upstream pool; when the group's drain time is up and
/// the service is cancelled, whatever is still open is closed.
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
    /// Version, vault file and last reload, as the dashboard shows them.
    public let instance: InstanceDescription
    private let accessLog: AccessLog?
    private let clock: GatewayClock
    private let group: any EventLoopGroup
    /// The state of the running gateway (nil before `run` builds it), for reloads.
    private let running = Mutex<GatewayState?>(nil)

    /// Creates the gateway.
    /// - Parameters:
    ///   - configuration: listen address, upstream, timeouts, cache and limits.
    ///   - credentials: the unlocked credentials (replaceable for reloads).
    ///   - logger: where logs go; secrets are never logged.
    ///   - accessLog: one line per request, or nil.
    ///   - clock: time source (tests inject one).
    ///   - group: the event loops serving connections (one pool of upstream connections per loop).
    ///   - instance: version, vault file and reloads, for the dashboard.
    ///   - onReady: called once the listener is bound, with the real address.
    public init(
        configuration: GatewayConfiguration,
        credentials: CredentialStore,
        logger: Logger,
        accessLog: AccessLog? = nil,
        clock: GatewayClock = .system(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        instance: InstanceDescription = InstanceDescription(),
        onReady: @escaping @Sendable (BoundAddress) async -> Void = { _ in }
    ) {
        self.instance = instance
        self.configuration = configuration
        self.credentials = credentials
        self.logger = logger
        self.accessLog = accessLog
        self.clock = clock
        self.group = group
        self.onReady = onReady
        self.metrics = GatewayMetrics()
    }

    public func run() async throws {
        // Checked first, before anything that needs shutting down exists.
        let unixListener = try configuration.unixSocketPath.map {
            try UnixSocketListener.prepare(path: $0, groupID: configuration.access.socketGroupID)
        }
        var boundInode: ino_t?
        defer { unixListener?.cleanup(boundInode: boundInode) }
        let state = try makeState()
        running.withLock { $0 = state }
        defer { running.withLock { $0 = nil } }

        let limits = RequestLimits(configuration)
        let access = configuration.access
        let registry = ConnectionRegistry(maxConnections: configuration.maxConnections, eventLoop: group.next())
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(registry.makeServerHandler())
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            // A 64 KB cached answer is one write: with NIO's default 64 KiB high watermark each such write would flip
            // the channel unwritable and back.
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 128 * 1024, high: 512 * 1024))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try Self.configureConnection(channel, state: state, limits: limits, access: access)
                }
            }

        let server: any Channel
        let address: BoundAddress
        if let unixListener {
            server = try await bootstrap.bind(unixDomainSocketPath: unixListener.bindPath).get()
            boundInode = unixListener.boundInode
            do {
                try unixListener.publish()
            } catch {
                try? await server.close()
                throw error
            }
            address = .unix(path: unixListener.path)
        } else {
            server = try await bootstrap.bind(host: configuration.listen.host, port: configuration.listen.port).get()
            address = .tcp(host: server.localAddress?.ipAddress ?? configuration.listen.host, port: server.localAddress?.port ?? 0)
        }
        state.readiness.listenerUp()
        await onReady(address)

        let housekeeping = group.next().scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { [accessLog] _ in
            accessLog?.flush()
            state.pool.closeExpired()
        }
        defer {
            housekeeping.cancel()
            accessLog?.flush()
            state.pool.closeAll()
        }
        defer {
            if let shared = state.shared { Task { await shared.shutdown() } }
        }
        let serverClosed = server.closeFuture
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                // Returns when the server channel closes (at a graceful shutdown, or when it fails).
                try? await serverClosed.get()
            } onGracefulShutdown: {
                registry.quiesce()
            }
            registry.quiesce()
            // Answers in progress get the drain time; whatever is still open then is closed.
            let drainEnd = group.next().scheduleTask(in: .init(configuration.drainTimeout)) { registry.closeAll() }
            try? await registry.allClosedFuture.get()
            drainEnd.cancel()
        } onCancel: {
            registry.closeAll()
        }
    }

    /// The pipeline of one client connection:
    ///
    ///     RawInputTap → ResponseEncoder → HTTPRequestDecoder → RequestGuardHandler → GatewayHandler
    static func configureConnection(_ channel: any Channel, state: GatewayState, limits: RequestLimits, access: AccessPolicy) throws {
        let pipeline = channel.pipeline.syncOperations
        try pipeline.addHandler(RawInputTap(maxRequestLine: limits.maxRequestLine))
        try pipeline.addHandler(ResponseEncoder())
        try pipeline.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, limitConfiguration: limits.decoderLimits)))
        try pipeline.addHandler(RequestGuardHandler(limits: limits, access: access))
        try pipeline.addHandler(GatewayHandler(state: state))
    }

    private func makeState() throws -> GatewayState {
        var tls: [String: UpstreamTLS] = [:]
        for route in configuration.allRoutes where route.upstream.scheme == "https" && tls[route.upstream.origin] == nil {
            tls[route.upstream.origin] = try UpstreamTLS(host: route.upstream.host, caFile: configuration.upstreamCAFile)
        }
        let pool = UpstreamConnectionPool(
            maxConnections: configuration.upstreamConnections, connectTimeout: .init(configuration.connectTimeout),
            idleTimeout: .init(configuration.upstreamKeepaliveIdle), tls: tls,
            onConnectionOpened: { [metrics] in metrics.upstreamConnectionOpened() }
        )
        let upstream = configuration.upstream
        let breakers = UpstreamBreakers(configuration: configuration.breaker, metrics: metrics, logger: logger)
        let cache = CacheBox()
        let shared = try configuration.sharedState.map { shared in
            try SharedState(
                configuration: shared, group: group, metrics: metrics, logger: logger,
                onInvalidation: { invalidation in
                    if let invalidation { cache.cache?.apply(invalidation) } else { cache.cache?.purge() }
                },
                onReconnect: { cache.cache?.purge() }
            )
        }
        let readiness = Readiness(
            window: configuration.readinessWindow, clock: clock,
            probe: { eventLoop in UpstreamProbe.probe(upstream, pool: pool, on: eventLoop, timeout: .seconds(2)) },
            breakerOpen: { breakers.anyOpen },
            sharedState: { shared.map { ($0.isAvailable, $0.configuration.onFailure) } }
        )
        let state = try GatewayState(
            configuration: configuration, credentials: credentials, clock: clock, metrics: metrics,
            accessLog: accessLog, readiness: readiness, pool: pool, breakers: breakers, shared: shared, instance: instance,
            logger: logger
        )
        cache.cache = state.cache
        return state
    }

    /// The cache, for the shared state's callbacks, which exist before the state that owns the cache.
    private final class CacheBox: Sendable {
        private let box = Mutex<ResponseCache?>(nil)
        var cache: ResponseCache? {
            get { box.withLock { $0 } }
            set { box.withLock { $0 = newValue } }
        }
    }

    /// Applies a reloaded configuration (SIGHUP) to the running gateway, without dropping connections.
    ///
    /// The rate budgets (`rate_limit.*`) take effect for the next request (counts start afresh; a pause the upstream
    /// asked for carries over). Credentials, profiles and client tokens are the reloader's job (``CredentialStore``,
    /// ``UnlockedVault``). Every other setting is
    /// fixed while running: the names of those that differ from the running ones are returned, for a warning that
    /// they need a restart.
    /// - Throws: ``GatewayConfigurationError`` when the new budgets are invalid (nothing is changed then).
    public func reload(_ new: GatewayConfiguration) throws -> (budgetsChanged: Bool, needRestart: [String]) {
        var budgetsChanged = false
        if let state = running.withLock({ $0 }) {
            do {
                budgetsChanged = try state.replaceBudgets(new.rateLimits)
            } catch {
                throw GatewayConfigurationError(.invalidSetting, "rate limits: \(error)")
            }
        }
        return (budgetsChanged, Self.changedSettings(from: configuration, to: new, ignoring: ["rateLimits", "profiles"]))
    }

    /// Names of the configuration's top-level settings whose values differ.
    static func changedSettings(from old: GatewayConfiguration, to new: GatewayConfiguration, ignoring: Set<String>) -> [String] {
        let newValues = Dictionary(
            Mirror(reflecting: new).children.compactMap { child in child.label.map { ($0, String(reflecting: child.value)) } },
            uniquingKeysWith: { first, _ in first }
        )
        return Mirror(reflecting: old).children.compactMap { child -> String? in
            guard let label = child.label, !ignoring.contains(label) else { return nil }
            return newValues[label] == String(reflecting: child.value) ? nil : label
        }
    }
}
